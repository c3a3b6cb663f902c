//! `rampart preview --venue okx`: the exact signed OKX v5 request for the credentials on
//! standard input (`{"apiKey": "...", "apiSecret": "...", "passphrase": "..."}`), without
//! sending it.
//!
//! OKX signs `timestamp + METHOD + requestPath + body` (HMAC-SHA256, Base64; "REST
//! Authentication → Signature"): for GET the `--param`s form the query string, part of
//! requestPath; for POST the `--body` is signed and sent byte for byte (or, without `--body`,
//! a JSON object of the `--param`s as strings, in the order given). `--timestamp` is in ms and
//! becomes OK-ACCESS-TIMESTAMP in ISO form. The output also shows the string to sign. The
//! passphrase header is shown redacted: it is not part of the signature.

use std::io::Read;

use rampart_venues::okx::rest::query_string;
use rampart_venues::okx::signer::{
    KEY_HEADER, PASSPHRASE_HEADER, SIGN_HEADER, SIMULATED_HEADER, Signer, TIMESTAMP_HEADER,
    iso_timestamp, prehash,
};
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::{Method, Preview};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OkxCredentials {
    api_key: Zeroizing<String>,
    api_secret: Zeroizing<String>,
    passphrase: Zeroizing<String>,
}

/// A JSON object of `params` as strings, in the order given.
fn json_object(params: &[(String, String)]) -> Result<String, String> {
    let mut out = String::from("{");
    for (i, (k, v)) in params.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let key = serde_json::to_string(k).map_err(|e| e.to_string())?;
        let value = serde_json::to_string(v).map_err(|e| e.to_string())?;
        out.push_str(&key);
        out.push(':');
        out.push_str(&value);
    }
    out.push('}');
    Ok(out)
}

pub fn preview(args: &Preview) -> Result<serde_json::Value, String> {
    if !args.path.starts_with("/api/v5/") {
        return Err(format!(
            "--path must be an OKX v5 path such as /api/v5/trade/order (got '{}')",
            args.path
        ));
    }
    let method = match args.method {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Put | Method::Delete => {
            return Err("OKX v5 takes GET and POST only".into());
        }
    };
    if method == "GET" && args.body.is_some() {
        return Err("a GET carries no body: give its parameters with --param".into());
    }
    if args.recv_window.is_some() {
        return Err("OKX has no recvWindow: a request expires 30 s after its timestamp".into());
    }
    let mut input = Zeroizing::new(String::new());
    std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| format!("could not read credentials from standard input: {e}"))?;
    let creds: OkxCredentials = serde_json::from_str(&input).map_err(|e| {
        format!(
            "standard input must be JSON {{\"apiKey\": \"...\", \"apiSecret\": \"...\", \
             \"passphrase\": \"...\"}} ({e})"
        )
    })?;
    let signer = Signer::new(&creds.api_secret).ok_or("the API secret is empty")?;
    if creds.passphrase.is_empty() {
        return Err("the passphrase is empty".into());
    }
    let ms: i64 = match args.timestamp {
        Some(ms) => i64::try_from(ms).map_err(|_| "--timestamp is out of range".to_owned())?,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|_| "this machine's clock is before 1970; pass --timestamp".to_owned())?
            .as_millis()
            .try_into()
            .map_err(|_| "this machine's clock is out of range; pass --timestamp".to_owned())?,
    };
    let timestamp = iso_timestamp(ms);
    let (request_path, body) = if method == "GET" {
        let mut query = query_string(args.params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        if !query.is_empty() {
            query.insert(0, '?');
        }
        (format!("{}{query}", args.path), String::new())
    } else {
        let body = match &args.body {
            Some(b) => b.clone(),
            None if args.params.is_empty() => String::new(),
            None => json_object(&args.params)?,
        };
        if method == "POST" && args.body.is_some() && !args.params.is_empty() {
            return Err("give a POST's parameters either as --body or as --param, not both".into());
        }
        (args.path.clone(), body)
    };
    let to_sign = prehash(&timestamp, method, &request_path, &body);
    let sign = signer.sign(&to_sign);
    let base = args
        .base_url
        .as_deref()
        .unwrap_or("https://www.okx.com")
        .trim_end_matches('/');
    let mut headers = serde_json::Map::new();
    headers.insert(KEY_HEADER.into(), creds.api_key.as_str().into());
    headers.insert(SIGN_HEADER.into(), sign.into());
    headers.insert(TIMESTAMP_HEADER.into(), timestamp.into());
    headers.insert(PASSPHRASE_HEADER.into(), "<redacted>".into());
    if !body.is_empty() {
        headers.insert("Content-Type".into(), "application/json".into());
    }
    if args.demo {
        headers.insert(SIMULATED_HEADER.into(), "1".into());
    }
    Ok(serde_json::json!({
        "method": method,
        "url": format!("{base}{request_path}"),
        "headers": headers,
        "body": body,
        "stringToSign": to_sign,
    }))
}
