//! What a connector reports of each request it sends with the account's key (signed, or with
//! the API key alone) and each answer it reads, for the
//! audit trail: never the key (it travels in a header), of the signature only what the caller
//! chooses to keep (the audit keeps a hash).

/// A signed request as sent.
#[derive(Debug, Clone, Copy)]
pub struct WireRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// The signed parameters, form-encoded, without the signature.
    pub params: &'a str,
    /// The signature as sent (`None` for a request that carries only the API key, such as
    /// the user-data stream's listen-key requests).
    pub signature: Option<&'a str>,
}

/// The venue's answer to one.
#[derive(Debug, Clone)]
pub struct WireAnswer<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// The HTTP status (0 when no answer came: the connection failed).
    pub status: u16,
    /// The venue's own error code, if it refused.
    pub venue_code: Option<i64>,
    /// The venue's message, or why no answer came.
    pub message: Option<String>,
    pub order_id: Option<String>,
    pub client_order_id: Option<String>,
    pub order_status: Option<String>,
}

/// Where a connector reports its requests and answers.
pub trait WireLog: Send + Sync {
    fn sent(&self, request: &WireRequest<'_>);
    fn answered(&self, answer: &WireAnswer<'_>);
}
