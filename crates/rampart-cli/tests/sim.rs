//! `rampart sim` standalone: it prints where it serves, answers there, serves the key permissions
//! its flags set, and refuses to listen beyond this machine.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `rampart sim <extra> --listen 127.0.0.1:0` with one account, its standard output piped.
fn sim_on_loopback(extra: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rampart"));
    command
        .arg("sim")
        .args(extra)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--api-key",
            "simkey",
            "--api-secret",
            "simsecret",
        ])
        .stdout(Stdio::piped());
    command
}

#[tokio::test]
async fn serves_on_loopback_and_prints_its_url() {
    let mut child = sim_on_loopback(&[]).stderr(Stdio::piped()).spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let deadline = Instant::now() + Duration::from_secs(20);
    let url = loop {
        assert!(Instant::now() < deadline, "no REST line printed");
        let line = lines
            .next()
            .expect("the simulator printed its URL")
            .unwrap();
        if let Some(url) = line.strip_prefix("REST: ") {
            break url.to_owned();
        }
    };
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let time: serde_json::Value = reqwest::get(format!("{url}/time"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(time["serverTime"].as_i64().unwrap() > 1_700_000_000_000);
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn refuses_a_non_loopback_address() {
    let out = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args([
            "sim",
            "--listen",
            "0.0.0.0:0",
            "--api-key",
            "k",
            "--api-secret",
            "s",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a loopback address"));
}

/// Reads the child's standard output on a thread, so a silent child cannot hang the test.
fn printed_lines(stdout: std::process::ChildStdout) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Kills the child however the test ends.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn serves_tls_13_with_the_certificate_it_prints() {
    let mut child = KillOnDrop(
        sim_on_loopback(&["--tls"])
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let lines = printed_lines(child.0.stdout.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(20);
    let (mut rest, mut ws, mut cert) = (None, None, None);
    while rest.is_none() || ws.is_none() || cert.is_none() {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = lines
            .recv_timeout(left)
            .expect("the simulator printed its REST, WS and CERT lines in time");
        if let Some(v) = line.strip_prefix("REST: ") {
            rest = Some(v.to_owned());
        } else if let Some(v) = line.strip_prefix("WS: ") {
            ws = Some(v.to_owned());
        } else if let Some(v) = line.strip_prefix("CERT: ") {
            cert = Some(v.to_owned());
        }
    }
    let (rest, ws, cert) = (rest.unwrap(), ws.unwrap(), cert.unwrap());
    assert!(rest.starts_with("https://127.0.0.1:"), "{rest}");
    assert!(ws.starts_with("wss://127.0.0.1:"), "{ws}");

    let pem = std::fs::read(&cert).unwrap();
    assert!(String::from_utf8_lossy(&pem).contains("BEGIN CERTIFICATE"));
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&pem).unwrap()])
        .tls_version_min(reqwest::tls::Version::TLS_1_3)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let time: serde_json::Value = client
        .get(format!("{rest}/time"))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(time["serverTime"].as_i64().unwrap() > 1_700_000_000_000);

    // Without trusting the printed certificate, the same request fails.
    let untrusting = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    assert!(untrusting.get(format!("{rest}/time")).send().await.is_err());
    drop(child);
}

#[tokio::test]
async fn key_permission_flags_set_what_the_key_may_do() {
    let mut child = KillOnDrop(
        sim_on_loopback(&["--read-only", "--enable-withdrawals", "--ip-restrict"])
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let lines = printed_lines(child.0.stdout.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(20);
    let (mut rest, mut key) = (None, None);
    while rest.is_none() || key.is_none() {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = lines
            .recv_timeout(left)
            .expect("the simulator printed its REST and KEY lines in time");
        if let Some(v) = line.strip_prefix("REST: ") {
            rest = Some(v.to_owned());
        } else if let Some(v) = line.strip_prefix("KEY: ") {
            key = Some(v.to_owned());
        }
    }
    let (rest, key) = (rest.unwrap(), key.unwrap());
    assert_eq!(
        key,
        "enableReading=true enableFutures=false enableWithdrawals=true \
         enableInternalTransfer=false permitsUniversalTransfer=false ipRestrict=true"
    );

    // The served key reports the same, signed and read as Rampart reads it.
    let base = rest.strip_suffix("/fapi/v1").unwrap();
    let client =
        rampart_venues::binance_usdm::RestClient::new(base, "simkey", "simsecret").unwrap();
    client.sync_clock().await.unwrap();
    let served = client.api_restrictions().await.unwrap().unwrap();
    assert!(served.enable_reading && !served.enable_futures);
    assert!(served.enable_withdrawals && served.ip_restrict);
    assert!(!served.enable_internal_transfer && !served.permits_universal_transfer);
    // Read-only: the account reads but may not change its leverage.
    assert!(client.balances_v3().await.is_ok());
    let refused = client.set_leverage("BTCUSDT", 5).await.unwrap_err();
    assert_eq!(refused.venue_code(), Some(-2015), "{refused:?}");
    drop(child);
}

#[test]
fn key_permission_flags_are_documented_in_help() {
    let out = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(["sim", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--read-only",
        "--enable-withdrawals",
        "--enable-internal-transfer",
        "--enable-universal-transfer",
        "--ip-restrict",
    ] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
}
