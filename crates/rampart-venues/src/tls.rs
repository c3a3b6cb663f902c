//! TLS for the connector's WebSocket streams: rustls with the aws-lc-rs provider, TLS 1.3 only,
//! certificates checked by the platform verifier (the OS trust store, as the REST client's
//! reqwest does), plus at most one extra trusted root for the simulator's self-signed
//! certificate on loopback. Plain `ws://` is accepted only to this machine.

use std::sync::Arc;

use rustls::ClientConfig;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// What went wrong setting up a secure stream, split by cause.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The URL is not `wss://`, or `ws://` to a host other than loopback.
    #[error(
        "refusing {0}: Rampart opens venue streams over wss only (plain ws only to this machine)"
    )]
    InsecureUrl(String),
    /// The extra root is not a PEM certificate.
    #[error("the extra trusted certificate is not a PEM certificate: {0}")]
    BadPem(String),
    /// rustls or the platform verifier refused the configuration (e.g. no usable trust store).
    #[error("TLS could not be set up: {0}")]
    Config(#[from] rustls::Error),
}

/// A client configuration for `wss://`: TLS 1.3 only, aws-lc-rs, the OS trust store through
/// rustls-platform-verifier, plus every certificate in `extra_root_pem` as a trusted root (the
/// simulator's self-signed certificate; `None` for real venues).
pub fn client_config(extra_root_pem: Option<&str>) -> Result<Arc<ClientConfig>, TlsError> {
    let extra = match extra_root_pem {
        Some(pem) => parse_roots(pem)?,
        None => Vec::new(),
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = if extra.is_empty() {
        rustls_platform_verifier::Verifier::new(provider.clone())?
    } else {
        rustls_platform_verifier::Verifier::new_with_extra_roots(extra, provider.clone())?
    };
    let config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .dangerous()
        // Not a bypass: the platform verifier is the full chain + name + expiry check.
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Every `CERTIFICATE` block in `pem`; at least one.
fn parse_roots(pem: &str) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let roots = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::BadPem(e.to_string()))?;
    if roots.is_empty() {
        return Err(TlsError::BadPem("no CERTIFICATE block found".into()));
    }
    Ok(roots)
}

/// Whether `url`'s host is this machine: a loopback address, or `localhost`.
pub(crate) fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Whether a WebSocket URL needs TLS: `wss://` anywhere, `ws://` only to loopback; anything else
/// is refused. Returns the URL without a trailing slash.
pub fn check_ws_base(base: &str) -> Result<(String, bool), TlsError> {
    let url = url::Url::parse(base).map_err(|_| TlsError::InsecureUrl(base.into()))?;
    let loopback = is_loopback(&url);
    let trimmed = base.trim_end_matches('/').to_owned();
    match url.scheme() {
        "wss" => Ok((trimmed, true)),
        "ws" if loopback => Ok((trimmed, false)),
        _ => Err(TlsError::InsecureUrl(base.into())),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn plain_ws_only_to_loopback() {
        for good in [
            "wss://fstream.binance.com/market",
            "wss://fstream.binancefuture.com",
            "ws://127.0.0.1:9000",
            "ws://[::1]:9000/",
            "ws://localhost:9000",
            "wss://127.0.0.1:9443",
        ] {
            assert!(check_ws_base(good).is_ok(), "{good}");
        }
        assert_eq!(
            check_ws_base("ws://127.0.0.1:9000/").unwrap(),
            ("ws://127.0.0.1:9000".to_owned(), false)
        );
        assert!(check_ws_base("wss://fstream.binance.com/").unwrap().1);
        for bad in [
            "ws://fstream.binance.com",
            "ws://10.0.0.1:9000",
            "ws://192.168.1.2",
            "http://127.0.0.1:9000",
            "https://fstream.binance.com",
            "not a url",
        ] {
            assert!(
                matches!(check_ws_base(bad), Err(TlsError::InsecureUrl(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn extra_root_must_be_a_pem_certificate() {
        assert!(matches!(
            client_config(Some("hello")),
            Err(TlsError::BadPem(_))
        ));
        assert!(matches!(
            client_config(Some("-----BEGIN CERTIFICATE-----\nAAAA")),
            Err(TlsError::BadPem(_))
        ));
    }

    /// A self-signed certificate for `localhost` and 127.0.0.1 (EC P-256, not a CA, valid until
    /// 2126), standing in for the simulator's; made for these tests only.
    pub(crate) const TEST_CERT: &str = "\
-----BEGIN CERTIFICATE-----
MIIB2DCCAX2gAwIBAgIUMVBnikGk+8EHZFAmBH4dtLNk4FMwCgYIKoZIzj0EAwIw
IDEeMBwGA1UEAwwVcmFtcGFydCB0ZXN0IGxvb3BiYWNrMCAXDTI2MTEyNTIyMDMz
NloYDzIxMjYxMTAxMjIwMzM2WjAgMR4wHAYDVQQDDBVyYW1wYXJ0IHRlc3QgbG9v
cGJhY2swWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAASpBjTMj8RaI+vkQleobvVK
mywG+Pf7eIBX2XPQSqLksGLu5ytKm9yfTv2fkZyUoAkZMINfcNg/7yzfqT7GOSI3
o4GSMIGPMB0GA1UdDgQWBBTowS2tBwmc7gOQ/PnwVBLHnyfjZTAfBgNVHSMEGDAW
gBTowS2tBwmc7gOQ/PnwVBLHnyfjZTAaBgNVHREEEzARgglsb2NhbGhvc3SHBH8A
AAEwDAYDVR0TAQH/BAIwADATBgNVHSUEDDAKBggrBgEFBQcDATAOBgNVHQ8BAf8E
BAMCB4AwCgYIKoZIzj0EAwIDSQAwRgIhAOMlp6JbLAD0uU+rMxi9oYgzhGZfjKup
cQlyf8hNskrXAiEAlXnBnQq8bAl+kxpliVDNwLlnvatJ08rUWcV9XSFqQ6A=
-----END CERTIFICATE-----
";
    pub(crate) const TEST_KEY: &str = "\
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg/pS6R1UXa6g9B5SY
//QOBh7JJXcVwNl7Ozljo1/sUD2hRANCAASpBjTMj8RaI+vkQleobvVKmywG+Pf7
eIBX2XPQSqLksGLu5ytKm9yfTv2fkZyUoAkZMINfcNg/7yzfqT7GOSI3
-----END PRIVATE KEY-----
";

    /// A server configuration speaking only `version`, with [`TEST_CERT`] and [`TEST_KEY`].
    pub(crate) fn test_server_config(
        version: &'static rustls::SupportedProtocolVersion,
    ) -> rustls::ServerConfig {
        use rustls::pki_types::PrivateKeyDer;

        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[version])
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from_pem_slice(TEST_CERT.as_bytes()).unwrap()],
                PrivateKeyDer::from_pem_slice(TEST_KEY.as_bytes()).unwrap(),
            )
            .unwrap()
    }

    /// A one-connection TLS server on 127.0.0.1 speaking only `version`; it writes "ok".
    fn tls_server(version: &'static rustls::SupportedProtocolVersion) -> u16 {
        use std::io::Write;

        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let config = test_server_config(version);
        std::thread::spawn(move || {
            let (socket, _) = listener.accept().unwrap();
            let conn = rustls::ServerConnection::new(Arc::new(config)).unwrap();
            let mut tls = rustls::StreamOwned::new(conn, socket);
            let _ = tls.write_all(b"ok");
            let _ = tls.flush();
        });
        port
    }

    fn talk(config: Arc<ClientConfig>, port: u16) -> Result<String, std::io::Error> {
        use std::io::Read;

        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let conn = rustls::ClientConnection::new(config, name).unwrap();
        let socket = std::net::TcpStream::connect(("127.0.0.1", port))?;
        socket.set_read_timeout(Some(std::time::Duration::from_secs(5)))?;
        let mut tls = rustls::StreamOwned::new(conn, socket);
        let mut buf = [0u8; 2];
        tls.read_exact(&mut buf)?;
        Ok(String::from_utf8_lossy(&buf).into_owned())
    }

    #[test]
    fn trusts_the_extra_root_over_tls13() {
        let config = client_config(Some(TEST_CERT)).unwrap();
        assert_eq!(
            talk(config, tls_server(&rustls::version::TLS13)).unwrap(),
            "ok"
        );
    }

    #[test]
    fn refuses_tls12() {
        let config = client_config(Some(TEST_CERT)).unwrap();
        let err = talk(config, tls_server(&rustls::version::TLS12)).unwrap_err();
        assert!(err.to_string().contains("ProtocolVersion"), "{err}");
    }

    #[test]
    fn refuses_a_certificate_nobody_vouches_for() {
        // Without the extra root, the self-signed certificate is unknown to the OS trust store.
        // The machine must have one (scripts/setup.sh installs ca-certificates): a verifier that
        // cannot start would refuse everything, and this test would prove nothing.
        let config = client_config(None).expect("the OS trust store (ca-certificates)");
        let err = talk(config, tls_server(&rustls::version::TLS13)).unwrap_err();
        assert!(err.to_string().contains("UnknownIssuer"), "{err}");
    }

    #[test]
    fn an_extra_root_vouches_for_its_own_certificate_only() {
        // Another self-signed certificate for the same name, trusted: the server's is still
        // nobody's.
        let other = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let config = client_config(Some(&other.cert.pem())).unwrap();
        let err = talk(config, tls_server(&rustls::version::TLS13)).unwrap_err();
        assert!(err.to_string().contains("UnknownIssuer"), "{err}");
    }
}
