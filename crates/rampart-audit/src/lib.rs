//! Rampart's audit trail: a record of everything Rampart did, which nobody can read without the
//! data key nor edit, delete, reorder, truncate or replace unnoticed.
//!
//! One journal file, append-only. Each record carries its sequence number, a timestamp and the
//! SHA-256 of the record before it, and is encrypted with AES-256-GCM under a key derived from
//! the vault's data key, with a fresh random 96-bit nonce. The head (how many records, and the
//! hash of the last) is anchored in the OS keychain after every append, so a copy of the file
//! from before, or one cut short, no longer reaches the anchor.
//!
//! Durability: [`Journal::append`] returns once the record is written and `fdatasync`ed; a
//! crash while writing can lose only the record being written, which verification reports as
//! an incomplete last record and which the next [`Journal::open`] cuts off. The keychain anchor
//! is written by a background thread after the append (a keychain write is a D-Bus round trip);
//! records past the anchor are accepted when they chain from it, so the anchor's lag is the
//! only window in which the newest records could be cut off unnoticed.
//!
//! Layout of the file (see [`format`]): a header (`RMPA1` and the journal's random 16-byte id),
//! then frames: length (u32 LE) · nonce (12) · ciphertext with its 16-byte tag. The plaintext is
//! the sequence number (u64 LE), the time in ms (i64 LE), the previous record's hash (32) and
//! the entry as JSON. A record's hash is the SHA-256 of its whole frame; the first record's
//! "previous" is the hash of the header.

mod anchor;
mod entry;
pub mod format;
mod journal;
mod verify;

pub use anchor::{AnchorStore, Head, KeychainAnchor};
pub use entry::{Entry, Kind, Record};
pub use format::AuditKey;
pub use journal::{Journal, Opened, rekey_file};
pub use verify::{Problem, ProblemKind, Verification, read_records, verify_file};

/// What can go wrong writing or reading the journal.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("the audit journal {path} could not be {what}: {source}")]
    Io {
        path: String,
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("the keychain's audit anchor could not be {what}: {detail}")]
    Anchor { what: &'static str, detail: String },
}
