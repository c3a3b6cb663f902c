//! The `books` channel's incremental updates and OKX's checksum.
//!
//! okx.com/docs-v5/en/#order-book-trading-market-data-ws-order-book-channel: the first push is
//! a `snapshot` of up to 400 levels a side, then `update`s carry the changed levels only (size
//! "0": the level is gone), with `seqId` and `prevSeqId`. "Checksum": build a string of the
//! best 25 bids and asks interleaved, `bid[0].px:bid[0].sz:ask[0].px:ask[0].sz:...` (a side
//! that runs out contributes nothing further), and take its CRC32 as a signed 32-bit integer.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::super::views::num;
use crate::core::Book;

/// One side as sent: price → size strings.
pub(super) type Side = BTreeMap<Decimal, String>;

/// What a subscriber was last sent of one book.
#[derive(Debug, Default)]
pub(super) struct Sent {
    pub bids: Side,
    pub asks: Side,
    pub seq: i64,
}

fn side_of(levels: &[crate::core::Level]) -> Side {
    levels.iter().map(|l| (l.price, num(l.qty))).collect()
}

/// The levels that changed from `old` to `new` (gone ones with size "0"), as OKX sends them.
fn diff(old: &Side, new: &Side, best_first_desc: bool) -> Vec<Value> {
    let mut changed: Vec<(Decimal, String)> = Vec::new();
    for (px, sz) in new {
        if old.get(px) != Some(sz) {
            changed.push((*px, sz.clone()));
        }
    }
    for px in old.keys() {
        if !new.contains_key(px) {
            changed.push((*px, "0".into()));
        }
    }
    changed.sort_by(|a, b| {
        if best_first_desc {
            b.0.cmp(&a.0)
        } else {
            a.0.cmp(&b.0)
        }
    });
    changed
        .into_iter()
        .map(|(px, sz)| json!([num(px), sz, "0", if sz == "0" { "0" } else { "1" }]))
        .collect()
}

fn levels(side: &Side, desc: bool) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = side.iter().map(|(p, s)| (num(*p), s.clone())).collect();
    if desc {
        v.reverse();
    }
    v
}

/// OKX's checksum of the book as the subscriber holds it.
pub(super) fn checksum(bids: &Side, asks: &Side) -> i32 {
    let b = levels(bids, true);
    let a = levels(asks, false);
    let mut parts: Vec<String> = Vec::new();
    for i in 0..25 {
        if let Some((p, s)) = b.get(i) {
            parts.push(format!("{p}:{s}"));
        }
        if let Some((p, s)) = a.get(i) {
            parts.push(format!("{p}:{s}"));
        }
    }
    crc32(parts.join(":").as_bytes()) as i32
}

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320).
pub(super) fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// The push for `book` given what was sent before (`None`: nothing yet, a snapshot), and
/// records what is sent now. `None` when nothing changed.
pub(super) fn push(book: &Book, sent: &mut Option<Sent>) -> Option<Value> {
    let bids = side_of(&book.bids);
    let asks = side_of(&book.asks);
    let seq = i64::try_from(book.seq).unwrap_or(i64::MAX);
    let (action, bid_rows, ask_rows, prev) = match sent.as_ref() {
        None => (
            "snapshot",
            levels(&bids, true)
                .into_iter()
                .map(|(p, s)| json!([p, s, "0", "1"]))
                .collect::<Vec<_>>(),
            levels(&asks, false)
                .into_iter()
                .map(|(p, s)| json!([p, s, "0", "1"]))
                .collect::<Vec<_>>(),
            -1,
        ),
        Some(old) => {
            let b = diff(&old.bids, &bids, true);
            let a = diff(&old.asks, &asks, false);
            if b.is_empty() && a.is_empty() {
                return None;
            }
            ("update", b, a, old.seq)
        }
    };
    let sum = checksum(&bids, &asks);
    *sent = Some(Sent { bids, asks, seq });
    Some(json!({
        "action": action,
        "data": [{
            "asks": ask_rows,
            "bids": bid_rows,
            "ts": book.time_ms.to_string(),
            "checksum": sum,
            "seqId": seq,
            "prevSeqId": prev,
        }],
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        // The CRC-32/ISO-HDLC check value of "123456789".
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn checksum_interleaves_bids_and_asks() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        let bids: Side = [(d("3366.1"), "7".to_string()), (d("3366"), "6".to_string())].into();
        let asks: Side = [(d("3366.8"), "9".to_string())].into();
        // "3366.1:7:3366.8:9:3366:6"
        assert_eq!(
            checksum(&bids, &asks),
            crc32(b"3366.1:7:3366.8:9:3366:6") as i32
        );
    }
}
