//! Files sealed under the data key: AES-256-GCM with a key derived for each file's purpose
//! (HKDF-SHA256 over the data key), a fresh random 96-bit nonce per write, and the file's name
//! as associated data, so a sealed file cannot be swapped for another file's. Anyone who can
//! write the user's files but not read the keychain can neither read them nor change them
//! unnoticed.
//!
//! Layout: `RMPS1` (5 bytes) · nonce (12) · ciphertext with its 16-byte tag.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use hkdf::Hkdf;
use rand::RngCore;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::DataKey;

const MAGIC: &[u8; 5] = b"RMPS1";
const NONCE: usize = 12;

/// Why a sealed file could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// Not a sealed file at all (too short, or not Rampart's layout).
    #[error("it is not a file Rampart sealed")]
    NotSealed,
    /// The tag does not match: the file was changed, truncated, or sealed under another key or
    /// for another file.
    #[error("it was changed outside Rampart, or belongs to another data key or file")]
    Tampered,
}

/// The key for one kind of file (`purpose`, e.g. "accounts"), derived from the data key.
fn file_key(data_key: &DataKey, purpose: &str) -> Zeroizing<[u8; 32]> {
    let hk = Hkdf::<Sha256>::new(Some(b"rampart-files-v1"), data_key.bytes());
    let mut key = Zeroizing::new([0u8; 32]);
    // 32 bytes is far below HKDF-SHA256's 8,160-byte limit.
    let _ = hk.expand(purpose.as_bytes(), key.as_mut_slice());
    key
}

fn cipher(data_key: &DataKey, purpose: &str) -> Aes256Gcm {
    let key = file_key(data_key, purpose);
    Aes256Gcm::new_from_slice(key.as_slice()).unwrap_or_else(|_| unreachable!("a 32-byte key"))
}

/// Seals and opens many records of one purpose (the lines of a journal) with the key derived
/// once: each record `nonce (12) · ciphertext with its tag`, the purpose bound in as
/// associated data.
pub struct Sealer {
    cipher: Aes256Gcm,
    purpose: String,
}

impl Sealer {
    pub fn new(data_key: &DataKey, purpose: &str) -> Sealer {
        Sealer {
            cipher: cipher(data_key, purpose),
            purpose: purpose.to_owned(),
        }
    }

    /// `plaintext` sealed under a fresh random nonce, appended to `out`.
    pub fn seal_into(&self, plaintext: &[u8], out: &mut Vec<u8>) {
        let mut nonce = [0u8; NONCE];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: self.purpose.as_bytes(),
                },
            )
            .unwrap_or_default();
        out.reserve(NONCE + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
    }

    /// Opens one record sealed by [`Sealer::seal_into`]; the plaintext is zeroized on drop.
    pub fn open(&self, bytes: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealError> {
        if bytes.len() < NONCE + 16 {
            return Err(SealError::Tampered);
        }
        let (nonce, body) = bytes.split_at(NONCE);
        let nonce: [u8; NONCE] = nonce.try_into().map_err(|_| SealError::Tampered)?;
        self.cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: body,
                    aad: self.purpose.as_bytes(),
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| SealError::Tampered)
    }
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sealer({}, <redacted>)", self.purpose)
    }
}

/// Seals `plaintext` as the file named `purpose`.
pub fn seal(data_key: &DataKey, purpose: &str, plaintext: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(MAGIC.len() + NONCE + plaintext.len() + 16);
    out.extend_from_slice(MAGIC);
    Sealer::new(data_key, purpose).seal_into(plaintext, &mut out);
    out
}

/// Whether `bytes` have the sealed layout's header (a plain file from before sealing does not).
pub fn is_sealed(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// Opens a file sealed as `purpose`; its plaintext is zeroized when dropped.
pub fn open(
    data_key: &DataKey,
    purpose: &str,
    bytes: &[u8],
) -> Result<Zeroizing<Vec<u8>>, SealError> {
    if !is_sealed(bytes) || bytes.len() < MAGIC.len() + NONCE + 16 {
        return Err(SealError::NotSealed);
    }
    Sealer::new(data_key, purpose).open(&bytes[MAGIC.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> DataKey {
        DataKey::from_bytes([byte; 32])
    }

    #[test]
    fn a_sealed_file_opens_only_unchanged_with_its_key_and_name() {
        let k = key(7);
        let sealed = seal(&k, "accounts", br#"[{"label":"Live"}]"#);
        assert!(is_sealed(&sealed));
        assert!(
            !sealed.windows(4).any(|w| w == b"Live"),
            "no plaintext in the file"
        );
        assert_eq!(
            open(&k, "accounts", &sealed).unwrap().as_slice(),
            br#"[{"label":"Live"}]"#
        );
        // Every byte flipped, in turn, is caught.
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert!(open(&k, "accounts", &bad).is_err(), "byte {i}");
        }
        let mut short = sealed.clone();
        short.truncate(sealed.len() - 1);
        assert_eq!(open(&k, "accounts", &short), Err(SealError::Tampered));
        assert_eq!(open(&key(8), "accounts", &sealed), Err(SealError::Tampered));
        assert_eq!(
            open(&k, "settings", &sealed),
            Err(SealError::Tampered),
            "another file's"
        );
        assert_eq!(open(&k, "accounts", b"[]"), Err(SealError::NotSealed));
        // Two seals of the same text differ (a fresh nonce each).
        assert_ne!(seal(&k, "accounts", b"x"), seal(&k, "accounts", b"x"));
    }
}
