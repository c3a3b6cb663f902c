//! What the desk tests share: an injected clock, a desk enrolled over a private keychain
//! namespace (the real OS keychain via `make test`), fresh codes, waiting for an account to
//! connect, and opening a sealed file with the keychain's data key. Each test binary uses part
//! of it.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rampart_engine::orders::ConnectionState;
use rampart_engine::{Clock, Desk};
use rampart_vault::guard::Uptime;
use rampart_vault::totp::TotpSeed;
use rampart_vault::{Keychain, SecretStore};

/// The wall clock and the uptime: time passing moves both, a changed clock setting only the
/// wall.
pub struct TestClock {
    wall: AtomicU64,
    uptime: AtomicU64,
}

impl Clock for TestClock {
    fn now(&self) -> u64 {
        self.wall.load(Ordering::SeqCst)
    }

    fn uptime(&self) -> Uptime {
        Uptime {
            boot: "test-boot".into(),
            ms: self.uptime.load(Ordering::SeqCst) * 1000,
        }
    }
}

impl TestClock {
    pub fn new() -> Arc<TestClock> {
        Arc::new(TestClock {
            wall: AtomicU64::new(1_900_000_000),
            uptime: AtomicU64::new(1_000),
        })
    }

    /// Time passes.
    pub fn advance(&self, seconds: u64) {
        self.wall.fetch_add(seconds, Ordering::SeqCst);
        self.uptime.fetch_add(seconds, Ordering::SeqCst);
    }

    /// The computer's clock is set forward; no time passes.
    pub fn set_wall_forward(&self, seconds: u64) {
        self.wall.fetch_add(seconds, Ordering::SeqCst);
    }
}

/// A fresh code: the clock moves a TOTP step on first, as a code is good once.
pub fn fresh_code(clock: &TestClock, seed: &TotpSeed) -> String {
    clock.advance(30);
    seed.code_at(clock.now())
}

/// A desk enrolled with an authenticator (unlocked, the Demo account created).
pub struct Enrolled {
    /// The keychain namespace, `rampart-test-<name>-<pid>`.
    pub ns: String,
    pub dir: tempfile::TempDir,
    pub clock: Arc<TestClock>,
    pub desk: Arc<Desk>,
    pub seed: TotpSeed,
}

pub async fn enrolled(name: &str) -> Enrolled {
    let ns = format!("rampart-test-{name}-{}", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::new();
    let desk = Arc::new(Desk::with_parts(
        dir.path().to_path_buf(),
        Keychain::with_namespace(&ns),
        clock.clone(),
    ));
    let view = desk.begin_enrolment().unwrap();
    let seed = TotpSeed::from_base32(&view.secret_base32).unwrap();
    desk.complete_enrolment(seed.code_at(clock.now()), None)
        .await
        .unwrap();
    Enrolled {
        ns,
        dir,
        clock,
        desk,
        seed,
    }
}

/// The data key as the test's own keychain namespace holds it now (as only someone who can
/// read the keychain could have it).
pub fn data_key(ns: &str) -> rampart_vault::DataKey {
    let keychain = Keychain::with_namespace(ns);
    let vault = rampart_vault::Vault::new(keychain.clone(), keychain.namespace());
    let hex_key = keychain
        .get(&vault.vault_service(), "data-key")
        .unwrap()
        .expect("a data key");
    let mut key = [0u8; 32];
    hex::decode_to_slice(hex_key.as_bytes(), &mut key).unwrap();
    rampart_vault::DataKey::from_bytes(key)
}

/// A sealed file of the data directory, opened with the [`data_key`].
pub fn open_sealed(ns: &str, path: &Path) -> serde_json::Value {
    let bytes = std::fs::read(path).unwrap();
    let name = path.file_name().unwrap().to_str().unwrap();
    let text = rampart_vault::sealed::open(&data_key(ns), name, &bytes)
        .expect("sealed under the data key");
    serde_json::from_slice(&text).unwrap()
}

/// Removes a test's vault entries from the keychain.
pub fn erase(ns: &str) {
    let keychain = Keychain::with_namespace(ns);
    rampart_vault::Vault::new(keychain.clone(), keychain.namespace())
        .erase()
        .unwrap();
}

/// Waits (at most 20 s, checking every 20 ms) until `account_id`'s connection is ready; panics
/// if it failed.
pub async fn until_ready(desk: &Desk, account_id: &str) {
    let started = Instant::now();
    loop {
        let status = desk.trading_status().await.unwrap();
        let mine = status
            .iter()
            .find(|s| s.account.id == account_id)
            .expect("the account is listed");
        match &mine.status.connection {
            ConnectionState::Ready => return,
            ConnectionState::Failed(why) => panic!("the Demo account did not connect: {why}"),
            ConnectionState::Connecting => {}
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "still connecting"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
