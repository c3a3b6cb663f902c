//! `rampart sim` standalone: it prints where it serves, answers there, and refuses to listen
//! beyond this machine.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[tokio::test]
async fn serves_on_loopback_and_prints_its_url() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args([
            "sim",
            "--listen",
            "127.0.0.1:0",
            "--api-key",
            "simkey",
            "--api-secret",
            "simsecret",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
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
