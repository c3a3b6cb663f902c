//! `rampart preview --venue bybit` as a user runs it: credentials on standard input, the signed
//! request out, over the strings Bybit's guide publishes ("Create A Request").

use std::io::Write;
use std::process::{Command, Stdio};

fn run(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    match child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => panic!("write to rampart's standard input: {e}"),
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The guide's sample key, used as the secret too (the guide's own secret is unpublished).
const CREDS: &str = r#"{"apiKey": "XXXXXXXXXX", "apiSecret": "XXXXXXXXXX"}"#;

#[test]
fn the_guides_get_example_reproduces_its_string_to_sign() {
    let (code, out, err) = run(
        &[
            "preview",
            "--venue",
            "bybit",
            "--method",
            "GET",
            "--path",
            "/v5/order/realtime",
            "--param",
            "category=option",
            "--param",
            "symbol=BTC-29JUL22-25000-C",
            "--timestamp",
            "1658384314791",
            "--recv-window",
            "5000",
        ],
        CREDS,
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["stringToSign"],
        "1658384314791XXXXXXXXXX5000category=option&symbol=BTC-29JUL22-25000-C"
    );
    assert_eq!(v["method"], "GET");
    assert_eq!(
        v["url"],
        "https://api.bybit.com/v5/order/realtime?category=option&symbol=BTC-29JUL22-25000-C"
    );
    assert_eq!(v["headers"]["X-BAPI-API-KEY"], "XXXXXXXXXX");
    assert_eq!(v["headers"]["X-BAPI-TIMESTAMP"], "1658384314791");
    assert_eq!(v["headers"]["X-BAPI-RECV-WINDOW"], "5000");
    // HMAC-SHA256 of that string with the secret "XXXXXXXXXX", from Python's hmac module.
    assert_eq!(
        v["headers"]["X-BAPI-SIGN"],
        "c00720f96c5934ca7057ac28ae65b823f83b8b67a8fe784e7795ca0fa3c148ec"
    );
    assert_eq!(v["body"], "");
}

#[test]
fn the_guides_post_example_signs_the_body_byte_for_byte() {
    let (code, out, err) = run(
        &[
            "preview",
            "--venue",
            "bybit",
            "--method",
            "POST",
            "--path",
            "/v5/order/create",
            "--body",
            r#"{"category": "option"}"#,
            "--timestamp",
            "1658385579423",
            "--base-url",
            "https://api-testnet.bybit.com",
        ],
        CREDS,
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["stringToSign"],
        r#"1658385579423XXXXXXXXXX5000{"category": "option"}"#
    );
    assert_eq!(v["url"], "https://api-testnet.bybit.com/v5/order/create");
    assert_eq!(v["body"], r#"{"category": "option"}"#);
    assert_eq!(v["headers"]["Content-Type"], "application/json");
    assert_eq!(
        v["headers"]["X-BAPI-SIGN"],
        "fbb4648b585b3e62de2c4eaecc8f3b6066aa18e98cc300eaff4d87f15b55724a"
    );
}

#[test]
fn a_post_without_a_json_body_is_refused_with_a_sentence() {
    let (code, _, err) = run(
        &[
            "preview",
            "--venue",
            "bybit",
            "--method",
            "POST",
            "--path",
            "/v5/order/create",
            "--param",
            "category=linear",
        ],
        CREDS,
    );
    assert_eq!(code, 2);
    assert!(err.contains("--body"), "{err}");
}
