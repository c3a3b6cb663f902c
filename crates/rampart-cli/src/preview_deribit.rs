//! `rampart preview --venue deribit`: the exact signed Deribit v2 request for the credentials
//! on standard input (`{"clientId": "...", "clientSecret": "..."}`), without sending it.
//!
//! Two forms, as Deribit's /articles/authentication documents them:
//! - a REST request (`--path /api/v2/private/...`): `Authorization: deri-hmac-sha256
//!   id=…,ts=…,sig=…,nonce=…` over `Timestamp\nNonce\nMETHOD\nURI\nBody\n`, the `--param`s
//!   forming the query of a GET (part of the URI), a POST's `--body` signed byte for byte;
//! - the `client_signature` grant (`--path public/auth`): the params of `public/auth`, signing
//!   `Timestamp\nNonce\nData` (`--param data=…`, empty by default).
//!
//! `--timestamp` (ms) and `--nonce` make a signature reproducible; the output shows the string
//! to sign. The client secret is never printed.

use std::io::Read;

use rampart_venues::deribit::signer::{
    Signer, authorization, grant_string_to_sign, new_nonce, rest_string_to_sign,
};
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::{Method, Preview};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeribitCredentials {
    #[serde(alias = "clientId")]
    client_id: Zeroizing<String>,
    #[serde(alias = "clientSecret")]
    client_secret: Zeroizing<String>,
}

fn query_string(params: &[(String, String)]) -> String {
    let mut s = String::new();
    for (i, (k, v)) in params.iter().enumerate() {
        if i > 0 {
            s.push('&');
        }
        s.push_str(&encode(k));
        s.push('=');
        s.push_str(&encode(v));
    }
    s
}

/// Percent-encodes all but RFC 3986's unreserved characters.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn preview(args: &Preview) -> Result<serde_json::Value, String> {
    let grant = matches!(args.path.as_str(), "public/auth" | "/api/v2/public/auth");
    if !grant && !args.path.starts_with("/api/v2/") {
        return Err(format!(
            "--path must be a Deribit v2 path such as /api/v2/private/get_account_summary, or \
             public/auth for the client-signature grant (got '{}')",
            args.path
        ));
    }
    if args.recv_window.is_some() || args.demo {
        return Err(
            "Deribit has no recvWindow and no demo flag (its test network is \
                    test.deribit.com: give --base-url)"
                .into(),
        );
    }
    let mut input = Zeroizing::new(String::new());
    std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| format!("could not read credentials from standard input: {e}"))?;
    let creds: DeribitCredentials = serde_json::from_str(&input).map_err(|e| {
        format!(
            "standard input must be JSON {{\"clientId\": \"...\", \"clientSecret\": \"...\"}} ({e})"
        )
    })?;
    let signer = Signer::new(&creds.client_secret).ok_or("the client secret is empty")?;
    if creds.client_id.trim().is_empty() {
        return Err("the client id is empty".into());
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
    let nonce = args.nonce.clone().unwrap_or_else(new_nonce);
    if nonce.is_empty() || nonce.contains(['\n', ',', ' ']) {
        return Err("--nonce must be a single word without commas".into());
    }
    let client_id = creds.client_id.trim();
    if grant {
        if args.body.is_some() {
            return Err("the grant has no body: give its data with --param data=...".into());
        }
        let mut data = String::new();
        for (k, v) in &args.params {
            match k.as_str() {
                "data" => data = v.clone(),
                other => {
                    return Err(format!(
                        "the grant takes only --param data=..., not {other}"
                    ));
                }
            }
        }
        let to_sign = grant_string_to_sign(ms, &nonce, &data);
        let mut params = serde_json::json!({
            "grant_type": "client_signature",
            "client_id": client_id,
            "timestamp": ms,
            "signature": signer.sign(&to_sign),
            "nonce": nonce,
        });
        // As the connector sends it: empty data is left out ("treat it as an empty string").
        if !data.is_empty() {
            params["data"] = data.into();
        }
        return Ok(serde_json::json!({
            "method": "public/auth",
            "params": params,
            "stringToSign": to_sign,
        }));
    }
    let method = match args.method {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Put | Method::Delete => return Err("Deribit takes GET and POST only".into()),
    };
    let (uri, body) = if method == "GET" {
        if args.body.is_some() {
            return Err("a GET carries no body: give its parameters with --param".into());
        }
        let query = query_string(&args.params);
        if query.is_empty() {
            (args.path.clone(), String::new())
        } else {
            (format!("{}?{query}", args.path), String::new())
        }
    } else {
        if !args.params.is_empty() {
            return Err("a POST's JSON-RPC request is its --body; --param is for a GET".into());
        }
        (args.path.clone(), args.body.clone().unwrap_or_default())
    };
    let to_sign = rest_string_to_sign(ms, &nonce, method, &uri, &body);
    let sig = signer.sign(&to_sign);
    let base = args
        .base_url
        .as_deref()
        .unwrap_or("https://www.deribit.com")
        .trim_end_matches('/');
    let mut headers = serde_json::Map::new();
    headers.insert(
        "Authorization".into(),
        authorization(client_id, ms, &sig, &nonce).into(),
    );
    if !body.is_empty() {
        headers.insert("Content-Type".into(), "application/json".into());
    }
    Ok(serde_json::json!({
        "method": method,
        "url": format!("{base}{uri}"),
        "headers": headers,
        "body": body,
        "stringToSign": to_sign,
    }))
}
