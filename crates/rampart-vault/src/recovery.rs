//! One-time recovery codes: shown once, stored only as salted SHA-256 hashes, spent on use.

use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::SecretString;

pub const COUNT: usize = 10;
/// RFC 4648 base32 letters: no 0/1/8/9, so no O-vs-0 or I-vs-1 confusion when typed.
const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// 10 characters of 5 bits: 50 bits each.
const LENGTH: usize = 10;

/// What the keychain keeps: a salt and the hashes of the unspent codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoverySet {
    salt: String,
    hashes: Vec<String>,
}

/// A typed code with dashes and spaces removed and letters upper-cased, if it has the shape of a
/// recovery code.
pub fn normalize(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == LENGTH && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

fn hash(salt: &str, code: &str) -> String {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update(b":");
    h.update(code.as_bytes());
    hex::encode(h.finalize())
}

impl RecoverySet {
    /// Ten fresh codes (formatted `ABCDE-FGHIJ`) and the set that verifies them.
    pub fn generate() -> (Vec<SecretString>, RecoverySet) {
        let mut rng = rand::rng();
        let salt = hex::encode(rng.random::<[u8; 16]>());
        let mut codes = Vec::with_capacity(COUNT);
        let mut hashes = Vec::with_capacity(COUNT);
        while codes.len() < COUNT {
            let raw: String = (0..LENGTH)
                .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
                .collect();
            let digest = hash(&salt, &raw);
            if hashes.contains(&digest) {
                continue;
            }
            hashes.push(digest);
            codes.push(SecretString::new(format!("{}-{}", &raw[..5], &raw[5..])));
        }
        (codes, RecoverySet { salt, hashes })
    }

    pub fn remaining(&self) -> usize {
        self.hashes.len()
    }

    /// Spends `typed` if it is an unspent code of this set.
    pub fn redeem(&mut self, typed: &str) -> bool {
        let Some(code) = normalize(typed) else {
            return false;
        };
        let digest = hash(&self.salt, &code);
        match self.hashes.iter().position(|h| *h == digest) {
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
    fn each_code_works_once_and_only_hashes_are_kept() {
        let (codes, mut set) = RecoverySet::generate();
        assert_eq!(codes.len(), 10);
        let stored = serde_json::to_string(&set).unwrap();
        for code in &codes {
            assert_eq!(code.expose().len(), 11);
            assert!(!stored.contains(&code.expose().replace('-', "")));
        }
        let first = codes[0].expose().to_owned();
        assert!(set.redeem(&first.to_lowercase()));
        assert!(!set.redeem(&first), "a spent code works again");
        assert_eq!(set.remaining(), 9);
        assert!(set.redeem(&codes[1].expose().replace('-', " ")));
        assert!(!set.redeem("AAAAA-AAAAA"));
        assert!(!set.redeem("123456"));
    }
}
