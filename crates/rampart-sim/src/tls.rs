//! How every venue's simulator serves its router (REST and WebSocket upgrades):
//! [`serve_router`], over plain HTTP or over rustls with TLS 1.3 only, behind a certificate
//! generated at start for this machine's loopback names. The venues serve their public hosts
//! (`https://fapi.binance.com`, `https://api.bybit.com`, `https://www.okx.com`); here a client
//! trusts [`TlsIdentity::cert_pem`] instead of a public CA.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum_server::tls_rustls::RustlsConfig;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

/// The names the certificate covers: every way a client on this machine reaches the simulator.
const NAMES: [&str; 3] = ["127.0.0.1", "::1", "localhost"];

/// How long a stop waits for open HTTP requests before closing their connections.
const GRACE: Duration = Duration::from_secs(2);

/// A self-signed certificate and the server configuration that presents it.
pub(crate) struct TlsIdentity {
    /// The certificate (PEM), for clients to trust as their only root.
    pub(crate) cert_pem: String,
    config: Arc<rustls::ServerConfig>,
}

/// Generates a fresh key pair and a self-signed certificate for [`NAMES`], and a TLS 1.3-only
/// server configuration (aws-lc-rs) that offers HTTP/1.1 by ALPN (WebSocket upgrades are
/// HTTP/1.1).
pub(crate) fn self_signed() -> io::Result<TlsIdentity> {
    let names: Vec<String> = NAMES.iter().map(|n| (*n).to_owned()).collect();
    let certified = rcgen::generate_simple_self_signed(names).map_err(io::Error::other)?;
    let cert_pem = certified.cert.pem();
    let cert_der = certified.cert.der().clone();
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(vec![cert_der], key_der)
        .map_err(io::Error::other)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsIdentity {
        cert_pem,
        config: Arc::new(config),
    })
}

/// A router being served: the task that serves it, and the certificate clients trust when it
/// is served over TLS.
pub(crate) struct Serving {
    /// Ends once the server has stopped (after `shutdown` and the grace period).
    pub(crate) task: JoinHandle<()>,
    /// The self-signed certificate (PEM) under TLS; `None` for plain HTTP.
    pub(crate) cert_pem: Option<String>,
}

/// Serves `app` on `listener` until `shutdown` fires (or its sender is dropped): over TLS with a
/// freshly generated [`self_signed`] identity when `tls`, else over plain HTTP. Either way the
/// handlers see the peer's address (request weight is counted per IP), and a server that stops
/// with an error logs it under `venue` (the simulator's name, for the log only).
pub(crate) fn serve_router(
    listener: TcpListener,
    app: Router,
    tls: bool,
    shutdown: oneshot::Receiver<()>,
    venue: &'static str,
) -> io::Result<Serving> {
    if tls {
        let identity = self_signed()?;
        let task = serve_tls(listener, app, &identity, shutdown, venue)?;
        Ok(Serving {
            task,
            cert_pem: Some(identity.cert_pem),
        })
    } else {
        let task = tokio::spawn(async move {
            let served = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async {
                let _ = shutdown.await;
            })
            .await;
            if let Err(err) = served {
                tracing::error!(%err, venue, "simulator stopped");
            }
        });
        Ok(Serving {
            task,
            cert_pem: None,
        })
    }
}

/// A simulator being served, as each venue's `SimServer` holds it: the address, the task
/// serving the router ([`serve_router`]), the simulator's clock task (its price process), the
/// certificate under TLS, and the generation its stream connections watch. Stopping or dropping
/// it stops the server, closes the stream connections (upgraded connections outlive the HTTP
/// server) and aborts the clock.
pub(crate) struct ServerHandle {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
    clock: JoinHandle<()>,
    cert_pem: Option<String>,
    streams: watch::Sender<u64>,
}

impl ServerHandle {
    /// Serves `app` on `listener` ([`serve_router`], over TLS when `tls`; `venue` names the
    /// simulator in the log). `clock` is the simulator's clock task; `streams` the generation
    /// its stream connections end on. On an error the clock is aborted.
    pub(crate) fn serve(
        listener: TcpListener,
        app: Router,
        tls: bool,
        venue: &'static str,
        clock: JoinHandle<()>,
        streams: watch::Sender<u64>,
    ) -> io::Result<ServerHandle> {
        let served = listener.local_addr().and_then(|addr| {
            let (tx, rx) = oneshot::channel();
            serve_router(listener, app, tls, rx, venue).map(|serving| (addr, tx, serving))
        });
        match served {
            Ok((addr, tx, Serving { task, cert_pem })) => Ok(ServerHandle {
                addr,
                shutdown: Some(tx),
                task,
                clock,
                cert_pem,
                streams,
            }),
            Err(e) => {
                clock.abort();
                Err(e)
            }
        }
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDRESS`, or `https://…` under TLS.
    pub(crate) fn base_url(&self) -> String {
        let scheme = if self.cert_pem.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addr)
    }

    /// `ws://ADDRESS`, or `wss://…` under TLS.
    pub(crate) fn ws_base_url(&self) -> String {
        let scheme = if self.cert_pem.is_some() { "wss" } else { "ws" };
        format!("{scheme}://{}", self.addr)
    }

    /// The self-signed certificate (PEM) under TLS; `None` without TLS.
    pub(crate) fn cert_pem(&self) -> Option<String> {
        self.cert_pem.clone()
    }

    /// Closes every stream connection (they see the generation change).
    pub(crate) fn drop_stream_connections(&self) {
        self.streams.send_modify(|g| *g += 1);
    }

    /// Stops the server and waits for it to end (open requests get [`GRACE`]).
    pub(crate) async fn stop(mut self) {
        self.signal_stop();
        let _ = (&mut self.task).await;
    }

    /// Tells the server to stop, closes the stream connections and aborts the clock.
    fn signal_stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.drop_stream_connections();
        self.clock.abort();
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.signal_stop();
    }
}

/// Serves `app` over TLS on `listener` until `shutdown` fires (or its sender is dropped), then
/// lets open requests finish for a moment and ends.
fn serve_tls(
    listener: TcpListener,
    app: Router,
    identity: &TlsIdentity,
    shutdown: oneshot::Receiver<()>,
    venue: &'static str,
) -> io::Result<JoinHandle<()>> {
    let listener = listener.into_std()?;
    let server =
        axum_server::from_tcp_rustls(listener, RustlsConfig::from_config(identity.config.clone()))?;
    let handle = axum_server::Handle::new();
    let stopper = handle.clone();
    Ok(tokio::spawn(async move {
        let watch = tokio::spawn(async move {
            let _ = shutdown.await;
            // A notice sent before the server waits for one would be lost: repeat it until
            // the server has ended (this task is aborted then).
            loop {
                stopper.graceful_shutdown(Some(GRACE));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        let served = server
            .handle(handle)
            .serve(app.into_make_service_with_connect_info::<SocketAddr>())
            .await;
        watch.abort();
        if let Err(err) = served {
            tracing::error!(%err, venue, "simulator (TLS) stopped");
        }
    }))
}
