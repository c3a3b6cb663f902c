//! `rampart preview --venue bybit`: the exact signed Bybit v5 request, without sending it.
//!
//! Bybit signs `timestamp + api_key + recv_window + payload`, where the payload is the query
//! string of a GET (as sent, in the order given) or the JSON body of a POST (byte for byte),
//! and sends the lowercase hex HMAC-SHA256 in `X-BAPI-SIGN` ("Integration Guidance →
//! Authentication for API endpoints → Create A Request"). The output shows the string that was
//! signed too, so a signature made elsewhere can be compared step by step.

use std::io::Read;

use rampart_venues::binance_usdm::signer::push_param;
use rampart_venues::bybit::Signer;
use rampart_venues::bybit::signer::{
    HEADER_API_KEY, HEADER_RECV_WINDOW, HEADER_SIGN, HEADER_TIMESTAMP, string_to_sign,
};
use zeroize::Zeroizing;

use super::{Method, Preview, StdinCredentials};

/// Bybit's mainnet REST address.
const BYBIT_MAINNET: &str = "https://api.bybit.com";
/// Bybit's default `recv_window` ("Create A Request": 5000 in its examples).
const DEFAULT_RECV_WINDOW: u64 = 5000;

/// What to sign, apart from the credentials.
pub struct BybitRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// Query parameters of a GET, in the order given.
    pub params: &'a [(String, String)],
    /// The JSON body of a POST, as given.
    pub body: Option<&'a str>,
    pub timestamp: u64,
    pub recv_window: u64,
    pub base_url: &'a str,
}

/// The signed request as JSON `{method, url, headers, body, stringToSign}`.
pub fn signed_request(
    request: &BybitRequest<'_>,
    api_key: &str,
    api_secret: &str,
) -> Result<serde_json::Value, String> {
    if !request.path.starts_with('/') {
        return Err(format!(
            "--path must start with '/', e.g. /v5/order/create (got '{}')",
            request.path
        ));
    }
    let signer = Signer::new(api_secret).map_err(|e| e.to_string())?;
    let post = match request.method {
        "GET" => false,
        "POST" => true,
        other => return Err(format!("Bybit v5 takes GET and POST only, not {other}")),
    };
    let (query, body) = if post {
        if !request.params.is_empty() {
            return Err("a Bybit POST carries its parameters as a JSON --body, not --param".into());
        }
        let body = request
            .body
            .ok_or("a Bybit POST needs --body with the JSON to send")?;
        serde_json::from_str::<serde_json::Value>(body)
            .map_err(|e| format!("--body is not JSON ({e})"))?;
        (String::new(), body.to_owned())
    } else {
        if request.body.is_some() {
            return Err("a Bybit GET has no body; give its parameters with --param".into());
        }
        let mut query = String::new();
        for (name, value) in request.params {
            push_param(&mut query, name, value);
        }
        (query, String::new())
    };
    let timestamp = request.timestamp.to_string();
    let recv_window = request.recv_window.to_string();
    let payload = if post { &body } else { &query };
    let text = string_to_sign(&timestamp, api_key, &recv_window, payload);
    let signature = signer.sign_text(&text);
    let base = request.base_url.trim_end_matches('/');
    let url = if query.is_empty() {
        format!("{base}{}", request.path)
    } else {
        format!("{base}{}?{query}", request.path)
    };
    let mut headers = serde_json::Map::new();
    headers.insert(HEADER_API_KEY.into(), api_key.into());
    headers.insert(HEADER_TIMESTAMP.into(), timestamp.into());
    headers.insert(HEADER_SIGN.into(), signature.into());
    headers.insert(HEADER_RECV_WINDOW.into(), recv_window.into());
    if post {
        headers.insert("Content-Type".into(), "application/json".into());
    }
    Ok(serde_json::json!({
        "method": request.method,
        "url": url,
        "headers": headers,
        "body": body,
        "stringToSign": text,
    }))
}

/// `rampart preview --venue bybit`: credentials from standard input, the request out.
pub fn preview(args: &Preview) -> Result<serde_json::Value, String> {
    let method = match args.method {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Put | Method::Delete => {
            return Err("Bybit v5 takes GET and POST only".into());
        }
    };
    let mut input = Zeroizing::new(String::new());
    std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| format!("could not read credentials from standard input: {e}"))?;
    let creds: StdinCredentials = serde_json::from_str(&input).map_err(|e| {
        format!("standard input must be JSON {{\"apiKey\": \"...\", \"apiSecret\": \"...\"}} ({e})")
    })?;
    let timestamp = match args.timestamp {
        Some(ms) => ms,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|_| "this machine's clock is before 1970; pass --timestamp".to_owned())?
            .as_millis()
            .try_into()
            .map_err(|_| "this machine's clock is out of range; pass --timestamp".to_owned())?,
    };
    signed_request(
        &BybitRequest {
            method,
            path: &args.path,
            params: &args.params,
            body: args.body.as_deref(),
            timestamp,
            recv_window: args.recv_window.unwrap_or(DEFAULT_RECV_WINDOW),
            base_url: args.base_url.as_deref().unwrap_or(BYBIT_MAINNET),
        },
        &creds.api_key,
        &creds.api_secret,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guides_get_example_is_signed_over_its_string() {
        let params = vec![
            ("category".to_owned(), "option".to_owned()),
            ("symbol".to_owned(), "BTC-29JUL22-25000-C".to_owned()),
        ];
        let out = signed_request(
            &BybitRequest {
                method: "GET",
                path: "/v5/order/realtime",
                params: &params,
                body: None,
                timestamp: 1_658_384_314_791,
                recv_window: 5000,
                base_url: BYBIT_MAINNET,
            },
            "XXXXXXXXXX",
            "XXXXXXXXXX",
        )
        .unwrap();
        assert_eq!(
            out["stringToSign"],
            "1658384314791XXXXXXXXXX5000category=option&symbol=BTC-29JUL22-25000-C"
        );
        assert_eq!(
            out["url"],
            "https://api.bybit.com/v5/order/realtime?category=option&symbol=BTC-29JUL22-25000-C"
        );
    }
}
