//! Issue 12: the desk's audit trail against the real keychain and the Demo venue over loopback.
//! What the user did is recorded, read back and filtered; an order's intent, its signed
//! request (a hash of the signature, never the key) and the venue's answer are there; a changed
//! journal is found at the next unlock, shown, warned about and set aside.

mod common;

use common::*;

use std::time::{Duration, Instant};

use rampart_core::audit::{AuditFormat, AuditKind, AuditQuery, AuditState};
use rampart_core::{ErrorCode, OrderType, Side};
use rampart_engine::orders::{ConnectionState, OrderTicket, PlaceOutcome};

/// Waits for the Demo account (the only one) to connect.
async fn demo_ready(desk: &rampart_engine::Desk) {
    let started = Instant::now();
    while desk.trading_status().await.unwrap()[0].status.connection != ConnectionState::Ready {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "Demo did not connect"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn market_buy(qty: &str) -> OrderTicket {
    OrderTicket {
        symbol: "BTCUSDT".into(),
        side: Side::Buy,
        order_type: OrderType::Market,
        qty: qty.parse().unwrap(),
        price: None,
        trigger_price: None,
        time_in_force: None,
        reduce_only: false,
        trigger_by: None,
        margin_mode: None,
        position_side: Default::default(),
    }
}

fn kinds(kinds: &[AuditKind]) -> AuditQuery {
    AuditQuery {
        kinds: kinds.to_vec(),
        ..AuditQuery::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_user_did_is_recorded_read_back_filtered_and_exported() {
    let Enrolled {
        ns,
        dir,
        clock,
        desk,
        seed,
    } = enrolled("audit").await;
    let status = desk.audit_status().unwrap();
    assert_eq!(status.state, AuditState::Intact, "{}", status.summary);

    // The Demo account connects; one market order goes through the engine to its simulator.
    let demo = desk.list_accounts().unwrap().remove(0);
    demo_ready(&desk).await;
    let ticket = market_buy("0.012");
    let outcome = desk
        .place_order(&demo.id, &ticket, true, None)
        .await
        .unwrap();
    let PlaceOutcome::Placed { order, .. } = outcome else {
        panic!("{outcome:?}")
    };
    // A wrong code for a risky action, and a setting changed.
    assert_eq!(
        desk.set_idle_lock(5, "000000").unwrap_err().code,
        ErrorCode::WrongCode
    );
    desk.set_idle_lock(5, &fresh_code(&clock, &seed)).unwrap();

    let page = desk.audit_records(&AuditQuery::default()).unwrap();
    let seen: Vec<AuditKind> = page.records.iter().rev().map(|r| r.kind).collect();
    for kind in [
        AuditKind::Mfa,
        AuditKind::OrderIntent,
        AuditKind::Request,
        AuditKind::Answer,
        AuditKind::CodeRefused,
        AuditKind::Settings,
    ] {
        assert!(seen.contains(&kind), "{kind:?} missing from {seen:?}");
    }
    // Newest first, numbered from 0 without a gap.
    let seqs: Vec<u64> = page.records.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, (0..seqs.len() as u64).rev().collect::<Vec<_>>());
    assert_eq!(page.status.records, seqs.len() as u64);

    // The order: intent, then the signed POST with its parameters and only a hash of the
    // signature, then the answer with the venue's order id.
    let orders = desk
        .audit_records(&AuditQuery {
            account: Some(demo.id.clone()),
            kinds: vec![
                AuditKind::OrderIntent,
                AuditKind::Request,
                AuditKind::Answer,
            ],
            ..AuditQuery::default()
        })
        .unwrap();
    let intent = orders
        .records
        .iter()
        .find(|r| r.kind == AuditKind::OrderIntent)
        .unwrap();
    assert_eq!(intent.summary, "Buy 0.012 BTCUSDT market");
    let post = orders
        .records
        .iter()
        .find(|r| r.kind == AuditKind::Request && r.summary == "POST /fapi/v1/order")
        .expect("the order's request");
    assert!(post.seq > intent.seq);
    let params = &post.detail["params"];
    assert_eq!(params["symbol"], "BTCUSDT");
    assert_eq!(params["quantity"], "0.012");
    assert_eq!(params["newClientOrderId"], order.client_order_id.as_str());
    assert!(params.get("signature").is_none());
    assert_eq!(post.detail["signatureSha256"].as_str().unwrap().len(), 64);
    let answer = orders
        .records
        .iter()
        .find(|r| r.kind == AuditKind::Answer && r.detail["path"] == "/fapi/v1/order")
        .expect("the order's answer");
    assert!(answer.seq > post.seq);
    assert_eq!(answer.detail["status"], 200);
    assert_eq!(
        answer.detail["clientOrderId"],
        order.client_order_id.as_str()
    );
    assert!(
        answer.detail["orderId"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
    // A request that carries only the API key (the user-data stream's listen key) is there
    // too, with no signature to hash; the listen key it got back is not.
    let listen = page
        .records
        .iter()
        .find(|r| r.kind == AuditKind::Request && r.summary == "POST /fapi/v1/listenKey")
        .expect("the listen-key request");
    assert!(listen.detail["signatureSha256"].is_null());
    assert!(
        page.records
            .iter()
            .all(|r| !r.detail.to_string().contains("listenKey\":")),
        "no listen key recorded"
    );
    // No key, no secret anywhere in the records.
    let everything = serde_json::to_string(&page.records).unwrap();
    let credentials =
        rampart_vault::Vault::new(rampart_vault::Keychain::with_namespace(&ns), ns.clone())
            .credentials(&demo.id)
            .unwrap()
            .unwrap();
    assert!(!everything.contains(credentials.api_key.expose()));
    assert!(!everything.contains(credentials.api_secret.expose()));

    // Filters: a time window before everything finds nothing; kinds and account narrow.
    let none = desk
        .audit_records(&AuditQuery {
            to_ms: Some(0),
            ..AuditQuery::default()
        })
        .unwrap();
    assert_eq!((none.matching, none.records.len()), (0, 0));
    let settings = desk.audit_records(&kinds(&[AuditKind::Settings])).unwrap();
    assert_eq!(settings.matching, 1);
    assert_eq!(
        settings.records[0].summary,
        "Idle lock set to 5 minutes (was 10)"
    );
    // Paging: two at a time, older ones after the smallest seq shown.
    let first = desk
        .audit_records(&AuditQuery {
            limit: Some(2),
            ..AuditQuery::default()
        })
        .unwrap();
    let next = desk
        .audit_records(&AuditQuery {
            limit: Some(2),
            before_seq: Some(first.records[1].seq),
            ..AuditQuery::default()
        })
        .unwrap();
    assert_eq!(next.records[0].seq, first.records[1].seq - 1);

    // Export: a code first; CSV of the settings change.
    let out = dir.path().join("exports");
    assert_eq!(
        desk.export_audit(
            &kinds(&[AuditKind::Settings]),
            AuditFormat::Csv,
            "000000",
            &out
        )
        .unwrap_err()
        .code,
        ErrorCode::WrongCode
    );
    let exported = desk
        .export_audit(
            &kinds(&[AuditKind::Settings]),
            AuditFormat::Csv,
            &fresh_code(&clock, &seed),
            &out,
        )
        .unwrap();
    assert_eq!(exported.records, 1);
    let csv = std::fs::read_to_string(&exported.path).unwrap();
    assert!(csv.starts_with("seq,time_utc_ms,kind,account,summary,detail\r\n"));
    assert!(csv.contains("\"settings\",\"\",\"Idle lock set to 5 minutes (was 10)\""));
    let json = desk
        .export_audit(
            &AuditQuery::default(),
            AuditFormat::Json,
            &fresh_code(&clock, &seed),
            &out,
        )
        .unwrap();
    let parsed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json.path).unwrap()).unwrap();
    assert_eq!(parsed["intact"], true);
    assert!(parsed["records"].as_array().unwrap().len() > 5);

    // Locked, nothing can be read; unlocked again, the lock and the unlock are recorded.
    desk.lock().await.unwrap();
    assert_eq!(
        desk.audit_records(&AuditQuery::default()).unwrap_err().code,
        ErrorCode::Locked
    );
    let _ = desk.unlock("000000".into()).await;
    desk.unlock(fresh_code(&clock, &seed)).await.unwrap();
    let recent = desk
        .audit_records(&kinds(&[AuditKind::Lock, AuditKind::Unlock]))
        .unwrap();
    let summaries: Vec<&str> = recent.records.iter().map(|r| r.summary.as_str()).collect();
    assert_eq!(summaries[..2], ["Unlocked after 1 wrong code", "Locked"]);
    // Nothing of it is readable on disk.
    let bytes = std::fs::read(dir.path().join("audit.journal")).unwrap();
    for needle in ["BTCUSDT", "Idle lock", "fapi", demo.id.as_str()] {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "{needle}"
        );
    }
    desk.lock().await.unwrap();
    erase(&ns);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_changed_while_locked_is_found_at_unlock_warned_about_and_set_aside() {
    let Enrolled {
        ns,
        dir,
        clock,
        desk,
        seed,
    } = enrolled("audit-tamper").await;
    desk.set_idle_lock(7, &fresh_code(&clock, &seed)).unwrap();
    desk.lock().await.unwrap();
    let path = dir.path().join("audit.journal");
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 40;
    bytes[last] ^= 0x10;
    std::fs::write(&path, &bytes).unwrap();

    desk.unlock(fresh_code(&clock, &seed)).await.unwrap();
    let status = desk.audit_status().unwrap();
    assert_eq!(status.state, AuditState::Broken);
    assert!(
        status.summary.starts_with("The journal ends at record"),
        "{}",
        status.summary
    );
    let kept = status.kept_as.clone().expect("kept aside");
    assert_eq!(std::fs::read(&kept).unwrap(), bytes, "kept as found");
    let warnings = desk.guard_status().unwrap().warnings;
    assert!(
        warnings.iter().any(|w| w
            .warning
            .seen
            .starts_with("The audit journal failed verification")),
        "{warnings:?}"
    );
    // The new journal starts with why, and goes on.
    let page = desk.audit_records(&AuditQuery::default()).unwrap();
    let oldest = page.records.last().unwrap();
    assert_eq!(oldest.kind, AuditKind::Audit);
    assert!(
        oldest
            .summary
            .starts_with("The previous audit journal failed verification")
    );
    assert!(page.records.iter().any(|r| r.kind == AuditKind::Unlock));
    assert!(page.records.iter().any(|r| r.kind == AuditKind::Warning));
    desk.lock().await.unwrap();
    erase(&ns);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_seals_everything_under_a_new_key_and_trading_and_recording_go_on() {
    let Enrolled {
        ns,
        dir,
        clock,
        desk,
        seed,
    } = enrolled("rotate").await;
    let demo = desk.list_accounts().unwrap().remove(0);
    demo_ready(&desk).await;
    let ticket = market_buy;
    let placed = desk
        .place_order(&demo.id, &ticket("0.004"), true, None)
        .await
        .unwrap();
    assert!(matches!(placed, PlaceOutcome::Placed { .. }), "{placed:?}");
    desk.set_idle_lock(7, &fresh_code(&clock, &seed)).unwrap();
    let before = desk.audit_records(&AuditQuery::default()).unwrap();
    let old = data_key(&ns);

    assert_eq!(
        desk.rotate_data_key("000000").unwrap_err().code,
        ErrorCode::WrongCode
    );
    desk.rotate_data_key(&fresh_code(&clock, &seed)).unwrap();
    let new = data_key(&ns);
    assert_ne!(old.bytes(), new.bytes(), "a new data key");
    let accounts = dir.path().join("accounts.json");
    let sealed = std::fs::read(&accounts).unwrap();
    assert!(rampart_vault::sealed::open(&new, "accounts.json", &sealed).is_ok());
    assert!(rampart_vault::sealed::open(&old, "accounts.json", &sealed).is_err());
    let journal = dir.path().join("orders.journal");
    // The order is settled: compacted at the rewrite, the journal holds no open intent.
    assert!(rampart_engine::orders::OrderJournal::read_all(&journal, &new).is_ok());

    // Nothing lost: the accounts, the setting, every audit record (and the rotation's own).
    assert_eq!(desk.list_accounts().unwrap(), vec![demo.clone()]);
    assert_eq!(desk.security_settings().unwrap().idle_lock_minutes, 7);
    let after = desk.audit_records(&AuditQuery::default()).unwrap();
    assert_eq!(
        after.status.state,
        AuditState::Intact,
        "{}",
        after.status.summary
    );
    assert_eq!(
        after.matching,
        before.matching + 2,
        "the refused code and the rotation"
    );
    assert!(after.records[0].summary.starts_with("Data key rotated"));
    let same = |r: &rampart_core::audit::AuditRecordView| (r.seq, r.ts_ms, r.summary.clone());
    assert_eq!(
        after.records[2..].iter().map(same).collect::<Vec<_>>(),
        before.records.iter().map(same).collect::<Vec<_>>()
    );

    // Trading and recording go on under the new key, and the next unlock verifies it all.
    let placed = desk
        .place_order(&demo.id, &ticket("0.005"), true, None)
        .await
        .unwrap();
    assert!(matches!(placed, PlaceOutcome::Placed { .. }), "{placed:?}");
    let records = rampart_engine::orders::OrderJournal::read_all(&journal, &new).unwrap();
    assert!(
        records.iter().any(|r| r["event"] == "intent"),
        "{records:?}"
    );
    assert!(rampart_engine::orders::OrderJournal::read_all(&journal, &old).is_err());
    desk.lock().await.unwrap();
    desk.unlock(fresh_code(&clock, &seed)).await.unwrap();
    let status = desk.audit_status().unwrap();
    assert_eq!(status.state, AuditState::Intact, "{}", status.summary);
    assert_eq!(desk.security_settings().unwrap().idle_lock_minutes, 7);
    desk.lock().await.unwrap();
    erase(&ns);
}
