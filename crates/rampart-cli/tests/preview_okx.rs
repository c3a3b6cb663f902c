//! `rampart preview --venue okx` as a user runs it: credentials on standard input, the signed
//! request out, reproducing the string to sign of OKX's documentation examples.

use std::io::Write;
use std::process::{Command, Stdio};

const CREDS: &str = r#"{"apiKey":"985d5b66-57ce-40fb-b714-afc0b9787083","apiSecret":"22582BD0CFF14C41EDBF1AB98506286D","passphrase":"Rampart1!"}"#;

fn run(args: &[&str], stdin: &str) -> (i32, serde_json::Value, String) {
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
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    (
        out.status.code().unwrap_or(-1),
        serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_documented_get_example_is_signed_as_documented() {
    // Docs: timestamp 2020-12-08T09:08:57.715Z, GET /api/v5/account/balance?ccy=BTC.
    let (code, out, err) = run(
        &[
            "preview",
            "--venue",
            "okx",
            "--method",
            "GET",
            "--path",
            "/api/v5/account/balance",
            "--param",
            "ccy=BTC",
            "--timestamp",
            "1607418537715",
        ],
        CREDS,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out["stringToSign"],
        "2020-12-08T09:08:57.715ZGET/api/v5/account/balance?ccy=BTC"
    );
    assert_eq!(
        out["url"],
        "https://www.okx.com/api/v5/account/balance?ccy=BTC"
    );
    // openssl dgst -sha256 -hmac 22582BD0CFF14C41EDBF1AB98506286D -binary | base64
    assert_eq!(
        out["headers"]["OK-ACCESS-SIGN"],
        "HiZhvSfMtWJA3uUIVXV3a/bSXNPCWvYFXoGCVS8V4zY="
    );
    assert_eq!(
        out["headers"]["OK-ACCESS-TIMESTAMP"],
        "2020-12-08T09:08:57.715Z"
    );
    assert_eq!(out["headers"]["OK-ACCESS-PASSPHRASE"], "<redacted>");
    assert_eq!(out["body"], "");

    // The same time as OKX writes it signs the same.
    let (code, iso, err) = run(
        &[
            "preview",
            "--venue",
            "okx",
            "--method",
            "GET",
            "--path",
            "/api/v5/account/balance",
            "--param",
            "ccy=BTC",
            "--timestamp",
            "2020-12-08T09:08:57.715Z",
        ],
        CREDS,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(iso["headers"], out["headers"]);
}

#[test]
fn the_documented_post_body_is_signed_byte_for_byte() {
    let body = r#"{"instId":"BTC-USDT","lever":"5","mgnMode":"isolated"}"#;
    let (code, out, err) = run(
        &[
            "preview",
            "--venue",
            "okx",
            "--method",
            "POST",
            "--path",
            "/api/v5/account/set-leverage",
            "--body",
            body,
            "--timestamp",
            "1607418537715",
            "--demo",
        ],
        CREDS,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out["body"], body);
    assert_eq!(
        out["stringToSign"],
        format!("2020-12-08T09:08:57.715ZPOST/api/v5/account/set-leverage{body}")
    );
    assert_eq!(
        out["headers"]["OK-ACCESS-SIGN"],
        "eCnnCgWLjlQ9XnpUkrcny3qNq3WW/81KNrDr/XR6Xv8="
    );
    assert_eq!(out["headers"]["x-simulated-trading"], "1");
    // The same body from --param, in the order given.
    let (_, again, _) = run(
        &[
            "preview",
            "--venue",
            "okx",
            "--method",
            "POST",
            "--path",
            "/api/v5/account/set-leverage",
            "--param",
            "instId=BTC-USDT",
            "--param",
            "lever=5",
            "--param",
            "mgnMode=isolated",
            "--timestamp",
            "1607418537715",
        ],
        CREDS,
    );
    assert_eq!(again["body"], body);
}

#[test]
fn missing_passphrase_and_wrong_paths_are_refused_without_output() {
    let (code, out, err) = run(
        &[
            "preview",
            "--venue",
            "okx",
            "--method",
            "GET",
            "--path",
            "/api/v5/account/balance",
        ],
        r#"{"apiKey":"k","apiSecret":"s"}"#,
    );
    assert_eq!(code, 2);
    assert_eq!(out, serde_json::Value::Null);
    assert!(err.contains("passphrase"), "{err}");
    let (code, _, err) = run(
        &[
            "preview",
            "--venue",
            "okx",
            "--method",
            "GET",
            "--path",
            "/fapi/v1/order",
        ],
        CREDS,
    );
    assert_eq!(code, 2);
    assert!(err.contains("/api/v5/"), "{err}");
}
