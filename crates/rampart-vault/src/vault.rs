//! The vault: TOTP enrolment and unlock, recovery codes, the unlock guard, the at-rest data key
//! and account credentials, all kept in one [`SecretStore`] (the OS keychain in the app).

use rand::RngCore;
use zeroize::Zeroizing;

use crate::credentials::Credentials;
use crate::guard::{FREE_ATTEMPTS, GuardState, Moment};
use crate::recovery::{self, RecoverySet};
use crate::store::SecretStore;
use crate::totp::{self, CodeFormatError, TotpSeed};
use crate::{SecretString, VaultError};

const SEED: &str = "totp-seed";
const RECOVERY: &str = "recovery-codes";
const GUARD: &str = "unlock-guard";
const DATA_KEY: &str = "data-key";
/// The data key a rotation is moving to, kept beside the current one until every file is
/// sealed under it (a rotation cut short is finished at the next unlock).
const DATA_KEY_NEXT: &str = "data-key-next";
/// Present once the data directory's files are sealed under the data key: a plain file is then
/// refused, never taken as one from before sealing.
const FILES_SEALED: &str = "files-sealed";
/// The audit journal's head (written by rampart-audit's keychain anchor under the vault's service).
const AUDIT_HEAD: &str = "audit-head";
const CREDENTIALS: &str = "credentials";

/// The at-rest encryption key (256 bits). Zeroized on drop; never printed.
pub struct DataKey(Zeroizing<[u8; 32]>);

impl DataKey {
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A key from its bytes (tests; the vault makes and keeps the real one).
    pub fn from_bytes(bytes: [u8; 32]) -> DataKey {
        DataKey(Zeroizing::new(bytes))
    }
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

/// An enrolment in progress: the seed exists only here until a valid code activates it.
#[derive(Debug)]
pub struct Enrolment {
    seed: TotpSeed,
    /// The seed in base32, for typing into an authenticator app.
    pub secret_base32: Zeroizing<String>,
    pub otpauth_url: Zeroizing<String>,
    /// The QR code of `otpauth_url`: grid size and SVG path.
    pub qr_size: usize,
    pub qr_path: String,
}

/// Why a typed code was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum CodeError {
    /// Not a 6-digit code (or recovery code): nothing was checked, nothing counted.
    #[error("{0}")]
    Format(#[from] CodeFormatError),
    /// Too many wrong codes: no code is checked until the wait is over.
    #[error("too many wrong codes; try again in {seconds} s")]
    Wait { seconds: u64 },
    /// A wrong code. `attempts_left` before a delay starts (0 when the next wrong code waits).
    #[error("wrong code")]
    Wrong {
        attempts_left: u32,
        wait_seconds: Option<u64>,
    },
    /// A code whose time step was already used.
    #[error("code already used")]
    Replayed { wait_seconds: Option<u64> },
    /// No TOTP is set up yet.
    #[error("multi-factor authentication is not set up")]
    NotEnrolled,
    /// The vault holds a data key (accounts, keys, files) from an earlier authenticator: a new
    /// one is set up only with one of that authenticator's recovery codes.
    #[error("a recovery code is needed to set up a new authenticator here")]
    RecoveryNeeded,
    /// An authenticator is set up already: a new one replaces it only through a swap.
    #[error("an authenticator is already set up")]
    AlreadyEnrolled,
    #[error(transparent)]
    Vault(#[from] VaultError),
}

pub struct Vault<S> {
    store: S,
    namespace: String,
    /// Held from reading the vault's state (the unlock guard, the recovery codes, the seed, the
    /// data key) to writing it back, so concurrent calls are checked one at a time: a burst of
    /// wrong codes counts each one, and a TOTP step or a recovery code is spent once.
    state: std::sync::Mutex<()>,
}

impl<S: SecretStore> Vault<S> {
    pub fn new(store: S, namespace: impl Into<String>) -> Self {
        Self {
            store,
            namespace: namespace.into(),
            state: std::sync::Mutex::new(()),
        }
    }

    /// The vault's state lock. It guards no data of its own (the state lives in the keychain),
    /// so a panic while holding it leaves nothing half-written here: a poisoned lock is taken.
    fn lock_state(&self) -> std::sync::MutexGuard<'_, ()> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// The keychain service name of the vault's own entries.
    pub fn vault_service(&self) -> String {
        format!("{}.vault", self.namespace)
    }

    /// The keychain service name of one account's credentials.
    pub fn account_service(&self, account_id: &str) -> String {
        format!("{}.account.{account_id}", self.namespace)
    }

    fn get(&self, user: &str) -> Result<Option<Zeroizing<String>>, VaultError> {
        self.store.get(&self.vault_service(), user)
    }

    fn set(&self, user: &str, value: &str) -> Result<(), VaultError> {
        self.store.set(&self.vault_service(), user, value)
    }

    pub fn is_enrolled(&self) -> Result<bool, VaultError> {
        Ok(self.get(SEED)?.is_some())
    }

    /// Whether the data directory's files are sealed (see [`crate::sealed`]); until then plain
    /// files from an earlier version are read once and sealed.
    pub fn files_sealed(&self) -> Result<bool, VaultError> {
        Ok(self.get(FILES_SEALED)?.is_some())
    }

    pub fn mark_files_sealed(&self) -> Result<(), VaultError> {
        self.set(FILES_SEALED, "1")
    }

    /// Whether a data key exists: accounts, keys and files were set up under an authenticator.
    pub fn holds_data(&self) -> Result<bool, VaultError> {
        Ok(self.get(DATA_KEY)?.is_some())
    }

    /// A new seed for `account` (the OS user), not yet stored anywhere.
    pub fn begin_enrolment(account: &str) -> Enrolment {
        let seed = TotpSeed::generate();
        let otpauth_url = seed.otpauth_url(account);
        // A 160-bit seed URL is about 100 bytes: well inside QR capacity at level M.
        let (qr_size, qr_path) = totp::qr_path(&otpauth_url).unwrap_or_default();
        Enrolment {
            secret_base32: seed.to_base32(),
            seed,
            otpauth_url,
            qr_size,
            qr_path,
        }
    }

    /// Activates `enrolment` if `typed` is its current code: stores the seed, fresh recovery
    /// codes (hashes only) and, on first run, the data key. Returns the recovery codes, to be
    /// shown once, and the data key.
    ///
    /// When a data key exists already (the seed went missing while accounts and keys stayed),
    /// whoever opens the window could otherwise enrol and be in: `recovery` must then be one of
    /// the earlier authenticator's recovery codes, or the enrolment is refused
    /// ([`CodeError::RecoveryNeeded`]).
    pub fn complete_enrolment(
        &self,
        enrolment: &Enrolment,
        typed: &str,
        recovery: Option<&str>,
        now: &Moment,
    ) -> Result<(Vec<SecretString>, DataKey), CodeError> {
        let code = totp::normalize_code(typed)?;
        let _state = self.lock_state();
        if self.is_enrolled()? {
            return Err(CodeError::AlreadyEnrolled);
        }
        if self.get(DATA_KEY)?.is_some() {
            let mut guard = self.guard()?;
            if let Some(seconds) = guard.wait_seconds(now) {
                return Err(CodeError::Wait { seconds });
            }
            let Some(recovery) = recovery.filter(|r| !r.trim().is_empty()) else {
                return Err(CodeError::RecoveryNeeded);
            };
            let mut set = self.recovery()?.ok_or(CodeError::RecoveryNeeded)?;
            if !set.redeem(recovery) {
                return Err(self.fail(&mut guard, now, false)?);
            }
            // Spent now, whatever the new code does next.
            self.save_recovery(&set)?;
            tracing::warn!("a recovery code was spent to set up a new authenticator");
        }
        let mut guard = self.guard()?;
        if let Some(seconds) = guard.wait_seconds(now) {
            return Err(CodeError::Wait { seconds });
        }
        guard.observe(now);
        let Some(step) = enrolment.seed.matching_step(&code, now.wall) else {
            return Err(CodeError::Wrong {
                attempts_left: FREE_ATTEMPTS,
                wait_seconds: None,
            });
        };
        let data_key = self.data_key_or_create()?;
        let (codes, set) = RecoverySet::generate();
        self.save_recovery(&set)?;
        guard.record_success(Some(step));
        self.save_guard(&guard)?;
        // Written last: its presence is what "enrolled" means.
        self.set(SEED, &enrolment.seed.to_base32())?;
        Ok((codes, data_key))
    }

    /// Checks an unlock code (TOTP or recovery code) and returns the data key.
    pub fn unlock(&self, typed: &str, now: &Moment) -> Result<DataKey, CodeError> {
        let _state = self.lock_state();
        self.check_code(typed, now, true)?;
        Ok(self.data_key_or_create()?)
    }

    /// Checks a fresh TOTP code for a risky action while unlocked (recovery codes not accepted).
    pub fn step_up(&self, typed: &str, now: &Moment) -> Result<(), CodeError> {
        let _state = self.lock_state();
        self.check_code(typed, now, false)
    }

    /// Wrong codes entered since the last accepted one (for the guard's unlock warning).
    pub fn failures_since_success(&self) -> Result<u32, VaultError> {
        Ok(self.guard()?.consecutive_failures)
    }

    /// Seconds until the next code may be tried, if the guard is holding.
    pub fn wait_seconds(&self, now: &Moment) -> Result<Option<u64>, VaultError> {
        Ok(self.guard()?.wait_seconds(now))
    }

    /// How many recovery codes are left.
    pub fn recovery_codes_left(&self) -> Result<usize, VaultError> {
        Ok(self.recovery()?.map_or(0, |set| set.remaining()))
    }

    /// Checks `typed` (a code of the current authenticator, or one of its recovery codes, which
    /// is spent) and returns a new authenticator to move to; nothing changes until
    /// [`Vault::complete_swap`] gets a code from the new one. The way to a new phone, and the
    /// way back in when the phone is lost.
    pub fn begin_swap(
        &self,
        typed: &str,
        account: &str,
        now: &Moment,
    ) -> Result<Enrolment, CodeError> {
        let _state = self.lock_state();
        if !self.is_enrolled()? {
            return Err(CodeError::NotEnrolled);
        }
        self.check_code(typed, now, true)?;
        Ok(Self::begin_enrolment(account))
    }

    /// Makes `enrolment` the authenticator if `typed` is its current code: the new seed and
    /// fresh recovery codes replace the old ones (the earlier codes stop working), the data key
    /// and the accounts stay. Returns the new recovery codes and the data key.
    pub fn complete_swap(
        &self,
        enrolment: &Enrolment,
        typed: &str,
        now: &Moment,
    ) -> Result<(Vec<SecretString>, DataKey), CodeError> {
        let code = totp::normalize_code(typed)?;
        let _state = self.lock_state();
        let mut guard = self.guard()?;
        if let Some(seconds) = guard.wait_seconds(now) {
            return Err(CodeError::Wait { seconds });
        }
        guard.observe(now);
        let Some(step) = enrolment.seed.matching_step(&code, now.wall) else {
            return Err(self.fail(&mut guard, now, false)?);
        };
        let data_key = self.data_key_or_create()?;
        let (codes, set) = RecoverySet::generate();
        // The seed last: until it is written the old authenticator (and its codes, but for
        // the one spent) still opens the vault.
        self.save_recovery(&set)?;
        guard.record_success(Some(step));
        self.save_guard(&guard)?;
        self.set(SEED, &enrolment.seed.to_base32())?;
        tracing::warn!("moved to a new authenticator");
        Ok((codes, data_key))
    }

    /// Removes every entry of the vault (seed, recovery codes, unlock guard, data key, the audit
    /// journal's anchor): what is encrypted under the data key can no longer be read. For
    /// tests' clean-up and for starting over deliberately.
    pub fn erase(&self) -> Result<(), VaultError> {
        let _state = self.lock_state();
        let service = self.vault_service();
        for entry in [
            SEED,
            RECOVERY,
            GUARD,
            DATA_KEY,
            DATA_KEY_NEXT,
            FILES_SEALED,
            AUDIT_HEAD,
        ] {
            self.store.delete(&service, entry)?;
        }
        Ok(())
    }

    /// Checks a code against the guard and the seed (or the recovery codes). The caller holds
    /// the state lock. TOTP codes are matched at `now` (the phone's time is real time); waits
    /// and the hourly window use the guard's own clock, which never runs back.
    fn check_code(&self, typed: &str, now: &Moment, allow_recovery: bool) -> Result<(), CodeError> {
        let mut guard = self.guard()?;
        if let Some(seconds) = guard.wait_seconds(now) {
            return Err(CodeError::Wait { seconds });
        }
        guard.observe(now);
        let six_digits = totp::normalize_code(typed);
        if allow_recovery && six_digits.is_err() && recovery::normalize(typed).is_some() {
            let mut set = self.recovery()?.ok_or(CodeError::NotEnrolled)?;
            return if set.redeem(typed) {
                self.save_recovery(&set)?;
                guard.record_success(None);
                self.save_guard(&guard)?;
                tracing::warn!(left = set.remaining(), "unlocked with a recovery code");
                Ok(())
            } else {
                Err(self.fail(&mut guard, now, false)?)
            };
        }
        let code = six_digits?;
        let seed = self.seed()?.ok_or(CodeError::NotEnrolled)?;
        match seed.matching_step(&code, now.wall) {
            Some(step) if guard.step_is_fresh(step) => {
                guard.record_success(Some(step));
                self.save_guard(&guard)?;
                Ok(())
            }
            Some(_) => Err(self.fail(&mut guard, now, true)?),
            None => Err(self.fail(&mut guard, now, false)?),
        }
    }

    /// Records a failure (persisting it before answering) and builds the error to return.
    fn fail(
        &self,
        guard: &mut GuardState,
        now: &Moment,
        replay: bool,
    ) -> Result<CodeError, VaultError> {
        if replay {
            guard.record_replay(now);
            tracing::warn!(
                total = guard.replays_rejected,
                "replayed TOTP code rejected"
            );
        } else {
            guard.record_failure(now);
            tracing::warn!(consecutive = guard.consecutive_failures, "wrong code");
        }
        self.save_guard(guard)?;
        let wait_seconds = guard.wait_seconds(now);
        Ok(if replay {
            CodeError::Replayed { wait_seconds }
        } else {
            CodeError::Wrong {
                attempts_left: FREE_ATTEMPTS.saturating_sub(guard.consecutive_failures + 1),
                wait_seconds,
            }
        })
    }

    fn seed(&self) -> Result<Option<TotpSeed>, VaultError> {
        match self.get(SEED)? {
            None => Ok(None),
            Some(text) => TotpSeed::from_base32(&text)
                .map(Some)
                .ok_or_else(|| corrupt("TOTP seed")),
        }
    }

    fn guard(&self) -> Result<GuardState, VaultError> {
        match self.get(GUARD)? {
            None => Ok(GuardState::default()),
            Some(text) => serde_json::from_str(&text).map_err(|_| corrupt("unlock guard")),
        }
    }

    fn save_guard(&self, guard: &GuardState) -> Result<(), VaultError> {
        let text = serde_json::to_string(guard).map_err(|_| corrupt("unlock guard"))?;
        self.set(GUARD, &text)
    }

    fn recovery(&self) -> Result<Option<RecoverySet>, VaultError> {
        match self.get(RECOVERY)? {
            None => Ok(None),
            Some(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|_| corrupt("recovery codes")),
        }
    }

    fn save_recovery(&self, set: &RecoverySet) -> Result<(), VaultError> {
        let text = serde_json::to_string(set).map_err(|_| corrupt("recovery codes"))?;
        self.set(RECOVERY, &text)
    }

    fn stored_key(&self, entry: &str) -> Result<Option<DataKey>, VaultError> {
        let Some(text) = self.get(entry)? else {
            return Ok(None);
        };
        let mut key = Zeroizing::new([0_u8; 32]);
        hex::decode_to_slice(text.as_bytes(), key.as_mut_slice())
            .map_err(|_| corrupt("data key"))?;
        Ok(Some(DataKey(key)))
    }

    fn new_key(&self, entry: &str) -> Result<DataKey, VaultError> {
        let mut key = Zeroizing::new([0_u8; 32]);
        rand::rng().fill_bytes(key.as_mut_slice());
        self.set(entry, &Zeroizing::new(hex::encode(key.as_slice())))?;
        Ok(DataKey(key))
    }

    fn data_key_or_create(&self) -> Result<DataKey, VaultError> {
        match self.stored_key(DATA_KEY)? {
            Some(key) => Ok(key),
            None => self.new_key(DATA_KEY),
        }
    }

    /// The data key a rotation began moving to and did not finish (the process stopped
    /// mid-way), if any: the files are sealed under it or under the current key, each whole.
    pub fn pending_rotation(&self) -> Result<Option<DataKey>, VaultError> {
        self.stored_key(DATA_KEY_NEXT)
    }

    /// Begins moving to a new data key, or resumes the one begun: the new key is stored beside
    /// the current one (which stays the data key until [`Vault::finish_rotation`]).
    pub fn begin_rotation(&self) -> Result<DataKey, VaultError> {
        let _state = self.lock_state();
        match self.stored_key(DATA_KEY_NEXT)? {
            Some(next) => Ok(next),
            None => self.new_key(DATA_KEY_NEXT),
        }
    }

    /// Every file is sealed under the new key: it becomes the data key, and the old one is
    /// gone. Returns the new data key.
    pub fn finish_rotation(&self) -> Result<DataKey, VaultError> {
        let _state = self.lock_state();
        let next = self
            .stored_key(DATA_KEY_NEXT)?
            .ok_or_else(|| corrupt("pending data key"))?;
        self.set(DATA_KEY, &Zeroizing::new(hex::encode(next.bytes())))?;
        self.store.delete(&self.vault_service(), DATA_KEY_NEXT)?;
        Ok(next)
    }

    /// Stores an account's credentials in its own keychain entry.
    pub fn store_credentials(
        &self,
        account_id: &str,
        credentials: &Credentials,
    ) -> Result<(), VaultError> {
        self.store.set(
            &self.account_service(account_id),
            CREDENTIALS,
            &credentials.to_keychain_json(),
        )
    }

    pub fn credentials(&self, account_id: &str) -> Result<Option<Credentials>, VaultError> {
        match self
            .store
            .get(&self.account_service(account_id), CREDENTIALS)?
        {
            None => Ok(None),
            Some(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|_| corrupt("account credentials")),
        }
    }

    pub fn delete_credentials(&self, account_id: &str) -> Result<(), VaultError> {
        self.store
            .delete(&self.account_service(account_id), CREDENTIALS)
    }
}

fn corrupt(what: &str) -> VaultError {
    VaultError::Failure {
        message: format!("The {what} entry in the keychain is damaged and cannot be read."),
        fix: vec![
            "If you changed Rampart's keychain entries by hand, restore them.".into(),
            "Otherwise reset multi-factor authentication with a recovery code and set it up again."
                .into(),
        ],
        detail: format!("{what}: unreadable keychain entry"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    const T0: u64 = 1_800_000_000;

    /// A moment with the wall clock and the uptime in step.
    fn at(wall: u64) -> Moment {
        Moment {
            wall,
            uptime: crate::guard::Uptime {
                boot: "boot-1".into(),
                ms: wall * 1000,
            },
        }
    }

    fn enrolled() -> (Vault<MemoryStore>, TotpSeed, Vec<SecretString>) {
        let vault = Vault::new(MemoryStore::default(), "rampart-test");
        assert!(!vault.is_enrolled().unwrap());
        let enrolment = Vault::<MemoryStore>::begin_enrolment("trader");
        let seed = TotpSeed::from_base32(&enrolment.secret_base32).unwrap();
        assert!(matches!(
            vault.complete_enrolment(&enrolment, &wrong(&seed, T0), None, &at(T0)),
            Err(CodeError::Wrong { .. })
        ));
        assert!(!vault.is_enrolled().unwrap());
        let (codes, _) = vault
            .complete_enrolment(&enrolment, &seed.code_at(T0), None, &at(T0))
            .unwrap();
        assert!(vault.is_enrolled().unwrap());
        (vault, seed, codes)
    }

    fn wrong(seed: &TotpSeed, now: u64) -> String {
        let valid: Vec<String> = [now - 30, now, now + 30]
            .iter()
            .map(|t| seed.code_at(*t))
            .collect();
        (0..1_000_000)
            .map(|n| format!("{n:06}"))
            .find(|c| !valid.contains(c))
            .unwrap()
    }

    /// Runs `f` on `n` threads released at once; returns their answers.
    fn at_once<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
        let start = std::sync::Barrier::new(n);
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..n)
                .map(|i| {
                    let (start, f) = (&start, &f);
                    s.spawn(move || {
                        start.wait();
                        f(i)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        })
    }

    #[test]
    fn eight_wrong_codes_at_once_count_eight_and_earn_the_wait() {
        let (vault, seed, _) = enrolled();
        let now = T0 + 300;
        let bad = wrong(&seed, now);
        let answers = at_once(8, |_| vault.unlock(&bad, &at(now)).map(drop));
        // Some may already be told to wait; none is let in.
        assert!(answers.iter().all(Result::is_err));
        assert_eq!(
            vault.guard().unwrap().consecutive_failures,
            8 - waited(&answers)
        );
        assert!(
            vault.wait_seconds(&at(now)).unwrap().is_some(),
            "five or more failures leave a wait"
        );
    }

    fn waited(answers: &[Result<(), CodeError>]) -> u32 {
        u32::try_from(
            answers
                .iter()
                .filter(|a| matches!(a, Err(CodeError::Wait { .. })))
                .count(),
        )
        .unwrap()
    }

    #[test]
    fn one_code_sent_eight_times_at_once_is_accepted_once() {
        let (vault, seed, codes) = enrolled();
        let now = T0 + 300;
        let code = seed.code_at(now);
        let answers = at_once(8, |_| vault.step_up(&code, &at(now)));
        assert_eq!(
            answers.iter().filter(|a| a.is_ok()).count(),
            1,
            "{answers:?}"
        );
        // A recovery code, the same way: it unlocks once.
        let recovery = codes[3].expose().to_owned();
        let answers = at_once(8, |_| vault.unlock(&recovery, &at(now + 60)).map(drop));
        assert_eq!(answers.iter().filter(|a| a.is_ok()).count(), 1);
        assert_eq!(vault.recovery_codes_left().unwrap(), 9);
    }

    #[test]
    fn enrolment_stores_seed_hashes_guard_and_data_key_only() {
        let (vault, seed, codes) = enrolled();
        assert_eq!(codes.len(), 10);
        assert_eq!(vault.store().len(), 4);
        let stored = vault.get(RECOVERY).unwrap().unwrap();
        assert!(!stored.contains(&codes[0].expose()[..5]));
        assert_eq!(
            vault.get(SEED).unwrap().unwrap().as_str(),
            seed.to_base32().as_str()
        );
        // The enrolment code's step cannot unlock again.
        assert!(matches!(
            vault.unlock(&seed.code_at(T0), &at(T0 + 1)),
            Err(CodeError::Replayed { .. })
        ));
    }

    #[test]
    fn unlock_then_replay_is_refused_and_counted() {
        let (vault, seed, _) = enrolled();
        let now = T0 + 60;
        let key1 = vault.unlock(&seed.code_at(now), &at(now)).unwrap();
        assert!(matches!(
            vault.unlock(&seed.code_at(now), &at(now + 5)),
            Err(CodeError::Replayed { .. })
        ));
        assert_eq!(vault.guard().unwrap().replays_rejected, 1);
        // The next step works, and the data key is the same key.
        let key2 = vault
            .unlock(&seed.code_at(now + 30), &at(now + 30))
            .unwrap();
        assert_eq!(key1.bytes(), key2.bytes());
        assert_eq!(format!("{key1:?}"), "DataKey(<redacted>)");
    }

    #[test]
    fn five_wrong_codes_then_a_wait_even_for_the_right_code() {
        let (vault, seed, _) = enrolled();
        let now = T0 + 300;
        for i in 0..4 {
            match vault.unlock(&wrong(&seed, now), &at(now)) {
                Err(CodeError::Wrong {
                    attempts_left,
                    wait_seconds: None,
                }) => assert_eq!(attempts_left, 3 - i),
                other => panic!("{other:?}"),
            }
        }
        assert!(matches!(
            vault.unlock(&wrong(&seed, now), &at(now)),
            Err(CodeError::Wrong {
                wait_seconds: Some(30),
                ..
            })
        ));
        assert!(matches!(
            vault.unlock(&seed.code_at(now), &at(now + 10)),
            Err(CodeError::Wait { seconds: 20 })
        ));
        // After the wait the right code works and the count resets.
        vault
            .unlock(&seed.code_at(now + 30), &at(now + 30))
            .unwrap();
        assert_eq!(vault.wait_seconds(&at(now + 30)).unwrap(), None);
    }

    #[test]
    fn the_guard_survives_a_new_vault_over_the_same_store() {
        let (vault, seed, _) = enrolled();
        let now = T0 + 300;
        for _ in 0..5 {
            let _ = vault.unlock(&wrong(&seed, now), &at(now));
        }
        // A sixth wrong code after the first wait doubles it.
        let _ = vault.unlock(&wrong(&seed, now + 30), &at(now + 30));
        let reopened = Vault::new(vault.store, "rampart-test");
        assert_eq!(reopened.wait_seconds(&at(now + 30)).unwrap(), Some(60));
    }

    #[test]
    fn recovery_codes_unlock_once_but_never_step_up() {
        let (vault, seed, codes) = enrolled();
        let now = T0 + 120;
        assert!(matches!(
            vault.step_up(codes[0].expose(), &at(now)),
            Err(CodeError::Format(_))
        ));
        vault.unlock(codes[0].expose(), &at(now)).unwrap();
        assert!(matches!(
            vault.unlock(codes[0].expose(), &at(now)),
            Err(CodeError::Wrong { .. })
        ));
        assert_eq!(vault.recovery_codes_left().unwrap(), 9);
        vault.step_up(&seed.code_at(now), &at(now)).unwrap();
    }

    #[test]
    fn malformed_input_is_not_counted() {
        let (vault, _, _) = enrolled();
        for bad in ["", "12 34", "abcdef", "1234567"] {
            assert!(
                matches!(vault.unlock(bad, &at(T0 + 60)), Err(CodeError::Format(_))),
                "{bad}"
            );
        }
        assert_eq!(vault.guard().unwrap().consecutive_failures, 0);
    }

    /// The seed a swap's enrolment carries, as its screen shows it.
    fn seed_of(enrolment: &Enrolment) -> TotpSeed {
        TotpSeed::from_base32(&enrolment.secret_base32).unwrap()
    }

    #[test]
    fn a_swap_needs_a_code_of_the_old_authenticator_then_one_of_the_new() {
        let (vault, old, old_codes) = enrolled();
        let key = vault.unlock(&old.code_at(T0 + 60), &at(T0 + 60)).unwrap();
        // A wrong code starts nothing (and counts).
        assert!(matches!(
            vault.begin_swap(&wrong(&old, T0 + 90), "trader", &at(T0 + 90)),
            Err(CodeError::Wrong { .. })
        ));
        let swap = vault
            .begin_swap(&old.code_at(T0 + 120), "trader", &at(T0 + 120))
            .unwrap();
        let new = seed_of(&swap);
        // Until the new authenticator's code, the old one still opens the vault.
        vault
            .step_up(&old.code_at(T0 + 150), &at(T0 + 150))
            .unwrap();
        assert!(matches!(
            vault.complete_swap(&swap, &wrong(&new, T0 + 180), &at(T0 + 180)),
            Err(CodeError::Wrong { .. })
        ));
        let (codes, key_after) = vault
            .complete_swap(&swap, &new.code_at(T0 + 210), &at(T0 + 210))
            .unwrap();
        assert_eq!(key_after.bytes(), key.bytes(), "the data key stays");
        // The old authenticator and its recovery codes are done; the new ones work.
        assert!(
            vault
                .step_up(&old.code_at(T0 + 240), &at(T0 + 240))
                .is_err()
        );
        assert!(vault.unlock(old_codes[5].expose(), &at(T0 + 250)).is_err());
        vault
            .step_up(&new.code_at(T0 + 270), &at(T0 + 270))
            .unwrap();
        vault.unlock(codes[0].expose(), &at(T0 + 280)).unwrap();
    }

    #[test]
    fn a_lost_phone_is_replaced_with_a_recovery_code_which_is_spent() {
        let (vault, _lost, codes) = enrolled();
        let swap = vault
            .begin_swap(codes[2].expose(), "trader", &at(T0 + 60))
            .unwrap();
        assert_eq!(vault.recovery_codes_left().unwrap(), 9);
        assert!(
            vault
                .begin_swap(codes[2].expose(), "trader", &at(T0 + 90))
                .is_err(),
            "a recovery code starts one swap only"
        );
        let new = seed_of(&swap);
        let (fresh, _) = vault
            .complete_swap(&swap, &new.code_at(T0 + 120), &at(T0 + 120))
            .unwrap();
        assert_eq!(fresh.len(), 10);
        assert_eq!(vault.recovery_codes_left().unwrap(), 10);
    }

    #[test]
    fn with_the_seed_gone_a_new_authenticator_needs_a_recovery_code_while_data_exist() {
        let (vault, seed, codes) = enrolled();
        let key = vault.unlock(&seed.code_at(T0 + 60), &at(T0 + 60)).unwrap();
        // The seed entry disappears from the keychain (deleted by hand, another program).
        vault.store.delete(&vault.vault_service(), SEED).unwrap();
        assert!(!vault.is_enrolled().unwrap());
        assert!(vault.holds_data().unwrap());
        let enrolment = Vault::<MemoryStore>::begin_enrolment("someone");
        let new = seed_of(&enrolment);
        assert!(matches!(
            vault.complete_enrolment(&enrolment, &new.code_at(T0 + 90), None, &at(T0 + 90)),
            Err(CodeError::RecoveryNeeded)
        ));
        assert!(matches!(
            vault.complete_enrolment(
                &enrolment,
                &new.code_at(T0 + 90),
                Some("AAAA-AAAA-AAAA-AAAA"),
                &at(T0 + 90)
            ),
            Err(CodeError::Wrong { .. })
        ));
        assert!(!vault.is_enrolled().unwrap(), "nothing was set up");
        let (_, key_after) = vault
            .complete_enrolment(
                &enrolment,
                &new.code_at(T0 + 120),
                Some(codes[0].expose()),
                &at(T0 + 120),
            )
            .unwrap();
        assert_eq!(key_after.bytes(), key.bytes());
        // Enrolled again, a second enrolment is refused.
        assert!(matches!(
            vault.complete_enrolment(&enrolment, &new.code_at(T0 + 150), None, &at(T0 + 150)),
            Err(CodeError::AlreadyEnrolled)
        ));
        // Erased, nothing is left to protect: a fresh enrolment needs no code.
        vault.erase().unwrap();
        assert!(!vault.holds_data().unwrap());
        vault
            .complete_enrolment(&enrolment, &new.code_at(T0 + 180), None, &at(T0 + 180))
            .unwrap();
    }

    #[test]
    fn credentials_round_trip_and_delete() {
        let vault = Vault::new(MemoryStore::default(), "rampart-test");
        let creds = Credentials {
            api_key: SecretString::new("k".repeat(64)),
            api_secret: SecretString::new("s".repeat(64)),
            passphrase: None,
        };
        vault.store_credentials("a1", &creds).unwrap();
        let back = vault.credentials("a1").unwrap().unwrap();
        assert_eq!(back.api_secret.expose(), creds.api_secret.expose());
        vault.delete_credentials("a1").unwrap();
        assert!(vault.credentials("a1").unwrap().is_none());
        vault.delete_credentials("a1").unwrap();
    }
}
