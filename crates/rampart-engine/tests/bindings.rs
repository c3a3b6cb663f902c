//! The TypeScript bindings under `ui/src/lib/bindings/` must match the Rust IPC types.
//!
//! This test renders every exported type into a scratch directory and compares it with the
//! committed files. To regenerate after changing a type: `make bindings`
//! (`RAMPART_WRITE_BINDINGS=1 cargo test -p rampart-engine --test bindings`).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use rampart_core::audit::{
    AuditExported, AuditFormat, AuditKind, AuditPage, AuditQuery, AuditRecordView, AuditState,
    AuditStatus,
};
use rampart_core::feed::{Candle, CandleInterval, PublicTrade};
use rampart_core::options::OptionChain;
use rampart_core::session::{
    AccountView, EnrolmentView, RecoveryCodesView, SecuritySettings, SessionStatus,
};
use rampart_core::status::Preflight;
use rampart_core::trading::{
    Balance, FeeRates, InstrumentRules, LeverageRequest, MarkPrice, OrderBook, OrderState, Position,
};
use rampart_core::{ApiError, OrderType, Price, Qty, Side, TimeInForce, Venue};
use rampart_engine::guard::GuardStatus;
use rampart_engine::guard_settings::GuardSettingsView;
use rampart_engine::kill::KillSwitchReport;
use rampart_engine::live::LiveChanges;
use rampart_engine::orders::{OrderTicket, PlaceOutcome, PlacedOrder};
use rampart_engine::{AddAccountRequest, OrderRef, TradingStatus};
use ts_rs::{Config, TS};

fn committed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/bindings")
}

fn render_all(out: &Path) {
    let cfg = Config::new().with_out_dir(out);
    ApiError::export_all(&cfg).unwrap();
    Preflight::export_all(&cfg).unwrap();
    SessionStatus::export_all(&cfg).unwrap();
    EnrolmentView::export_all(&cfg).unwrap();
    RecoveryCodesView::export_all(&cfg).unwrap();
    AccountView::export_all(&cfg).unwrap();
    SecuritySettings::export_all(&cfg).unwrap();
    AddAccountRequest::export_all(&cfg).unwrap();
    Venue::export_all(&cfg).unwrap();
    Side::export_all(&cfg).unwrap();
    OrderType::export_all(&cfg).unwrap();
    TimeInForce::export_all(&cfg).unwrap();
    Price::export_all(&cfg).unwrap();
    Qty::export_all(&cfg).unwrap();
    TradingStatus::export_all(&cfg).unwrap();
    InstrumentRules::export_all(&cfg).unwrap();
    OrderTicket::export_all(&cfg).unwrap();
    PlacedOrder::export_all(&cfg).unwrap();
    PlaceOutcome::export_all(&cfg).unwrap();
    GuardStatus::export_all(&cfg).unwrap();
    KillSwitchReport::export_all(&cfg).unwrap();
    GuardSettingsView::export_all(&cfg).unwrap();
    OrderRef::export_all(&cfg).unwrap();
    OrderState::export_all(&cfg).unwrap();
    Position::export_all(&cfg).unwrap();
    Balance::export_all(&cfg).unwrap();
    MarkPrice::export_all(&cfg).unwrap();
    FeeRates::export_all(&cfg).unwrap();
    OptionChain::export_all(&cfg).unwrap();
    LiveChanges::export_all(&cfg).unwrap();
    Candle::export_all(&cfg).unwrap();
    CandleInterval::export_all(&cfg).unwrap();
    OrderBook::export_all(&cfg).unwrap();
    PublicTrade::export_all(&cfg).unwrap();
    LeverageRequest::export_all(&cfg).unwrap();
    AuditKind::export_all(&cfg).unwrap();
    AuditState::export_all(&cfg).unwrap();
    AuditStatus::export_all(&cfg).unwrap();
    AuditQuery::export_all(&cfg).unwrap();
    AuditRecordView::export_all(&cfg).unwrap();
    AuditPage::export_all(&cfg).unwrap();
    AuditFormat::export_all(&cfg).unwrap();
    AuditExported::export_all(&cfg).unwrap();
}

fn read_tree(dir: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return files;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "ts") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            files.insert(name, fs::read_to_string(&path).unwrap());
        }
    }
    files
}

#[test]
fn typescript_bindings_are_up_to_date() {
    let scratch = tempfile::tempdir().unwrap();
    render_all(scratch.path());
    let fresh = read_tree(scratch.path());
    assert!(fresh.contains_key("ApiError.ts") && fresh.contains_key("Preflight.ts"));

    let committed_dir = committed_dir();
    if std::env::var_os("RAMPART_WRITE_BINDINGS").is_some() {
        fs::create_dir_all(&committed_dir).unwrap();
        for stale in read_tree(&committed_dir).keys() {
            fs::remove_file(committed_dir.join(stale)).unwrap();
        }
        for (name, text) in &fresh {
            fs::write(committed_dir.join(name), text).unwrap();
        }
        return;
    }

    let committed = read_tree(&committed_dir);
    let fresh_names: Vec<_> = fresh.keys().collect();
    let committed_names: Vec<_> = committed.keys().collect();
    assert_eq!(
        committed_names, fresh_names,
        "the set of binding files differs; run `make bindings` and commit ui/src/lib/bindings"
    );
    for (name, text) in &fresh {
        assert_eq!(
            &committed[name], text,
            "ui/src/lib/bindings/{name} is stale; run `make bindings` and commit it"
        );
    }
}
