//! Request signing for Binance USDⓈ-M futures SIGNED (TRADE and USER_DATA) endpoints.
//!
//! Binance's rule, from the USDⓈ-M futures "General Info → SIGNED Endpoint Examples" page:
//! - the payload is the `totalParams`: the query string concatenated with the request body,
//!   **with no `&` between them** ("Note that the signature is different in example 3. There is
//!   no & between "GTC" and "quantity=1"");
//! - HMAC keys: `signature` = lowercase hex of HMAC-SHA256(secretKey, totalParams);
//! - Ed25519 keys (Binance's recommended type): `signature` = base64 of the Ed25519 signature of
//!   totalParams, URL-encoded when sent, since base64 may contain `+`, `/` and `=`;
//! - the API key goes in the `X-MBX-APIKEY` header; `timestamp` (and optionally `recvWindow`)
//!   are ordinary parameters inside totalParams.

use base64::Engine as _;
use ed25519_dalek::pkcs8::DecodePrivateKey;
use ed25519_dalek::{Signer as _, SigningKey};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Why a secret cannot sign.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignerError {
    /// The secret is empty.
    #[error("the API secret is empty")]
    Empty,
    /// A PEM block that is not an unencrypted PKCS#8 Ed25519 private key.
    #[error("the private key is not an unencrypted PKCS#8 Ed25519 key in PEM form ({0})")]
    BadPrivateKey(String),
}

/// A Binance API secret, ready to sign. Key material is zeroized on drop and never printed.
pub enum Signer {
    Hmac(Box<HmacSha256>),
    Ed25519(Box<SigningKey>),
}

/// HMAC-SHA256 keyed once: the key's inner and outer hash states are computed when the
/// signer is made, and each signature continues from a copy of them, so a request costs only
/// the compression of its own bytes. The keyed state signs as well as the key does: `hmac` and
/// `sha2` zeroize it on drop (their `zeroize` feature), the copies included.
#[derive(Clone)]
pub struct HmacSha256(Hmac<Sha256>);

impl std::fmt::Debug for HmacSha256 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HmacSha256(<redacted>)")
    }
}

impl HmacSha256 {
    pub fn new(key: &[u8]) -> Self {
        // HMAC takes a key of any length (RFC 2104 §2: longer ones are hashed first).
        HmacSha256(
            <Hmac<Sha256> as KeyInit>::new_from_slice(key)
                .unwrap_or_else(|_| unreachable!("HMAC accepts keys of every length")),
        )
    }

    /// HMAC-SHA256 of the concatenation of `parts`.
    pub fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = self.0.clone();
        for part in parts {
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Signer::Hmac(_) => f.write_str("Signer::Hmac(<redacted>)"),
            Signer::Ed25519(_) => f.write_str("Signer::Ed25519(<redacted>)"),
        }
    }
}

impl Signer {
    /// An Ed25519 signer for a PEM private key (`-----BEGIN PRIVATE KEY-----`), otherwise an HMAC
    /// signer for the secret string as Binance shows it.
    pub fn from_secret(secret: &str) -> Result<Self, SignerError> {
        let trimmed = secret.trim();
        if trimmed.is_empty() {
            return Err(SignerError::Empty);
        }
        if trimmed.starts_with("-----BEGIN") {
            let key = SigningKey::from_pkcs8_pem(trimmed)
                .map_err(|e| SignerError::BadPrivateKey(e.to_string()))?;
            return Ok(Signer::Ed25519(Box::new(key)));
        }
        Ok(Signer::Hmac(Box::new(HmacSha256::new(trimmed.as_bytes()))))
    }

    /// The `signature` value for a request whose query string is `query` and whose
    /// form-encoded body is `body` (either may be empty), not yet URL-encoded.
    pub fn sign(&self, query: &str, body: &str) -> String {
        match self {
            Signer::Hmac(secret) => {
                let mut hex = [0u8; 64];
                let text = hmac_hex(secret, &[query.as_bytes(), body.as_bytes()], &mut hex);
                text.to_owned()
            }
            Signer::Ed25519(key) => ed25519_base64(key, query, body),
        }
    }

    /// Appends `&signature=<url-encoded signature>` to `total`, signing `total` as it stands
    /// (Binance's totalParams: all of it in the query string, or all of it in the body; the
    /// same text either way). Nothing is allocated for an HMAC key.
    pub fn push_signature_of(&self, total: &mut String) {
        match self {
            Signer::Hmac(secret) => {
                let mut hex = [0u8; 64];
                let signature = hmac_hex(secret, &[total.as_bytes()], &mut hex);
                // Lowercase hex needs no URL encoding.
                push_separator(total);
                total.push_str("signature=");
                total.push_str(signature);
            }
            Signer::Ed25519(key) => {
                let signature = ed25519_base64(key, total, "");
                push_signature(total, &signature);
            }
        }
    }
}

/// Lowercase hex of HMAC-SHA256(`key`, the concatenation of `parts`), written into `out`.
fn hmac_hex<'o>(key: &HmacSha256, parts: &[&[u8]], out: &'o mut [u8; 64]) -> &'o str {
    let digest = key.mac(parts);
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (pair, byte) in out.chunks_exact_mut(2).zip(digest.iter()) {
        pair[0] = HEX[usize::from(byte >> 4)];
        pair[1] = HEX[usize::from(byte & 0x0f)];
    }
    // Only hex digits were written: always ASCII, hence UTF-8.
    std::str::from_utf8(out).unwrap_or_default()
}

fn ed25519_base64(key: &SigningKey, query: &str, body: &str) -> String {
    let mut payload = Vec::with_capacity(query.len() + body.len());
    payload.extend_from_slice(query.as_bytes());
    payload.extend_from_slice(body.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(key.sign(&payload).to_bytes())
}

/// Which bytes `application/x-www-form-urlencoded` leaves as they are (the WHATWG URL
/// standard's set, which `form_urlencoded` follows: ASCII letters and digits, `*`, `-`, `.`,
/// `_`), as a table: one lookup per byte.
const FORM_UNRESERVED: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'*' | b'-' | b'.' | b'_');
        b += 1;
    }
    table
};

/// Appends `text` form-encoded: as it is when nothing in it needs encoding (names, symbols,
/// decimals, client order ids of letters and digits), else byte by byte as `form_urlencoded`
/// encodes it (space as `+`, the rest as `%XX`).
pub fn push_form_encoded(out: &mut String, text: &str) {
    if text.bytes().all(|b| FORM_UNRESERVED[usize::from(b)]) {
        out.push_str(text);
    } else {
        out.extend(form_urlencoded::byte_serialize(text.as_bytes()));
    }
}

fn push_separator(out: &mut String) {
    if !out.is_empty() {
        out.push('&');
    }
}

/// Appends `name=value`, form-encoded, after a `&` unless `out` is empty.
pub fn push_param(out: &mut String, name: &str, value: &str) {
    push_separator(out);
    push_form_encoded(out, name);
    out.push('=');
    push_form_encoded(out, value);
}

/// Encodes parameters as `application/x-www-form-urlencoded`, in the order given.
pub fn encode_params<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (name, value) in params {
        push_param(&mut out, name, value);
    }
    out
}

/// `query` with `&signature=<url-encoded signature>` appended.
pub fn append_signature(query: &str, signature: &str) -> String {
    let mut total = String::with_capacity(query.len() + signature.len() + 16);
    total.push_str(query);
    push_signature(&mut total, signature);
    total
}

/// Appends `&signature=<url-encoded signature>` to `total` in place (no `&` when it is empty).
pub fn push_signature(total: &mut String, signature: &str) {
    push_param(total, "signature", signature);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The secret of Binance's published HMAC examples for `POST /fapi/v1/order`.
    const DOC_SECRET: &str = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9";

    /// Example 1 (all parameters in the query string) and example 2 (all in the body) sign the
    /// same totalParams and give the same published signature.
    #[test]
    fn reproduces_binance_hmac_examples_1_and_2() {
        let signer = Signer::from_secret(DOC_SECRET).unwrap();
        let params = [
            ("symbol", "BTCUSDT"),
            ("side", "BUY"),
            ("type", "LIMIT"),
            ("quantity", "1"),
            ("price", "9000"),
            ("timeInForce", "GTC"),
            ("recvWindow", "5000"),
            ("timestamp", "1591702613943"),
        ];
        let encoded = encode_params(params);
        assert_eq!(
            encoded,
            "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&recvWindow=5000&timestamp=1591702613943"
        );
        let published = "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9";
        assert_eq!(signer.sign(&encoded, ""), published); // example 1: query string
        assert_eq!(signer.sign("", &encoded), published); // example 2: request body
        assert_eq!(
            append_signature(&encoded, published),
            format!("{encoded}&signature={published}")
        );
    }

    /// Example 3: query `symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC`, body
    /// `quantity=1&price=9000&recvWindow=5000&timestamp=1591702613943`, signed as one string with
    /// no `&` at the join. The published command echoes `timestamp= 1591702613943` (with a
    /// space); the published signature is of exactly that string, so it is reproduced as given.
    #[test]
    fn reproduces_binance_hmac_example_3_query_then_body_without_ampersand() {
        let signer = Signer::from_secret(DOC_SECRET).unwrap();
        let query = "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC";
        let body_as_echoed = "quantity=1&price=9000&recvWindow=5000&timestamp= 1591702613943";
        assert_eq!(
            signer.sign(query, body_as_echoed),
            "f9d0ae5e813ef6ccf15c2b5a434047a0181cb5a342b903b367ca6d27a66e36f2"
        );
        // And the join really has no '&': signing with one gives a different signature.
        assert_ne!(
            signer.sign(&format!("{query}&"), body_as_echoed),
            signer.sign(query, body_as_echoed)
        );
    }

    /// Ed25519 through the signer's PEM path, checked against RFC 8032 §7.1 TEST 1 (empty
    /// message) and TEST 2 (message 0x72): the PEM wraps that test's secret key.
    #[test]
    fn ed25519_pem_keys_sign_rfc8032_vectors() {
        // PKCS#8 v1 DER prefix for Ed25519 (RFC 8410 §7) + RFC 8032 TEST 1's secret key.
        let der_prefix = "302e020100300506032b657004220420";
        let test1 = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
        let der = hex::decode(format!("{der_prefix}{test1}")).unwrap();
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            base64::engine::general_purpose::STANDARD.encode(der)
        );
        let signer = Signer::from_secret(&pem).unwrap();
        let expected = hex::decode(
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        )
        .unwrap();
        assert_eq!(
            signer.sign("", ""),
            base64::engine::general_purpose::STANDARD.encode(expected)
        );
        assert_eq!(format!("{signer:?}"), "Signer::Ed25519(<redacted>)");

        let test2 = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
        let der = hex::decode(format!("{der_prefix}{test2}")).unwrap();
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----",
            base64::engine::general_purpose::STANDARD.encode(der)
        );
        let sig = Signer::from_secret(&pem).unwrap().sign("r", "");
        let expected = hex::decode(
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
        )
        .unwrap();
        assert_eq!(
            sig,
            base64::engine::general_purpose::STANDARD.encode(expected)
        );
        // Base64 may hold '+', '/' and '='; they are URL-encoded on the way out.
        assert!(!append_signature("a=1", "ab+/=").contains('+'));
        assert_eq!(
            append_signature("a=1", "ab+/="),
            "a=1&signature=ab%2B%2F%3D"
        );
    }

    #[test]
    fn bad_secrets_are_typed_errors() {
        assert_eq!(Signer::from_secret("  ").unwrap_err(), SignerError::Empty);
        assert!(matches!(
            Signer::from_secret("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"),
            Err(SignerError::BadPrivateKey(_))
        ));
        let hmac = Signer::from_secret(DOC_SECRET).unwrap();
        assert_eq!(format!("{hmac:?}"), "Signer::Hmac(<redacted>)");
    }

    /// The fast path and the fallback give what `form_urlencoded` gives, for every byte and for
    /// text mixing kinds.
    #[test]
    fn form_encoding_matches_form_urlencoded() {
        let mut samples: Vec<String> = (0u8..=127).map(|b| char::from(b).to_string()).collect();
        samples.extend(
            [
                "",
                "BTCUSDT",
                "rmp-AbC.d_e*f",
                "a:b/c",
                "a b+c&d=e",
                "60000.5",
                "-0.001",
                "é€ x",
                "ab+/=",
            ]
            .map(str::to_owned),
        );
        for text in &samples {
            let expected: String = form_urlencoded::byte_serialize(text.as_bytes()).collect();
            let mut out = String::new();
            push_form_encoded(&mut out, text);
            assert_eq!(out, expected, "{text:?}");
        }
        let pairs = [("symbol", "BTCUSDT"), ("a b", "c&d"), ("", ""), ("x", "é")];
        let expected = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        assert_eq!(encode_params(pairs), expected);
    }

    /// Signing in place gives the published signature and the same text as `sign` +
    /// `push_signature`, for both key types.
    #[test]
    fn signing_in_place_matches_signing_apart() {
        let hmac = Signer::from_secret(DOC_SECRET).unwrap();
        let mut total = "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&recvWindow=5000&timestamp=1591702613943".to_owned();
        let apart = append_signature(&total, &hmac.sign("", &total));
        hmac.push_signature_of(&mut total);
        assert_eq!(total, apart);
        assert!(total.ends_with(
            "&signature=3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9"
        ));

        let der = hex::decode(
            "302e020100300506032b6570042204209d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        )
        .unwrap();
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            base64::engine::general_purpose::STANDARD.encode(der)
        );
        let ed = Signer::from_secret(&pem).unwrap();
        let mut total = "symbol=BTCUSDT&timestamp=1".to_owned();
        let apart = append_signature(&total, &ed.sign(&total, ""));
        ed.push_signature_of(&mut total);
        assert_eq!(total, apart);
    }

    /// The signer keyed once gives what a freshly keyed HMAC gives, for keys shorter than,
    /// equal to and longer than a block, and messages whole or split into parts anywhere.
    #[test]
    fn hmac_keyed_once_matches_a_freshly_keyed_hmac() {
        let message: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
        for key_len in [0, 1, 31, 32, 63, 64, 65, 200] {
            let key: Vec<u8> = (0..key_len).map(|i| (i * 13 + 1) as u8).collect();
            let ours = HmacSha256::new(&key);
            for len in [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 300] {
                let m = &message[..len];
                let mut theirs = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).unwrap();
                theirs.update(m);
                let expected: [u8; 32] = theirs.finalize().into_bytes().into();
                assert_eq!(ours.mac(&[m]), expected, "key {key_len}, message {len}");
                for split in [0, 1, len / 2, len] {
                    let (a, b) = m.split_at(split.min(len));
                    assert_eq!(ours.mac(&[a, &[], b]), expected, "split at {split}");
                }
            }
        }
    }
}
