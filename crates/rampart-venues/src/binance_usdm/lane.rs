//! The order lane: one kept-open HTTP/1.1 connection (TLS 1.3 for https) reserved for new
//! orders, driven with hyper's connection-level API. The pooled reqwest client serves every
//! other request; on the lane an order goes out with no pool lookup, no URL handling and no
//! retry layer between the signed body and the socket, which is most of what a placed order
//! waits for on the client side.
//!
//! The lane never decides an order's fate on a guess:
//! - it is used only when it is free and connected (or connects first); when it is busy, or
//!   cannot connect, it hands the order back untouched and the caller sends it through the
//!   pool, so a lane problem before the first byte costs nothing but the detour;
//! - hyper gives the request back when the connection closed before it was written
//!   ([`hyper::client::conn::TrySendError::take_message`]): that too is "not sent, use the pool";
//! - after the request was handed to the connection, any failure (a dropped connection, a
//!   timeout, a broken answer) is the caller's to classify as an unknown outcome, and the
//!   connection is closed so that the next order starts on a fresh one.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{CONTENT_TYPE, HOST, HeaderValue};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;

/// Where the lane connects: a `host:port` and, for https, the TLS configuration and the name
/// the certificate must carry.
#[derive(Clone)]
struct Target {
    /// `host:port` to connect to (what `Host` carries too).
    authority: String,
    tls: Option<(Arc<ClientConfig>, ServerName<'static>)>,
}

/// What became of an order offered to the lane.
pub(super) enum LaneResult {
    /// The venue answered: status, headers and the whole body.
    Answered(hyper::http::response::Parts, Bytes),
    /// Not a byte of it was written (the lane is busy, or could not connect, or its connection
    /// had closed): send it another way.
    NotSent,
    /// Handed to the connection, then something failed: the order may or may not have reached
    /// the venue.
    Failed(String),
}

pub(super) struct OrderLane {
    target: Target,
    connect_timeout: Duration,
    request_timeout: Duration,
    /// The live connection's sender; `None` until the first order, and after a failure. Held
    /// for the whole exchange, so one order is on the lane at a time.
    sender: tokio::sync::Mutex<Option<SendRequest<Full<Bytes>>>>,
}

impl std::fmt::Debug for OrderLane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrderLane")
            .field("authority", &self.target.authority)
            .field("tls", &self.target.tls.is_some())
            .finish_non_exhaustive()
    }
}

impl OrderLane {
    /// A lane to `url`'s host (https with `tls`, or http); connects at the first order.
    pub(super) fn new(
        url: &url::Url,
        tls: Option<Arc<ClientConfig>>,
        connect_timeout: Duration,
        request_timeout: Duration,
    ) -> Option<Self> {
        let host = url.host_str()?;
        let port = url.port_or_known_default()?;
        // An IPv6 literal keeps its brackets in `host_str`, as `Host` and connect need them.
        let authority = format!("{host}:{port}");
        let tls = match (url.scheme(), tls) {
            ("https", Some(config)) => {
                let name = ServerName::try_from(host.trim_matches(['[', ']']).to_owned()).ok()?;
                Some((config, name))
            }
            ("http", _) => None,
            _ => return None,
        };
        Some(Self {
            target: Target { authority, tls },
            connect_timeout,
            request_timeout,
            sender: tokio::sync::Mutex::new(None),
        })
    }

    /// Sends one signed order (`POST path` with the form body) on the lane.
    pub(super) async fn send(
        &self,
        path: &str,
        api_key: (&'static str, &str),
        body: Bytes,
    ) -> LaneResult {
        // Busy with another order: that one keeps the lane, this one takes the pool.
        let Ok(mut slot) = self.sender.try_lock() else {
            return LaneResult::NotSent;
        };
        if slot.as_ref().is_none_or(SendRequest::is_closed) {
            *slot = None;
            match tokio::time::timeout(self.connect_timeout, self.connect()).await {
                Ok(Ok(sender)) => *slot = Some(sender),
                Ok(Err(e)) => {
                    tracing::debug!(error = %e, "order lane: could not connect; using the pool");
                    return LaneResult::NotSent;
                }
                Err(_) => return LaneResult::NotSent,
            }
        }
        let Some(sender) = slot.as_mut() else {
            return LaneResult::NotSent;
        };
        let Ok(request) = self.request(path, api_key, body) else {
            return LaneResult::NotSent;
        };
        // Waits only for a connection that is still finishing the previous exchange.
        if tokio::time::timeout(self.request_timeout, sender.ready())
            .await
            .map_or(true, |r| r.is_err())
        {
            *slot = None;
            return LaneResult::NotSent;
        }
        let exchange = async {
            let response = match sender.try_send_request(request).await {
                Ok(response) => response,
                Err(mut e) => {
                    let unsent = e.take_message().is_some();
                    return Err((unsent, e.into_error().to_string()));
                }
            };
            let (parts, body) = response.into_parts();
            match body.collect().await {
                Ok(collected) => Ok((parts, collected.to_bytes())),
                Err(e) => Err((false, format!("the answer broke off: {e}"))),
            }
        };
        match tokio::time::timeout(self.request_timeout, exchange).await {
            Ok(Ok((parts, body))) => LaneResult::Answered(parts, body),
            Ok(Err((unsent, why))) => {
                *slot = None;
                if unsent {
                    LaneResult::NotSent
                } else {
                    LaneResult::Failed(why)
                }
            }
            Err(_) => {
                *slot = None;
                LaneResult::Failed(format!(
                    "no answer within {} s",
                    self.request_timeout.as_secs_f32()
                ))
            }
        }
    }

    fn request(
        &self,
        path: &str,
        (key_header, key): (&'static str, &str),
        body: Bytes,
    ) -> Result<Request<Full<Bytes>>, hyper::http::Error> {
        let mut key = HeaderValue::from_str(key)?;
        key.set_sensitive(true);
        Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(HOST, &self.target.authority)
            .header(key_header, key)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Full::new(body))
    }

    /// A fresh connection (TCP, then TLS for https), its driver spawned on this runtime.
    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, String> {
        let tcp = TcpStream::connect(&self.target.authority)
            .await
            .map_err(|e| e.to_string())?;
        // An order is one small write; Nagle would hold it back for the previous ACK.
        tcp.set_nodelay(true).map_err(|e| e.to_string())?;
        match &self.target.tls {
            None => handshake(TokioIo::new(tcp)).await,
            Some((config, name)) => {
                let tls = tokio_rustls::TlsConnector::from(Arc::clone(config))
                    .connect(name.clone(), tcp)
                    .await
                    .map_err(|e| e.to_string())?;
                handshake(TokioIo::new(tls)).await
            }
        }
    }
}

async fn handshake<T>(io: T) -> Result<SendRequest<Full<Bytes>>, String>
where
    T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (sender, connection) = http1::handshake(io).await.map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "order lane connection ended");
        }
    });
    Ok(sender)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    /// What the test server does with the `n`-th request it reads (from 1, across connections).
    #[derive(Clone, Copy, Debug)]
    enum Act {
        Answer,
        AnswerThenClose,
        CloseWithoutAnswer,
        AnswerAfter(Duration),
    }

    #[derive(Default)]
    struct Seen {
        connections: usize,
        bodies: Vec<String>,
    }

    /// A loopback HTTP/1.1 server that records each connection and request body and acts as
    /// `script` says for each request.
    async fn server(script: fn(usize) -> Act) -> (url::Url, Arc<Mutex<Seen>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = url::Url::parse(&format!(
            "http://{}/fapi/v1/order",
            listener.local_addr().unwrap()
        ))
        .unwrap();
        let seen: Arc<Mutex<Seen>> = Arc::default();
        let shared = Arc::clone(&seen);
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                shared.lock().unwrap().connections += 1;
                let seen = Arc::clone(&shared);
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    loop {
                        let head_end = loop {
                            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                                break i + 4;
                            }
                            let mut chunk = [0u8; 4096];
                            match socket.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                            }
                        };
                        let head = String::from_utf8_lossy(&buf[..head_end]).to_lowercase();
                        let length: usize = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .map_or(0, |v| v.trim().parse().unwrap());
                        while buf.len() < head_end + length {
                            let mut chunk = [0u8; 4096];
                            match socket.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                            }
                        }
                        assert!(head.contains("x-mbx-apikey: key"), "{head}");
                        assert!(head.contains("host: 127.0.0.1:"), "{head}");
                        let body = String::from_utf8_lossy(&buf[head_end..head_end + length]);
                        let n = {
                            let mut s = seen.lock().unwrap();
                            s.bodies.push(body.into_owned());
                            s.bodies.len()
                        };
                        buf.drain(..head_end + length);
                        let act = script(n);
                        if let Act::CloseWithoutAnswer = act {
                            return;
                        }
                        if let Act::AnswerAfter(wait) = act {
                            tokio::time::sleep(wait).await;
                        }
                        let answer = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{{\"n\":{n}}}",
                            format!("{{\"n\":{n}}}").len()
                        );
                        if socket.write_all(answer.as_bytes()).await.is_err() {
                            return;
                        }
                        if let Act::AnswerThenClose = act {
                            return;
                        }
                    }
                });
            }
        });
        (url, seen)
    }

    fn lane(url: &url::Url) -> OrderLane {
        OrderLane::new(url, None, Duration::from_secs(2), Duration::from_secs(2))
            .expect("an http lane")
    }

    async fn send(lane: &OrderLane, body: &str) -> LaneResult {
        lane.send(
            "/fapi/v1/order",
            ("X-MBX-APIKEY", "key"),
            Bytes::from(body.to_owned()),
        )
        .await
    }

    fn answered(result: LaneResult) -> String {
        match result {
            LaneResult::Answered(parts, body) => {
                assert_eq!(parts.status, 200);
                String::from_utf8(body.to_vec()).unwrap()
            }
            LaneResult::NotSent => panic!("not sent"),
            LaneResult::Failed(why) => panic!("failed: {why}"),
        }
    }

    #[tokio::test]
    async fn orders_share_one_kept_open_connection() {
        let (url, seen) = server(|_| Act::Answer).await;
        let lane = lane(&url);
        for i in 1..=3 {
            assert_eq!(
                answered(send(&lane, &format!("order={i}")).await),
                format!("{{\"n\":{i}}}")
            );
        }
        let seen = seen.lock().unwrap();
        assert_eq!(seen.connections, 1);
        assert_eq!(seen.bodies, ["order=1", "order=2", "order=3"]);
    }

    #[tokio::test]
    async fn a_connection_the_venue_closed_is_replaced_and_nothing_is_sent_twice() {
        let (url, seen) = server(|n| {
            if n == 1 {
                Act::AnswerThenClose
            } else {
                Act::Answer
            }
        })
        .await;
        let lane = lane(&url);
        answered(send(&lane, "order=1").await);
        // Let the lane's connection notice the close, as it would between two clicks.
        for _ in 0..100 {
            if lane
                .sender
                .lock()
                .await
                .as_ref()
                .is_none_or(SendRequest::is_closed)
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        answered(send(&lane, "order=2").await);
        let seen = seen.lock().unwrap();
        assert_eq!(seen.connections, 2);
        assert_eq!(seen.bodies, ["order=1", "order=2"]);
    }

    #[tokio::test]
    async fn an_order_written_then_lost_is_failed_not_unsent_and_the_next_one_reconnects() {
        let (url, seen) = server(|n| {
            if n == 1 {
                Act::CloseWithoutAnswer
            } else {
                Act::Answer
            }
        })
        .await;
        let lane = lane(&url);
        // The venue read it: the caller must treat it as unknown, never send it again.
        assert!(matches!(
            send(&lane, "order=1").await,
            LaneResult::Failed(_)
        ));
        answered(send(&lane, "order=2").await);
        let seen = seen.lock().unwrap();
        assert_eq!(seen.bodies, ["order=1", "order=2"]);
        assert_eq!(seen.connections, 2);
    }

    #[tokio::test]
    async fn a_busy_lane_hands_the_order_back_unsent() {
        let (url, seen) = server(|n| {
            if n == 1 {
                Act::AnswerAfter(Duration::from_millis(300))
            } else {
                Act::Answer
            }
        })
        .await;
        let lane = Arc::new(lane(&url));
        let first = tokio::spawn({
            let lane = Arc::clone(&lane);
            async move { answered(send(&lane, "order=1").await) }
        });
        // Wait until the first order is on the wire.
        for _ in 0..200 {
            if !seen.lock().unwrap().bodies.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(matches!(send(&lane, "order=2").await, LaneResult::NotSent));
        assert_eq!(first.await.unwrap(), "{\"n\":1}");
        assert_eq!(seen.lock().unwrap().bodies, ["order=1"]);
    }

    #[tokio::test]
    async fn no_venue_listening_means_not_sent_and_a_late_answer_means_failed() {
        // A port nothing listens on.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = url::Url::parse(&format!(
            "http://{}/fapi/v1/order",
            listener.local_addr().unwrap()
        ))
        .unwrap();
        drop(listener);
        assert!(matches!(
            send(&lane(&url), "order=1").await,
            LaneResult::NotSent
        ));

        let (url, seen) = server(|_| Act::AnswerAfter(Duration::from_secs(5))).await;
        let lane = OrderLane::new(
            &url,
            None,
            Duration::from_secs(2),
            Duration::from_millis(200),
        )
        .expect("an http lane");
        assert!(
            matches!(send(&lane, "order=1").await, LaneResult::Failed(why) if why.contains("no answer"))
        );
        assert_eq!(seen.lock().unwrap().bodies, ["order=1"]);
    }

    #[test]
    fn only_http_and_https_urls_make_a_lane() {
        let d = Duration::from_secs(1);
        let https = url::Url::parse("https://fapi.binance.com/fapi/v1/order").unwrap();
        // https needs the TLS configuration.
        assert!(OrderLane::new(&https, None, d, d).is_none());
        let config = crate::tls::client_config(None).unwrap();
        let lane = OrderLane::new(&https, Some(config), d, d).unwrap();
        assert_eq!(lane.target.authority, "fapi.binance.com:443");
        let ftp = url::Url::parse("ftp://127.0.0.1/x").unwrap();
        assert!(OrderLane::new(&ftp, None, d, d).is_none());
        let v6 = url::Url::parse("http://[::1]:8080/fapi/v1/order").unwrap();
        assert_eq!(
            OrderLane::new(&v6, None, d, d).unwrap().target.authority,
            "[::1]:8080"
        );
    }
}
