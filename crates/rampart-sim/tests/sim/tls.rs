//! The simulator over TLS, as a client that trusts only its certificate sees it: TLS 1.3 only
//! (a TLS 1.2-only client is refused), REST over https:// and streams over wss://, and a stop
//! that ends it.

use std::sync::Arc;

use super::support::{WAIT, closes, next_json};
use futures_util::SinkExt;
use rampart_sim::binance_usdm::{SimConfig, SimServer};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

async fn tls_sim() -> SimServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    SimServer::start_tls(listener, SimConfig::default()).unwrap()
}

fn pem_of(server: &SimServer) -> String {
    server
        .cert_pem()
        .expect("a TLS simulator has a certificate")
}

/// A reqwest client that trusts only the simulator's certificate.
fn https_client(server: &SimServer, max: Option<reqwest::tls::Version>) -> reqwest::Client {
    let cert = reqwest::Certificate::from_pem(pem_of(server).as_bytes()).unwrap();
    let mut builder = reqwest::Client::builder()
        .tls_certs_only([cert])
        .timeout(WAIT);
    if let Some(max) = max {
        builder = builder.tls_version_max(max);
    }
    builder.build().unwrap()
}

async fn server_time(client: &reqwest::Client, base: &str) -> reqwest::Result<Value> {
    client
        .get(format!("{base}/fapi/v1/time"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await
}

#[tokio::test]
async fn urls_and_certificate_follow_the_mode() {
    let plain_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let plain = SimServer::start(plain_listener, SimConfig::default()).unwrap();
    assert!(plain.cert_pem().is_none());
    assert!(plain.base_url().starts_with("http://127.0.0.1:"));
    assert!(plain.ws_base_url().starts_with("ws://127.0.0.1:"));

    let tls = tls_sim().await;
    let pem = pem_of(&tls);
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    assert_eq!(tls.base_url(), format!("https://{}", tls.addr()));
    assert_eq!(tls.ws_base_url(), format!("wss://{}", tls.addr()));
    plain.stop().await;
    tls.stop().await;
}

#[tokio::test]
async fn a_tls_13_client_trusting_the_certificate_gets_rest() {
    let server = tls_sim().await;
    let client = https_client(&server, None);
    let time = server_time(&client, &server.base_url()).await.unwrap();
    assert!(time["serverTime"].as_i64().unwrap() > 1_700_000_000_000);

    // By name as well as by address: the certificate covers localhost.
    let by_name = format!("https://localhost:{}", server.addr().port());
    let time = server_time(&client, &by_name).await.unwrap();
    assert!(time["serverTime"].as_i64().is_some());
    server.stop().await;
}

#[tokio::test]
async fn a_tls_12_only_client_is_refused() {
    let server = tls_sim().await;
    let old = https_client(&server, Some(reqwest::tls::Version::TLS_1_2));
    let refused = server_time(&old, &server.base_url()).await;
    assert!(refused.is_err(), "TLS 1.2 must be refused: {refused:?}");

    // The same client allowed TLS 1.3 gets in: the refusal was the version, not the trust.
    let current = https_client(&server, Some(reqwest::tls::Version::TLS_1_3));
    server_time(&current, &server.base_url()).await.unwrap();
    server.stop().await;
}

#[tokio::test]
async fn a_client_that_does_not_trust_the_certificate_is_refused() {
    let server = tls_sim().await;
    let other = tls_sim().await;
    // Trusting another simulator's certificate is not trusting this one.
    let client = https_client(&other, None);
    assert!(server_time(&client, &server.base_url()).await.is_err());
    server.stop().await;
    other.stop().await;
}

/// A rustls client configuration (TLS 1.3) whose only root is the simulator's certificate.
fn trusting(server: &SimServer) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    let cert = CertificateDer::from_pem_slice(pem_of(server).as_bytes()).unwrap();
    roots.add(cert).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

#[tokio::test]
async fn streams_work_over_wss() {
    let server = tls_sim().await;
    let connector = tokio_tungstenite::Connector::Rustls(trusting(&server));
    let url = format!("{}/ws", server.ws_base_url());
    let (mut client, _) = tokio::time::timeout(
        WAIT,
        tokio_tungstenite::connect_async_tls_with_config(url, None, false, Some(connector)),
    )
    .await
    .expect("handshake in time")
    .expect("wss handshake accepted");
    client
        .send(Message::text(r#"{"method":"LIST_SUBSCRIPTIONS","id":7}"#))
        .await
        .unwrap();
    let answer = next_json(&mut client).await;
    assert_eq!(answer, json!({ "result": [], "id": 7 }));

    // stop() ends the upgraded connection as well as the listener.
    tokio::time::timeout(WAIT, server.stop())
        .await
        .expect("stop returns in time");
    assert!(
        closes(&mut client).await,
        "the wss connection ended with the server"
    );
}

#[tokio::test]
async fn stop_ends_the_tls_listener() {
    let server = tls_sim().await;
    let base = server.base_url();
    let client = https_client(&server, None);
    server_time(&client, &base).await.unwrap();
    tokio::time::timeout(WAIT, server.stop())
        .await
        .expect("stop returns in time");
    // Nobody listens any more.
    let connect = tokio::net::TcpStream::connect(base.trim_start_matches("https://")).await;
    assert!(connect.is_err(), "nothing listens after stop");
}
