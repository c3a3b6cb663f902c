//! Wall-clock time and uptime, injectable so that lockout and idle-lock logic can be tested.

use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use rampart_vault::guard::{Moment, Uptime};

pub trait Clock: Send + Sync {
    /// Seconds since the Unix epoch.
    fn now(&self) -> u64;

    fn now_millis(&self) -> u64 {
        self.now().saturating_mul(1000)
    }

    /// Time since the machine booted, which the user cannot set: the unlock guard's waits
    /// run on it.
    fn uptime(&self) -> Uptime;

    /// Both clocks at once, for the vault.
    fn moment(&self) -> Moment {
        Moment {
            wall: self.now(),
            uptime: self.uptime(),
        }
    }
}

/// This machine's clock in ms since the Unix epoch (where a venue's clock is not measured yet).
pub(crate) fn local_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// This machine's clock in µs since the Unix epoch (what a page's
/// `performance.timeOrigin + performance.now()` counts in ms).
pub(crate) fn wall_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> u64 {
        // A clock before 1970 is reported as 1970: codes then fail to match, nothing panics.
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }

    fn now_millis(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    fn uptime(&self) -> Uptime {
        machine_uptime().unwrap_or_else(process_uptime)
    }
}

/// Linux: the kernel's boot id and `/proc/uptime`, which counts time asleep too (a wait runs
/// out while the lid is closed) and which no clock setting moves.
fn machine_uptime() -> Option<Uptime> {
    static BOOT: OnceLock<Option<String>> = OnceLock::new();
    let boot = BOOT
        .get_or_init(|| {
            std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
                .ok()
                .map(|id| id.trim().to_owned())
                .filter(|id| !id.is_empty())
        })
        .as_ref()?;
    let text = std::fs::read_to_string("/proc/uptime").ok()?;
    Some(Uptime {
        boot: boot.clone(),
        ms: parse_proc_uptime(&text)?,
    })
}

/// The first field of `/proc/uptime` ("12345.67 ...") in ms; seconds with two decimals.
fn parse_proc_uptime(text: &str) -> Option<u64> {
    let first = text.split_whitespace().next()?;
    let (whole, fraction) = first.split_once('.').unwrap_or((first, "0"));
    let whole: u64 = whole.parse().ok()?;
    let mut centis = fraction.chars().chain("00".chars()).take(2);
    let tens = centis.next()?.to_digit(10)?;
    let units = centis.next()?.to_digit(10)?;
    whole
        .checked_mul(1000)?
        .checked_add(u64::from(tens * 100 + units * 10))
}

/// Elsewhere: time since this process first asked, under an id of this process. The guard
/// treats each start of the app as a new boot, so its clock stands still while the app is
/// closed: a wait left when quitting is still there on the next start.
fn process_uptime() -> Uptime {
    static START: OnceLock<(String, Instant)> = OnceLock::new();
    let (id, start) = START.get_or_init(|| {
        let id: u128 = rand::random();
        (format!("process-{id:032x}"), Instant::now())
    });
    Uptime {
        boot: id.clone(),
        ms: u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_uptime_is_read_to_the_hundredth() {
        assert_eq!(
            parse_proc_uptime("350735.47 234388.90\n"),
            Some(350_735_470)
        );
        assert_eq!(parse_proc_uptime("12.5 1.0"), Some(12_500));
        assert_eq!(parse_proc_uptime("7 1"), Some(7_000));
        assert_eq!(parse_proc_uptime(""), None);
        assert_eq!(parse_proc_uptime("-3.00 1"), None);
        assert_eq!(parse_proc_uptime("x.00"), None);
    }

    #[test]
    fn the_system_uptime_only_moves_forward_within_a_boot() {
        let clock = SystemClock;
        let a = clock.uptime();
        std::thread::sleep(std::time::Duration::from_millis(30));
        let b = clock.uptime();
        assert_eq!(a.boot, b.boot);
        assert!(b.ms >= a.ms + 20, "{a:?} then {b:?}");
        #[cfg(target_os = "linux")]
        assert!(
            !a.boot.starts_with("process-"),
            "Linux reads the kernel's boot id"
        );
    }
}
