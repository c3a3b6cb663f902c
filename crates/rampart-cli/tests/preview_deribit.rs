//! `rampart preview --venue deribit` as a user runs it: credentials on standard input, the
//! signed request (or the client-signature grant) out, reproducing both worked examples of
//! Deribit's /articles/authentication (client id AMANDA, timestamp 1576074319000, nonce
//! 1iqt2wls).

use std::io::Write;
use std::process::{Command, Stdio};

const CREDS: &str = r#"{"clientId":"AMANDA","clientSecret":"AMANDASECRECT"}"#;

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
fn the_documented_rest_example_is_reproduced() {
    let (code, out, err) = run(
        &[
            "preview",
            "--venue",
            "deribit",
            "--method",
            "GET",
            "--path",
            "/api/v2/private/get_account_summary",
            "--param",
            "currency=BTC",
            "--timestamp",
            "1576074319000",
            "--nonce",
            "1iqt2wls",
        ],
        CREDS,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out["stringToSign"],
        "1576074319000\n1iqt2wls\nGET\n/api/v2/private/get_account_summary?currency=BTC\n\n"
    );
    assert_eq!(
        out["url"],
        "https://www.deribit.com/api/v2/private/get_account_summary?currency=BTC"
    );
    assert_eq!(
        out["headers"]["Authorization"],
        "deri-hmac-sha256 id=AMANDA,ts=1576074319000,\
         sig=9bfbc51a2bc372d72cc396cf1a213dc78d42eb74cb7dc272351833ad0de276ab,nonce=1iqt2wls"
    );
    assert_eq!(out["body"], "");
    assert!(
        !out.to_string().contains("AMANDASECRECT"),
        "the secret is never printed"
    );
}

#[test]
fn the_documented_client_signature_grant_is_reproduced() {
    let (code, out, err) = run(
        &[
            "preview",
            "--venue",
            "deribit",
            "--method",
            "POST",
            "--path",
            "public/auth",
            "--timestamp",
            "1576074319000",
            "--nonce",
            "1iqt2wls",
        ],
        CREDS,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out["method"], "public/auth");
    assert_eq!(out["stringToSign"], "1576074319000\n1iqt2wls\n");
    let p = &out["params"];
    assert_eq!(p["grant_type"], "client_signature");
    assert_eq!(p["client_id"], "AMANDA");
    assert_eq!(p["timestamp"], 1_576_074_319_000_i64);
    assert_eq!(p["nonce"], "1iqt2wls");
    assert!(p.get("data").is_none(), "empty data is left out");
    assert_eq!(
        p["signature"],
        "56590594f97921b09b18f166befe0d1319b198bbcdad7ca73382de2f88fe9aa1"
    );
    assert!(!out.to_string().contains("AMANDASECRECT"));
}

#[test]
fn grant_data_is_signed_and_sent() {
    let (code, out, err) = run(
        &[
            "preview",
            "--venue",
            "deribit",
            "--method",
            "POST",
            "--path",
            "public/auth",
            "--timestamp",
            "1576074319000",
            "--nonce",
            "1iqt2wls",
            "--param",
            "data=rampart",
        ],
        CREDS,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out["stringToSign"], "1576074319000\n1iqt2wls\nrampart");
    assert_eq!(out["params"]["data"], "rampart");
    // printf '1576074319000\n1iqt2wls\nrampart' | openssl dgst -sha256 -hmac AMANDASECRECT
    assert_eq!(
        out["params"]["signature"],
        "80bec4af32b99dd21610478c4e7609fd893590951682d0c6e9a1afe6a11e6a8d"
    );
}

#[test]
fn a_post_body_is_signed_byte_for_byte_and_bad_input_is_named() {
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"private/buy","params":{"instrument_name":"BTC-PERPETUAL","amount":10}}"#;
    let (code, out, err) = run(
        &[
            "preview",
            "--venue",
            "deribit",
            "--method",
            "POST",
            "--path",
            "/api/v2/private/buy",
            "--body",
            body,
            "--timestamp",
            "1576074319000",
            "--nonce",
            "n1",
        ],
        CREDS,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out["body"], body);
    assert_eq!(
        out["stringToSign"],
        format!("1576074319000\nn1\nPOST\n/api/v2/private/buy\n{body}\n")
    );
    let (code, _, err) = run(
        &[
            "preview",
            "--venue",
            "deribit",
            "--method",
            "GET",
            "--path",
            "/fapi/v1/order",
        ],
        CREDS,
    );
    assert_eq!(code, 2);
    assert!(err.contains("/api/v2/"), "{err}");
    let (code, _, err) = run(
        &[
            "preview",
            "--venue",
            "deribit",
            "--method",
            "GET",
            "--path",
            "/api/v2/public/test",
        ],
        r#"{"apiKey":"x","apiSecret":"y"}"#,
    );
    assert_eq!(code, 2);
    assert!(err.contains("clientId"), "{err}");
}
