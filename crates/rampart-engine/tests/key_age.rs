//! Issue 12, item 3: an exchange API key older than the limit in Security settings (90 days
//! unless changed) raises a reminder at unlock; the limit is set with a code, within 7–365.

mod common;

use common::*;

use rampart_core::ErrorCode;
use rampart_guard::WarningKind;

fn old_key_warnings(desk: &rampart_engine::Desk) -> Vec<String> {
    desk.guard_status()
        .unwrap()
        .warnings
        .into_iter()
        .filter(|w| w.warning.kind == WarningKind::KeyOld)
        .map(|w| w.warning.seen)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_past_the_age_limit_is_a_reminder_at_unlock() {
    // The data directory lives as long as `_dir`.
    let Enrolled {
        ns,
        dir: _dir,
        clock,
        desk,
        seed,
    } = enrolled("key-age").await;
    assert_eq!(desk.security_settings().unwrap().key_max_age_days, 90);
    assert!(old_key_warnings(&desk).is_empty(), "a new key is not old");

    // 89 days on: still within the limit.
    desk.lock().await.unwrap();
    clock.advance(89 * 86_400);
    desk.unlock(fresh_code(&clock, &seed)).await.unwrap();
    assert!(old_key_warnings(&desk).is_empty());

    // 91 days after the Demo key was made: the reminder names the account and the figures.
    desk.lock().await.unwrap();
    clock.advance(2 * 86_400);
    desk.unlock(fresh_code(&clock, &seed)).await.unwrap();
    let warnings = old_key_warnings(&desk);
    assert_eq!(
        warnings,
        vec!["The API key of \"Demo\" is 91 days old, past your 90-day limit".to_owned()]
    );

    // The limit: within 7–365 days, with a code; a longer one silences this key.
    assert_eq!(
        desk.set_key_age_limit(5, &fresh_code(&clock, &seed))
            .unwrap_err()
            .code,
        ErrorCode::InvalidInput
    );
    assert_eq!(
        desk.set_key_age_limit(120, "000000").unwrap_err().code,
        ErrorCode::WrongCode
    );
    let settings = desk
        .set_key_age_limit(120, &fresh_code(&clock, &seed))
        .unwrap();
    assert_eq!(settings.key_max_age_days, 120);
    assert_eq!(settings.idle_lock_minutes, 10, "the idle lock stays");
    desk.lock().await.unwrap();
    clock.advance(120);
    desk.unlock(fresh_code(&clock, &seed)).await.unwrap();
    assert_eq!(
        old_key_warnings(&desk).len(),
        1,
        "no new reminder under 120 days"
    );
    desk.lock().await.unwrap();
    erase(&ns);
}
