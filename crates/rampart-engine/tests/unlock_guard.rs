//! Issue 10, item 2 (unlock anomalies) at the desk: wrong codes before the right one are listed
//! as a warning once the app is unlocked; the enrolment's machine and OS user are kept in the
//! guard's history, and an unlock as the same user on the same machine raises nothing about it.

mod common;

use common::*;

use rampart_engine::Clock;
use rampart_guard::WarningKind;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_codes_before_an_unlock_are_listed_and_the_enrolment_seat_is_kept() {
    let Enrolled {
        ns,
        dir,
        clock,
        desk,
        seed,
        ..
    } = enrolled("unlock-guard").await;
    desk.lock().await.unwrap();
    let history = open_sealed(&ns, &dir.path().join("guard-history.json"));
    let seat = &history["seat"];
    assert_eq!(seat["machine"].as_str().unwrap().len(), 24, "{history}");
    assert!(!seat["os_user"].as_str().unwrap().is_empty(), "{history}");

    // A clean unlock: nothing about the unlock is listed.
    clock.advance(30);
    desk.unlock(seed.code_at(clock.now())).await.unwrap();
    let listed = desk.guard_status().unwrap();
    assert!(
        !listed.warnings.iter().any(|w| matches!(
            w.warning.kind,
            WarningKind::UnlockFailures | WarningKind::NewSeat
        )),
        "{listed:?}"
    );
    desk.lock().await.unwrap();

    // Three wrong codes, then the right one: listed with the count.
    clock.advance(30);
    for wrong in ["000000", "111111", "222222"] {
        let right = seed.code_at(clock.now());
        let wrong = if wrong == right { "333333" } else { wrong };
        assert!(desk.unlock(wrong.to_owned()).await.is_err());
    }
    desk.unlock(seed.code_at(clock.now())).await.unwrap();
    let listed = desk.guard_status().unwrap();
    let failures: Vec<_> = listed
        .warnings
        .iter()
        .filter(|w| w.warning.kind == WarningKind::UnlockFailures)
        .collect();
    assert_eq!(failures.len(), 1, "{listed:?}");
    assert_eq!(failures[0].warning.seen, "3 wrong codes before this unlock");
    desk.lock().await.unwrap();
}
