//! The journal's bytes: header, frames, the plaintext inside a frame, and the chain's hashes.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use hkdf::Hkdf;
use rand::RngCore;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::entry::Entry;

pub const MAGIC: &[u8; 5] = b"RMPA1";
pub const ID_LEN: usize = 16;
pub const HEADER_LEN: usize = MAGIC.len() + ID_LEN;
pub const NONCE_LEN: usize = 12;
pub const TAG_LEN: usize = 16;
/// seq (8) · ts_ms (8) · previous hash (32), before the entry's JSON.
pub const FIXED_LEN: usize = 8 + 8 + 32;
/// The smallest frame body (nonce, the fixed plaintext, tag).
pub const MIN_BODY: usize = NONCE_LEN + FIXED_LEN + TAG_LEN;
/// No record is larger (a frame's length beyond this is damage, not a record).
pub const MAX_BODY: usize = 1 << 20;
const AAD_PREFIX: &[u8] = b"rampart-audit-v1";

pub type Hash = [u8; 32];

/// The journal's key: derived from the data key, never stored.
#[derive(Clone)]
pub struct AuditKey {
    cipher: Aes256Gcm,
}

impl AuditKey {
    pub fn derive(data_key: &rampart_vault::DataKey) -> AuditKey {
        let hk = Hkdf::<Sha256>::new(Some(b"rampart-audit-v1"), data_key.bytes());
        let mut key = Zeroizing::new([0u8; 32]);
        // 32 bytes is far below HKDF-SHA256's 8,160-byte limit.
        let _ = hk.expand(b"journal", key.as_mut_slice());
        AuditKey {
            cipher: Aes256Gcm::new_from_slice(key.as_slice())
                .unwrap_or_else(|_| unreachable!("a 32-byte key")),
        }
    }
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(<redacted>)")
    }
}

pub fn header(id: &[u8; ID_LEN]) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    h[..MAGIC.len()].copy_from_slice(MAGIC);
    h[MAGIC.len()..].copy_from_slice(id);
    h
}

pub fn sha256(bytes: &[u8]) -> Hash {
    Sha256::digest(bytes).into()
}

fn aad(id: &[u8; ID_LEN]) -> [u8; AAD_PREFIX.len() + ID_LEN] {
    let mut a = [0u8; AAD_PREFIX.len() + ID_LEN];
    a[..AAD_PREFIX.len()].copy_from_slice(AAD_PREFIX);
    a[AAD_PREFIX.len()..].copy_from_slice(id);
    a
}

/// One record's frame (length, nonce, ciphertext), ready to append.
pub fn seal_frame(
    key: &AuditKey,
    id: &[u8; ID_LEN],
    seq: u64,
    ts_ms: i64,
    prev: &Hash,
    entry: &Entry,
) -> Vec<u8> {
    let mut plain = Zeroizing::new(Vec::with_capacity(FIXED_LEN + 160));
    plain.extend_from_slice(&seq.to_le_bytes());
    plain.extend_from_slice(&ts_ms.to_le_bytes());
    plain.extend_from_slice(prev);
    // An Entry is plain data (strings, enums, JSON values): serialising it cannot fail.
    let _ = serde_json::to_writer(&mut *plain, entry);
    let mut nonce = [0u8; NONCE_LEN];
    rand::rng().fill_bytes(&mut nonce);
    let sealed = key
        .cipher
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: &plain,
                aad: &aad(id),
            },
        )
        .unwrap_or_default();
    let body = NONCE_LEN + sealed.len();
    let mut frame = Vec::with_capacity(4 + body);
    frame.extend_from_slice(&u32::try_from(body).unwrap_or(u32::MAX).to_le_bytes());
    frame.extend_from_slice(&nonce);
    frame.extend_from_slice(&sealed);
    frame
}

/// A frame's plaintext, opened: the fixed part parsed, the entry's JSON left as bytes.
pub struct FrameContent {
    pub seq: u64,
    pub ts_ms: i64,
    pub prev: Hash,
    pub plain: Zeroizing<Vec<u8>>,
}

impl FrameContent {
    pub fn entry(&self) -> Option<Entry> {
        serde_json::from_slice(&self.plain[FIXED_LEN..]).ok()
    }
}

/// Opens a frame's body (nonce and ciphertext, without the length). `None`: the tag does not
/// match (changed, moved from another journal, or another key).
pub fn open_body(key: &AuditKey, id: &[u8; ID_LEN], body: &[u8]) -> Option<FrameContent> {
    if body.len() < MIN_BODY {
        return None;
    }
    let (nonce, sealed) = body.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().ok()?;
    let plain = Zeroizing::new(
        key.cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: sealed,
                    aad: &aad(id),
                },
            )
            .ok()?,
    );
    let seq = u64::from_le_bytes(plain.get(0..8)?.try_into().ok()?);
    let ts_ms = i64::from_le_bytes(plain.get(8..16)?.try_into().ok()?);
    let prev: Hash = plain.get(16..48)?.try_into().ok()?;
    Some(FrameContent {
        seq,
        ts_ms,
        prev,
        plain,
    })
}
