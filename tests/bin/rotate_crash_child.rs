//! A process for the rotation crash test (tests/integration/rotation_crash.rs): it unlocks a
//! desk on a data directory (which finishes a rotation a previous run left half-done), then
//! rotates the data key again and again through `Desk::rotate_data_key`, each time with a
//! fresh code, printing `rotated N` after each, until the test kills it.
//!
//! Usage: `rotate-crash-child DATA_DIR KEYCHAIN_NAMESPACE SEED_BASE32 FIRST_SECOND`. The desk's
//! wall clock starts at FIRST_SECOND and moves one TOTP step per code, so that every code is
//! fresh; waits run on the machine's real uptime.

use rampart_engine::Desk;
use rampart_tests::StepClock;
use rampart_vault::Keychain;
use rampart_vault::totp::TotpSeed;
use std::io::Write;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, dir, namespace, seed, first] = args.as_slice() else {
        eprintln!("usage: rotate-crash-child DATA_DIR KEYCHAIN_NAMESPACE SEED_BASE32 FIRST_SECOND");
        std::process::exit(2);
    };
    let seed = TotpSeed::from_base32(seed).expect("a base32 seed");
    let clock = StepClock::starting_at(first.parse().expect("seconds"));
    let desk = Desk::with_parts(
        dir.into(),
        Keychain::with_namespace(namespace.as_str()),
        clock.clone(),
    );
    let code = || clock.fresh_code(&seed);
    let mut out = std::io::stdout().lock();
    if let Err(e) = desk.unlock_blocking(&code()) {
        eprintln!("unlock: {e}");
        std::process::exit(1);
    }
    let _ = writeln!(out, "open");
    let _ = out.flush();
    for n in 1.. {
        if let Err(e) = desk.rotate_data_key(&code()) {
            eprintln!("rotate: {e}");
            std::process::exit(1);
        }
        let _ = writeln!(out, "rotated {n}");
        let _ = out.flush();
    }
}
