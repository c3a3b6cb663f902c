//! `rampart preview` as a user runs it: credentials on standard input, the signed request out.

use std::io::Write;
use std::process::{Command, Stdio};

const DOC_KEY: &str = "dbefbc809e3e83c283a984c3a1459732ea7db1360ca80c5c2c8867408d28cc83";
const DOC_SECRET: &str = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9";

fn run(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A run refused for its arguments exits before reading standard input: a broken pipe here is
    // part of that outcome, which the exit code and stderr below describe.
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

fn doc_order_args(method: &str) -> Vec<String> {
    let mut args: Vec<String> = [
        "preview",
        "--venue",
        "binance-usdm",
        "--method",
        method,
        "--path",
        "/fapi/v1/order",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for p in [
        "symbol=BTCUSDT",
        "side=BUY",
        "type=LIMIT",
        "quantity=1",
        "price=9000",
        "timeInForce=GTC",
    ] {
        args.push("--param".into());
        args.push(p.into());
    }
    args.extend(["--recv-window", "5000", "--timestamp", "1591702613943"].map(String::from));
    args
}

fn creds() -> String {
    format!(r#"{{"apiKey": "{DOC_KEY}", "apiSecret": "{DOC_SECRET}"}}"#)
}

#[test]
fn reproduces_binance_published_post_order_in_the_body() {
    let args = doc_order_args("POST");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, err) = run(&args, &creds());
    assert_eq!(code, 0, "{err}");
    let req: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(req["method"], "POST");
    assert_eq!(req["url"], "https://fapi.binance.com/fapi/v1/order");
    assert_eq!(req["headers"]["X-MBX-APIKEY"], DOC_KEY);
    assert_eq!(
        req["body"],
        "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&recvWindow=5000&timestamp=1591702613943&signature=3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9"
    );
    assert!(
        !out.contains(DOC_SECRET),
        "the secret must never be printed"
    );
}

#[test]
fn get_requests_carry_the_signature_in_the_query_string() {
    let args = doc_order_args("GET");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, _) = run(&args, &creds());
    assert_eq!(code, 0);
    let req: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(req["url"]
        .as_str()
        .unwrap()
        .ends_with("&timestamp=1591702613943&signature=3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9"));
    assert_eq!(req["body"], "");
}

#[test]
fn bad_input_is_a_clear_error_that_shows_no_secret() {
    let args = doc_order_args("POST");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, err) = run(&args, "not json");
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("standard input must be JSON"), "{err}");

    let (code, _, err) = run(
        &args,
        &format!(r#"{{"apiKey": "k", "apiSecret": "{DOC_SECRET}", "extra": 1}}"#),
    );
    assert_eq!(code, 2);
    assert!(!err.contains(DOC_SECRET), "{err}");

    let (code, _, err) = run(
        &["preview", "--method", "POST", "--path", "fapi/v1/order"],
        &creds(),
    );
    assert_eq!(code, 2);
    assert!(err.contains("--path must start with '/'"), "{err}");

    let (code, _, err) = run(
        &[
            "preview", "--method", "POST", "--path", "/x", "--param", "novalue",
        ],
        &creds(),
    );
    assert_ne!(code, 0);
    assert!(err.contains("is not key=value"), "{err}");
}
