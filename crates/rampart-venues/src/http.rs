//! Small pieces every connector's REST client uses alike: the local clock, a poison-tolerant lock,
//! the text of a reqwest failure, and which base URLs may be used.

use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

/// This machine's clock (ms since the Unix epoch); a venue's time is this plus its measured
/// offset.
pub(crate) fn local_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The lock of the connectors' counters, samples and caches: each is replaced in one
/// assignment, so a panic elsewhere cannot leave one half-updated; carry on with what is there.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A reqwest error as text: without the URL (it may carry a signed query) but with its causes
/// (the TLS or DNS reason a trader or support needs).
pub(crate) fn describe(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// `base` without a trailing slash, if it may be used: https anywhere, plain http only to this
/// machine (the simulator on loopback).
pub(crate) fn secure_base(base: &str) -> Option<String> {
    let url = reqwest::Url::parse(base).ok()?;
    match url.scheme() {
        "https" => Some(base.trim_end_matches('/').to_owned()),
        "http" if crate::tls::is_loopback(&url) => Some(base.trim_end_matches('/').to_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_http_only_to_this_machine() {
        assert_eq!(
            secure_base("https://api.bybit.com/").as_deref(),
            Some("https://api.bybit.com")
        );
        assert_eq!(
            secure_base("http://127.0.0.1:9000").as_deref(),
            Some("http://127.0.0.1:9000")
        );
        assert_eq!(secure_base("http://www.okx.com"), None);
        assert_eq!(secure_base("ftp://127.0.0.1"), None);
        assert_eq!(secure_base("not a url"), None);
    }
}
