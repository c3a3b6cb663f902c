//! One-time recovery codes: shown once, stored only as slow salted hashes (Argon2id), compared
//! in constant time, spent on use.
//!
//! A code is 16 base32 letters (80 bits), shown as `ABCD-EFGH-IJKL-MNOP`. The keychain entry
//! keeps a random salt and one Argon2id hash per unspent code, so a copy of the entry is no
//! shortcut to a code: each guess costs the hash's memory and time. Sets made before this (10
//! letters, salted SHA-256) still redeem until the authenticator is set up again.

use argon2::{Algorithm, Argon2, Params, Version};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::SecretString;

pub const COUNT: usize = 10;
/// RFC 4648 base32 letters: no 0/1/8/9, so no O-vs-0 or I-vs-1 confusion when typed.
const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// 16 characters of 5 bits: 80 bits each.
const LENGTH: usize = 16;
/// The length of the codes of a set made before Argon2id (50 bits).
const LEGACY_LENGTH: usize = 10;

/// Argon2id's cost: 19 MiB, two passes, one lane (OWASP's password storage minimum), 32-byte
/// output.
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;
const OUTPUT: usize = 32;

/// How a set's hashes are made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kdf {
    /// Salted SHA-256 of a 10-letter code: sets made before Argon2id (no `kdf` field).
    #[default]
    Sha256,
    Argon2id,
}

/// What the keychain keeps: how the codes are hashed, a salt and the hashes of the unspent
/// codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoverySet {
    #[serde(default)]
    kdf: Kdf,
    salt: String,
    hashes: Vec<String>,
}

/// A typed code with dashes and spaces removed and letters upper-cased, if it has the shape of a
/// recovery code (of this version, or of a set made before it).
pub fn normalize(typed: &str) -> Option<Zeroizing<String>> {
    let code: Zeroizing<String> = Zeroizing::new(
        typed
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect(),
    );
    ((code.len() == LENGTH || code.len() == LEGACY_LENGTH)
        && code.bytes().all(|b| ALPHABET.contains(&b)))
    .then_some(code)
}

fn argon2() -> Argon2<'static> {
    // The parameters are constants inside Argon2's documented ranges.
    let params = Params::new(MEMORY_KIB, PASSES, LANES, Some(OUTPUT)).unwrap_or(Params::DEFAULT);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The hash of `code` under `kdf` and `salt`, hex-encoded; `None` if Argon2 refuses (it does
/// not for the sizes used here).
fn hash(kdf: Kdf, salt: &str, code: &str) -> Option<String> {
    match kdf {
        Kdf::Sha256 => {
            let mut h = Sha256::new();
            h.update(salt.as_bytes());
            h.update(b":");
            h.update(code.as_bytes());
            Some(hex::encode(h.finalize()))
        }
        Kdf::Argon2id => {
            let mut out = Zeroizing::new([0u8; OUTPUT]);
            argon2()
                .hash_password_into(code.as_bytes(), salt.as_bytes(), out.as_mut_slice())
                .ok()?;
            Some(hex::encode(out.as_slice()))
        }
    }
}

impl RecoverySet {
    /// Ten fresh codes (formatted `ABCD-EFGH-IJKL-MNOP`) and the set that verifies them.
    pub fn generate() -> (Vec<SecretString>, RecoverySet) {
        let mut rng = rand::rng();
        let salt = hex::encode(rng.random::<[u8; 16]>());
        let mut codes: Vec<SecretString> = Vec::with_capacity(COUNT);
        let mut hashes = Vec::with_capacity(COUNT);
        while codes.len() < COUNT {
            let raw: Zeroizing<String> = Zeroizing::new(
                (0..LENGTH)
                    .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
                    .collect(),
            );
            let Some(digest) = hash(Kdf::Argon2id, &salt, &raw) else {
                continue;
            };
            if hashes.contains(&digest) {
                continue;
            }
            hashes.push(digest);
            codes.push(SecretString::new(format!(
                "{}-{}-{}-{}",
                &raw[..4],
                &raw[4..8],
                &raw[8..12],
                &raw[12..]
            )));
        }
        (
            codes,
            RecoverySet {
                kdf: Kdf::Argon2id,
                salt,
                hashes,
            },
        )
    }

    pub fn remaining(&self) -> usize {
        self.hashes.len()
    }

    /// Spends `typed` if it is an unspent code of this set. The typed code's hash is compared
    /// with every stored one in constant time, so how long the check takes says nothing about
    /// which stored hash (or how much of one) it resembles.
    pub fn redeem(&mut self, typed: &str) -> bool {
        let Some(code) = normalize(typed) else {
            return false;
        };
        let wanted = match self.kdf {
            Kdf::Sha256 => LEGACY_LENGTH,
            Kdf::Argon2id => LENGTH,
        };
        if code.len() != wanted {
            return false;
        }
        let Some(digest) = hash(self.kdf, &self.salt, &code) else {
            return false;
        };
        let mut found = None;
        for (i, stored) in self.hashes.iter().enumerate() {
            let same: bool = stored.as_bytes().ct_eq(digest.as_bytes()).into();
            if same && found.is_none() {
                found = Some(i);
            }
        }
        match found {
            Some(i) => {
                self.hashes.swap_remove(i);
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_code_is_80_bits_works_once_and_only_slow_hashes_are_kept() {
        let (codes, mut set) = RecoverySet::generate();
        assert_eq!(codes.len(), 10);
        let stored = serde_json::to_string(&set).unwrap();
        assert!(stored.contains(r#""kdf":"argon2id""#), "{stored}");
        for code in &codes {
            // 16 base32 letters (80 bits) in four groups.
            assert_eq!(code.expose().len(), 19);
            assert_eq!(code.expose().matches('-').count(), 3);
            assert!(!stored.contains(&code.expose().replace('-', "")));
        }
        let first = codes[0].expose().to_owned();
        assert!(set.redeem(&first.to_lowercase()));
        assert!(!set.redeem(&first), "a spent code works again");
        assert_eq!(set.remaining(), 9);
        assert!(set.redeem(&codes[1].expose().replace('-', " ")));
        assert!(!set.redeem("AAAA-AAAA-AAAA-AAAA"));
        assert!(
            !set.redeem("AAAAA-AAAAA"),
            "a legacy-length code on a new set"
        );
        assert!(!set.redeem("123456"));
        assert_eq!(set.remaining(), 8);
    }

    #[test]
    fn a_set_made_before_argon2id_still_redeems_its_codes() {
        // As such a set was stored: no kdf field, salted SHA-256 of 10-letter codes.
        let salt = "00112233445566778899aabbccddeeff";
        let legacy = serde_json::json!({
            "salt": salt,
            "hashes": [hash(Kdf::Sha256, salt, "ABCDEFGHIJ").unwrap()],
        });
        let mut set: RecoverySet = serde_json::from_value(legacy).unwrap();
        assert!(!set.redeem("ABCD-EFGH-IJKL-MNOP"));
        assert!(set.redeem("abcde-fghij"));
        assert_eq!(set.remaining(), 0);
    }
}
