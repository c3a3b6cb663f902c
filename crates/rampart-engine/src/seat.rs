//! Where the app is being unlocked: the machine (by its stable id, hashed, so the id itself is
//! never kept) and the OS user. The guard compares each unlock with the enrolment's.

use rampart_guard::Seat;
use sha2::{Digest, Sha256};

/// The machine's stable id: systemd's machine id on Linux (or D-Bus's copy of it), the
/// computer's name elsewhere. `None` when none can be read.
fn machine_id() -> Option<String> {
    let files = ["/etc/machine-id", "/var/lib/dbus/machine-id"];
    files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .map(|s| s.trim().to_owned())
        .find(|s| !s.is_empty())
        .or_else(|| {
            ["COMPUTERNAME", "HOSTNAME"]
                .iter()
                .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()))
        })
}

/// The user the app runs as, by the environment the OS login sets.
fn os_user() -> String {
    ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// This machine and user, as the guard keeps them.
pub(crate) fn current() -> Seat {
    let machine = machine_id().map_or_else(
        || "unknown".to_owned(),
        |id| {
            // A hash prefix tells machines apart without keeping the id.
            let digest = Sha256::digest(format!("rampart-seat:{id}").as_bytes());
            hex::encode(&digest[..12])
        },
    );
    Seat {
        machine,
        os_user: os_user(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seat_is_stable_and_keeps_no_raw_machine_id() {
        let a = current();
        assert_eq!(a, current());
        if let Some(id) = machine_id() {
            assert!(!a.machine.contains(&id));
            assert_eq!(a.machine.len(), 24);
        }
        assert!(!a.os_user.is_empty());
    }
}
