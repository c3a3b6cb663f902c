//! The lock, enrolment and accounts against the real OS keychain (a private gnome-keyring via
//! `make test`), with an injected clock so that waits take no real time.

mod common;

use common::{TestClock, erase};
use std::process::Command;

use rampart_core::ErrorCode;
use rampart_core::Venue;
use rampart_core::session::{Environment, LockPhase};
use rampart_engine::{AddAccountRequest, Clock, Desk};
use rampart_vault::totp::TotpSeed;
use rampart_vault::{Credentials, Keychain, SecretString};

const SECRET_A: &str = "CanaryAAsecret0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN";
const SECRET_B: &str = "CanaryBBsecret0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN";

fn request(label: &str, key_char: char, secret: &str, code: String) -> AddAccountRequest {
    AddAccountRequest {
        venue: Venue::BinanceUsdm,
        label: label.into(),
        environment: Environment::Testnet,
        credentials: Credentials {
            api_key: SecretString::new(key_char.to_string().repeat(64)),
            api_secret: SecretString::new(secret),
            passphrase: None,
        },
        code,
    }
}

fn secret_tool_search(service: &str) -> String {
    let out = Command::new("secret-tool")
        .args(["search", "--all", "--unlock", "service", service])
        .output()
        .expect("secret-tool (libsecret-tools) is installed by scripts/setup.sh");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn enrol_lockout_unlock_accounts_restart_remove() {
    let ns = format!("rampart-test-session-{}", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::new();
    let desk = Desk::with_parts(
        dir.path().to_path_buf(),
        Keychain::with_namespace(&ns),
        clock.clone(),
    );

    // First run: nothing is reachable before enrolment.
    assert_eq!(
        desk.session_status().unwrap().phase,
        LockPhase::NeedsEnrolment
    );
    assert_eq!(desk.list_accounts().unwrap_err().code, ErrorCode::Locked);
    let view = desk.begin_enrolment().unwrap();
    assert_eq!(view.secret_base32.len(), 32);
    assert!(view.otpauth_url.contains("issuer=Rampart"));
    let seed = TotpSeed::from_base32(&view.secret_base32).unwrap();
    let code = |c: &TestClock| seed.code_at(c.now());
    assert_eq!(
        desk.complete_enrolment_blocking("12345", None)
            .unwrap_err()
            .code,
        ErrorCode::InvalidInput
    );
    let recovery = desk
        .complete_enrolment_blocking(&code(&clock), None)
        .unwrap();
    assert_eq!(recovery.codes.len(), 10);
    assert_eq!(desk.session_status().unwrap().phase, LockPhase::Unlocked);

    // Lock; five wrong codes; the wait is reported and enforced.
    desk.lock_blocking().unwrap();
    assert_eq!(desk.touch().unwrap_err().code, ErrorCode::Locked);
    clock.advance(60);
    let right = code(&clock);
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    for _ in 0..5 {
        assert_eq!(
            desk.unlock_blocking(wrong).unwrap_err().code,
            ErrorCode::WrongCode
        );
    }
    assert_eq!(desk.session_status().unwrap().wait_seconds, Some(30));
    assert_eq!(
        desk.unlock_blocking(&right).unwrap_err().code,
        ErrorCode::TooManyAttempts
    );
    // A restart does not clear the wait (it lives in the keychain), even with the data directory
    // deleted.
    drop(desk);
    std::fs::remove_dir_all(dir.path()).unwrap();
    let desk = Desk::with_parts(
        dir.path().to_path_buf(),
        Keychain::with_namespace(&ns),
        clock.clone(),
    );
    assert_eq!(desk.session_status().unwrap().phase, LockPhase::Locked);
    assert_eq!(desk.session_status().unwrap().wait_seconds, Some(30));
    assert_eq!(
        desk.unlock_blocking(&right).unwrap_err().code,
        ErrorCode::TooManyAttempts
    );
    // Setting the computer's clock a day forward ends no wait: waits run on the uptime.
    clock.set_wall_forward(86_400);
    assert_eq!(desk.session_status().unwrap().wait_seconds, Some(30));
    assert_eq!(
        desk.unlock_blocking(&code(&clock)).unwrap_err().code,
        ErrorCode::TooManyAttempts
    );
    clock.advance(30);
    assert_eq!(
        desk.unlock_blocking(&code(&clock)).unwrap().phase,
        LockPhase::Unlocked
    );

    // Two accounts, each after a fresh code; a replayed code is refused.
    clock.advance(30);
    let a = desk
        .add_account_blocking(request("Binance main", 'a', SECRET_A, code(&clock)))
        .unwrap();
    assert_eq!(
        desk.add_account_blocking(request("Binance alt", 'b', SECRET_B, code(&clock)))
            .unwrap_err()
            .code,
        ErrorCode::CodeAlreadyUsed
    );
    clock.advance(30);
    let b = desk
        .add_account_blocking(request("Binance alt", 'b', SECRET_B, code(&clock)))
        .unwrap();
    assert_eq!(a.masked_key, "aaaa…aaaa");
    assert!(secret_tool_search(&format!("{ns}.account.{}", a.id)).contains(SECRET_A));

    // Restart: a new desk over the same keychain and data directory starts locked.
    drop(desk);
    let desk = Desk::with_parts(
        dir.path().to_path_buf(),
        Keychain::with_namespace(&ns),
        clock.clone(),
    );
    assert_eq!(desk.session_status().unwrap().phase, LockPhase::Locked);
    clock.advance(30);
    desk.unlock_blocking(&code(&clock)).unwrap();
    let listed = desk.list_accounts().unwrap();
    assert_eq!(
        listed.iter().map(|x| x.label.as_str()).collect::<Vec<_>>(),
        ["Binance main", "Binance alt"]
    );

    // Idle lock after the default 10 minutes.
    clock.advance(10 * 60);
    assert_eq!(desk.session_status().unwrap().phase, LockPhase::Locked);
    clock.advance(30);
    desk.unlock_blocking(&code(&clock)).unwrap();

    // Remove one: its keychain entry goes too.
    clock.advance(30);
    let left = desk.remove_account_blocking(&a.id, &code(&clock)).unwrap();
    assert_eq!(left.len(), 1);
    assert!(!secret_tool_search(&format!("{ns}.account.{}", a.id)).contains(SECRET_A));
    assert!(secret_tool_search(&format!("{ns}.account.{}", b.id)).contains(SECRET_B));

    // No secret in the data directory.
    for entry in std::fs::read_dir(dir.path()).unwrap().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        assert!(
            !text.contains("CanaryAA") && !text.contains("CanaryBB"),
            "{}",
            entry.path().display()
        );
    }

    // A shorter idle lock, after a fresh code; out-of-range values are refused.
    clock.advance(30);
    assert_eq!(
        desk.set_idle_lock(0, &code(&clock)).unwrap_err().code,
        ErrorCode::InvalidInput
    );
    assert_eq!(
        desk.set_idle_lock(1, &code(&clock))
            .unwrap()
            .idle_lock_minutes,
        1
    );
    clock.advance(59);
    assert_eq!(desk.session_status().unwrap().phase, LockPhase::Unlocked);
    clock.advance(1);
    assert_eq!(desk.session_status().unwrap().phase, LockPhase::Locked);
    clock.advance(30);
    desk.unlock_blocking(&code(&clock)).unwrap();

    // Clean up this test's keychain entries.
    clock.advance(30);
    desk.remove_account_blocking(&b.id, &code(&clock)).unwrap();
    desk.lock_blocking().unwrap();
    erase(&ns);
    let status = desk.session_status().unwrap();
    assert_eq!(status.phase, LockPhase::NeedsEnrolment);
    assert!(!status.recovery_required, "nothing left to protect");
}

#[test]
fn polling_never_keeps_the_session_open_but_the_users_keys_do() {
    let ns = format!("rampart-test-idle-{}", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::new();
    let desk = Desk::with_parts(
        dir.path().to_path_buf(),
        Keychain::with_namespace(&ns),
        clock.clone(),
    );
    let view = desk.begin_enrolment().unwrap();
    let seed = TotpSeed::from_base32(&view.secret_base32).unwrap();
    desk.complete_enrolment_blocking(&seed.code_at(clock.now()), None)
        .unwrap();
    let code = |clock: &TestClock| {
        clock.advance(30);
        seed.code_at(clock.now())
    };
    desk.set_idle_lock(1, &code(&clock)).unwrap();
    // The page polls every few seconds (accounts, status, settings): a minute after the last
    // key or click the session locks all the same.
    for _ in 0..11 {
        clock.advance(5);
        desk.list_accounts().unwrap();
        desk.security_settings().unwrap();
        assert_eq!(desk.session_status().unwrap().phase, LockPhase::Unlocked);
    }
    clock.advance(5);
    assert_eq!(desk.session_status().unwrap().phase, LockPhase::Locked);
    assert_eq!(desk.list_accounts().unwrap_err().code, ErrorCode::Locked);
    // A touch after the lock does not revive the session.
    assert_eq!(desk.touch().unwrap_err().code, ErrorCode::Locked);

    // Keys and clicks (touch) keep it open.
    desk.unlock_blocking(&code(&clock)).unwrap();
    for _ in 0..5 {
        clock.advance(50);
        desk.touch().unwrap();
    }
    assert_eq!(desk.session_status().unwrap().phase, LockPhase::Unlocked);
    desk.lock_blocking().unwrap();
    erase(&ns);
}

#[test]
fn a_lost_phone_is_replaced_with_a_recovery_code_and_the_accounts_stay() {
    let ns = format!("rampart-test-lost-phone-{}", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::new();
    let desk = Desk::with_parts(
        dir.path().to_path_buf(),
        Keychain::with_namespace(&ns),
        clock.clone(),
    );
    let view = desk.begin_enrolment().unwrap();
    let old = TotpSeed::from_base32(&view.secret_base32).unwrap();
    let recovery = desk
        .complete_enrolment_blocking(&old.code_at(clock.now()), None)
        .unwrap();
    clock.advance(30);
    let account = desk
        .add_account_blocking(request("Main", 'm', SECRET_A, old.code_at(clock.now())))
        .unwrap();
    desk.lock_blocking().unwrap();

    // The phone is gone. A wrong recovery code starts nothing; a right one, while locked,
    // shows a new authenticator, and until a code from it the app stays locked.
    assert_eq!(
        desk.begin_mfa_swap("AAAA-AAAA-AAAA-AAAA").unwrap_err().code,
        ErrorCode::WrongCode
    );
    let swap = desk.begin_mfa_swap(&recovery.codes[0]).unwrap();
    let new = TotpSeed::from_base32(&swap.secret_base32).unwrap();
    assert_eq!(desk.session_status().unwrap().phase, LockPhase::Locked);
    assert_eq!(desk.list_accounts().unwrap_err().code, ErrorCode::Locked);
    clock.advance(30);
    let fresh = desk
        .complete_mfa_swap_blocking(&new.code_at(clock.now()))
        .unwrap();
    assert_eq!(fresh.codes.len(), 10);
    // In, with the same accounts and credentials; the old phone's codes are done.
    assert_eq!(desk.session_status().unwrap().phase, LockPhase::Unlocked);
    assert_eq!(desk.list_accounts().unwrap(), vec![account.clone()]);
    desk.lock_blocking().unwrap();
    clock.advance(30);
    assert!(desk.unlock_blocking(&old.code_at(clock.now())).is_err());
    assert!(desk.unlock_blocking(&recovery.codes[1]).is_err());
    clock.advance(30);
    desk.unlock_blocking(&new.code_at(clock.now())).unwrap();

    // The seed entry disappears (deleted by another program): whoever opens the window next
    // cannot enrol a phone of their own without a recovery code.
    desk.lock_blocking().unwrap();
    let keychain = Keychain::with_namespace(&ns);
    let vault = rampart_vault::Vault::new(keychain.clone(), keychain.namespace());
    rampart_vault::SecretStore::delete(&keychain, &vault.vault_service(), "totp-seed").unwrap();
    let status = desk.session_status().unwrap();
    assert_eq!(status.phase, LockPhase::NeedsEnrolment);
    assert!(status.recovery_required);
    let view = desk.begin_enrolment().unwrap();
    let intruder = TotpSeed::from_base32(&view.secret_base32).unwrap();
    clock.advance(30);
    let refused = desk
        .complete_enrolment_blocking(&intruder.code_at(clock.now()), None)
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::RecoveryCodeNeeded);
    assert!(
        refused.message.contains("recovery codes"),
        "{}",
        refused.message
    );
    // With one of the owner's recovery codes it is the owner setting up a new phone.
    desk.complete_enrolment_blocking(&intruder.code_at(clock.now()), Some(&fresh.codes[0]))
        .unwrap();
    assert_eq!(desk.list_accounts().unwrap(), vec![account.clone()]);
    desk.remove_account_blocking(&account.id, &{
        clock.advance(30);
        intruder.code_at(clock.now())
    })
    .unwrap();
    desk.lock_blocking().unwrap();
    erase(&ns);
}

#[test]
fn files_are_sealed_a_changed_one_is_refused_and_plain_ones_from_before_are_sealed_once() {
    let ns = format!("rampart-test-sealed-{}", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    // A data directory from before sealing: plain settings and accounts files.
    std::fs::write(
        dir.path().join("settings.json"),
        r#"{"idleLockMinutes": 7}"#,
    )
    .unwrap();
    std::fs::write(dir.path().join("accounts.json"), "[]").unwrap();
    let clock = TestClock::new();
    let desk = Desk::with_parts(
        dir.path().to_path_buf(),
        Keychain::with_namespace(&ns),
        clock.clone(),
    );
    let view = desk.begin_enrolment().unwrap();
    let seed = TotpSeed::from_base32(&view.secret_base32).unwrap();
    let code = |clock: &TestClock| {
        clock.advance(30);
        seed.code_at(clock.now())
    };
    desk.complete_enrolment_blocking(&code(&clock), None)
        .unwrap();
    // Read once as they were, sealed at once.
    assert_eq!(desk.security_settings().unwrap().idle_lock_minutes, 7);
    for name in ["settings.json", "accounts.json"] {
        let bytes = std::fs::read(dir.path().join(name)).unwrap();
        assert!(bytes.starts_with(b"RMPS1"), "{name} sealed");
    }
    let added = desk
        .add_account_blocking(request("Live main", 'l', SECRET_A, code(&clock)))
        .unwrap();
    let sealed = std::fs::read(dir.path().join("accounts.json")).unwrap();
    assert!(
        !sealed.windows(9).any(|w| w == b"Live main"),
        "no label in the file"
    );

    // One byte changed: refused, saying which file and what to do; nothing is shown from it.
    let mut flipped = sealed.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x01;
    std::fs::write(dir.path().join("accounts.json"), &flipped).unwrap();
    let err = desk.list_accounts().unwrap_err();
    assert_eq!(err.code, ErrorCode::FileTampered);
    assert!(
        err.message
            .starts_with("accounts.json in the data directory does not match its seal"),
        "{}",
        err.message
    );
    // A plain file put in its place (a live account relabelled "Testnet") is refused too: the
    // files were sealed already, so a plain one is not taken as one from before.
    std::fs::write(
        dir.path().join("accounts.json"),
        format!(
            r#"[{{"id":"{}","venue":"binance_usdm","label":"Testnet","environment":"testnet","maskedKey":"x","fingerprint":"x","createdAt":0}}]"#,
            added.id
        ),
    )
    .unwrap();
    let err = desk.list_accounts().unwrap_err();
    assert_eq!(err.code, ErrorCode::FileTampered);
    assert!(err.message.contains("not sealed"), "{}", err.message);
    // The sealed file back: all is well.
    std::fs::write(dir.path().join("accounts.json"), &sealed).unwrap();
    assert_eq!(desk.list_accounts().unwrap(), vec![added.clone()]);
    // Changed while locked: the unlock is refused with the same message and the app stays
    // locked (no session with a workspace that fails everywhere); restored, it opens.
    desk.lock_blocking().unwrap();
    std::fs::write(dir.path().join("accounts.json"), &flipped).unwrap();
    let err = desk.unlock_blocking(&code(&clock)).unwrap_err();
    assert_eq!(err.code, ErrorCode::FileTampered);
    assert!(err.message.starts_with("accounts.json"), "{}", err.message);
    assert_eq!(desk.session_status().unwrap().phase, LockPhase::Locked);
    assert_eq!(desk.list_accounts().unwrap_err().code, ErrorCode::Locked);
    std::fs::write(dir.path().join("accounts.json"), &sealed).unwrap();
    assert_eq!(
        desk.unlock_blocking(&code(&clock)).unwrap().phase,
        LockPhase::Unlocked
    );
    desk.remove_account_blocking(&added.id, &code(&clock))
        .unwrap();
    desk.lock_blocking().unwrap();
    erase(&ns);
}
