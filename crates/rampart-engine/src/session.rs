//! Enrolment, unlock, lock, step-up, accounts and security settings.

use std::sync::Arc;
use std::time::Duration;

use rampart_core::session::{
    AccountView, EnrolmentView, Environment, IDLE_LOCK_MINUTES, KEY_MAX_AGE_DAYS, LockPhase,
    RecoveryCodesView, SecuritySettings, SessionStatus,
};
use rampart_core::{ApiError, ErrorCode, Venue};
use rampart_vault::{CodeError, Credentials, Vault};
use rand::RngCore;
use serde::Deserialize;
use ts_rs::TS;

use rampart_audit::{Entry, Kind};

use crate::files::{Plain, read_sealed_json, write_sealed_json};
use crate::{Desk, Session};

/// How often the app should call [`Desk::expire_idle`] so an idle session locks on time.
pub const IDLE_CHECK_INTERVAL: Duration = Duration::from_secs(5);

pub(crate) const ACCOUNTS_FILE: &str = "accounts.json";
pub(crate) const SETTINGS_FILE: &str = "settings.json";
const MAX_LABEL_CHARS: usize = 64;

/// The add-account form. `credentials` crosses IPC once, inward, and is never returned.
#[derive(Debug, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct AddAccountRequest {
    pub venue: Venue,
    pub label: String,
    pub environment: Environment,
    pub credentials: Credentials,
    /// A fresh TOTP code (step-up).
    pub code: String,
}

fn code_error(err: CodeError) -> ApiError {
    match err {
        CodeError::Format(e) => ApiError::new(
            ErrorCode::InvalidInput,
            format!("{}.", capitalise(&e.to_string())),
        ),
        CodeError::Wait { seconds } => ApiError::new(
            ErrorCode::TooManyAttempts,
            format!("Too many wrong codes. Try again in {seconds} seconds."),
        ),
        CodeError::Wrong {
            wait_seconds: Some(s),
            ..
        } => ApiError::new(
            ErrorCode::WrongCode,
            format!(
                "That code is not valid. Too many wrong codes: wait {s} seconds before the next try."
            ),
        ),
        CodeError::Wrong {
            attempts_left,
            wait_seconds: None,
        } => ApiError::new(
            ErrorCode::WrongCode,
            if attempts_left == 0 {
                "That code is not valid. One more wrong code starts a 30-second wait.".to_owned()
            } else {
                format!(
                    "That code is not valid. Check your authenticator app's clock and try again ({attempts_left} {} before a wait).",
                    if attempts_left == 1 { "try" } else { "tries" }
                )
            },
        ),
        CodeError::Replayed { .. } => ApiError::new(
            ErrorCode::CodeAlreadyUsed,
            "That code was already used. Wait for the next code in your authenticator app.",
        ),
        CodeError::NotEnrolled => {
            ApiError::new(ErrorCode::NotEnrolled, "Set up an authenticator app first.")
        }
        CodeError::RecoveryNeeded => ApiError::new(
            ErrorCode::RecoveryCodeNeeded,
            "Rampart already holds accounts and keys set up with an earlier authenticator, so a \
             new one can only be set up with one of that authenticator's recovery codes. Enter \
             one with the new code.",
        ),
        CodeError::AlreadyEnrolled => ApiError::new(
            ErrorCode::InvalidInput,
            "An authenticator is already set up. To move to a new phone, use Security → Move to \
             a new authenticator.",
        ),
        CodeError::Vault(e) => e.into(),
    }
}

/// A new account id: 12 hex digits.
pub(crate) fn new_account_id() -> String {
    let mut raw = [0_u8; 6];
    rand::rng().fill_bytes(&mut raw);
    hex::encode(raw)
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidInput, message)
}

pub(crate) fn locked() -> ApiError {
    ApiError::new(
        ErrorCode::Locked,
        "Rampart is locked. Unlock it with a code from your authenticator app.",
    )
}

/// The OS user, as the authenticator app's account name.
fn os_user() -> String {
    ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.trim().is_empty()))
        .unwrap_or_else(|| "trader".into())
}

fn clean_label(label: &str) -> Result<String, ApiError> {
    let label = label.trim();
    if label.is_empty() {
        return Err(invalid("Give the account a label, e.g. \"Binance main\"."));
    }
    if label.chars().count() > MAX_LABEL_CHARS {
        return Err(invalid(format!(
            "The label is longer than {MAX_LABEL_CHARS} characters."
        )));
    }
    if label.chars().any(char::is_control) {
        return Err(invalid("The label contains control characters."));
    }
    if label.chars().any(is_invisible_format) {
        return Err(invalid(
            "The label contains an invisible formatting character (a direction mark or a \
             zero-width character), which could make one account look like another; type it \
             again without pasting.",
        ));
    }
    Ok(label.to_owned())
}

/// Unicode format characters that change how text around them shows without showing
/// themselves: direction marks, embeddings, overrides and isolates, zero-width characters, the
/// soft hyphen and the byte-order mark. "Live" could be made to read "Demo" with them.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

/// What the screen shows of an authenticator being set up.
fn enrolment_view(enrolment: &rampart_vault::Enrolment, account: String) -> EnrolmentView {
    EnrolmentView {
        issuer: rampart_vault::totp::ISSUER.into(),
        account,
        secret_base32: enrolment.secret_base32.as_str().to_owned(),
        otpauth_url: enrolment.otpauth_url.as_str().to_owned(),
        qr_size: u32::try_from(enrolment.qr_size).unwrap_or(0),
        qr_path: enrolment.qr_path.clone(),
    }
}

impl Desk {
    /// The security settings: read from the data directory once, then kept in memory.
    fn settings_now(&self) -> Result<SecuritySettings, ApiError> {
        if let Some(settings) = &self.state().settings {
            return Ok(settings.clone());
        }
        // Sealed under the data key: while locked (before the first unlock of this run) the
        // default stands, which only the status line shows; it is read at unlock.
        if self.state().session.is_none() {
            return Ok(SecuritySettings::default());
        }
        let settings = self
            .read_file::<SecuritySettings>(SETTINGS_FILE)?
            .filter(|s| {
                IDLE_LOCK_MINUTES.contains(&s.idle_lock_minutes)
                    && KEY_MAX_AGE_DAYS.contains(&s.key_max_age_days)
            })
            .unwrap_or_default();
        self.state().settings = Some(settings.clone());
        Ok(settings)
    }

    /// Where the app stands: enrol, unlock, or unlocked. Locks an idle session first.
    pub fn session_status(&self) -> Result<SessionStatus, ApiError> {
        let settings = self.settings_now()?;
        self.expire_idle_with(&settings);
        let phase = if self.state().session.is_some() {
            LockPhase::Unlocked
        } else if self.vault.is_enrolled()? {
            LockPhase::Locked
        } else {
            LockPhase::NeedsEnrolment
        };
        // Only a locked app can be waiting; an unlocked one (polled every few seconds) skips the
        // keychain read.
        let wait_seconds = if phase == LockPhase::Unlocked {
            None
        } else {
            self.vault
                .wait_seconds(&self.clock.moment())?
                .map(|s| u32::try_from(s).unwrap_or(u32::MAX))
        };
        let recovery_required = phase == LockPhase::NeedsEnrolment && self.vault.holds_data()?;
        Ok(SessionStatus {
            phase,
            wait_seconds,
            idle_lock_minutes: settings.idle_lock_minutes,
            recovery_required,
        })
    }

    /// Locks the session if it has been idle for longer than the setting allows.
    pub fn expire_idle(&self) {
        match self.settings_now() {
            Ok(settings) => self.expire_idle_with(&settings),
            // Unreadable settings: fall back to the default rather than never locking.
            Err(_) => self.expire_idle_with(&SecuritySettings::default()),
        }
    }

    fn expire_idle_with(&self, settings: &SecuritySettings) {
        let now = self.clock.now();
        let limit = u64::from(settings.idle_lock_minutes) * 60;
        let mut state = self.state();
        if state
            .session
            .as_ref()
            .is_some_and(|s| now.saturating_sub(s.last_activity) >= limit)
        {
            let session = state.session.take();
            drop(state);
            self.audit.record(
                Entry::new(
                    Kind::Lock,
                    format!("Locked after {} idle minutes", settings.idle_lock_minutes),
                )
                .detail(serde_json::json!({ "by": "idle", "minutes": settings.idle_lock_minutes })),
            );
            self.close_audit();
            self.disconnect_accounts(session.as_ref().map(|s| &s.data_key));
            tracing::info!("locked after {} idle minutes", settings.idle_lock_minutes);
        }
    }

    /// Refuses with `locked` unless a session is open and not idle-expired. Not activity: the
    /// page's polling (status, tables, warnings) must never keep the session open; only the
    /// user's own keys and clicks ([`Desk::touch`]) and codes they type do.
    pub(crate) fn require_unlocked(&self) -> Result<(), ApiError> {
        let settings = self.settings_now()?;
        self.expire_idle_with(&settings);
        if self.state().session.is_some() {
            Ok(())
        } else {
            Err(locked())
        }
    }

    /// The user did something (a key, a click, a code): the idle lock starts counting again.
    /// Refused once the session has expired, so a late touch cannot revive it.
    fn note_activity(&self) -> Result<(), ApiError> {
        self.require_unlocked()?;
        let now = self.clock.now();
        match self.state().session.as_mut() {
            Some(session) => {
                session.last_activity = session.last_activity.max(now);
                Ok(())
            }
            None => Err(locked()),
        }
    }

    /// Opens the session with `data_key`, then opens every sealed file with it before the
    /// session counts: a file changed or replaced behind Rampart's back keeps the app locked
    /// with a message naming it (`file_tampered`), rather than opening a workspace where
    /// everything fails. Files from before sealing are sealed here, once.
    fn open_session(&self, data_key: rampart_vault::DataKey) -> Result<(), ApiError> {
        // A key rotation cut short is finished first: until then files may be under either key.
        let data_key = self.resume_rotation(data_key)?;
        self.state().session = Some(Session {
            data_key,
            last_activity: self.clock.now(),
        });
        let opened = crate::SEALED_FILES
            .iter()
            .try_for_each(|name| self.read_file::<serde_json::Value>(name).map(drop));
        if let Err(e) = opened {
            let mut state = self.state();
            state.session = None;
            state.settings = None;
            tracing::warn!(error = %e.message, "a data file is not as Rampart sealed it; stays locked");
            return Err(e);
        }
        self.note_files_sealed();
        if let Ok(key) = self.session_key() {
            self.open_audit(&key);
        }
        Ok(())
    }

    /// The session's data key, copied out (zeroized on drop) so no lock is held over file I/O.
    pub(crate) fn session_key(&self) -> Result<rampart_vault::DataKey, ApiError> {
        let state = self.state();
        let session = state.session.as_ref().ok_or_else(locked)?;
        Ok(rampart_vault::DataKey::from_bytes(
            *session.data_key.bytes(),
        ))
    }

    /// A file of the data directory, opened with the data key (`None` if it does not exist).
    /// Before the files are sealed (a data directory from an earlier version) a plain file is
    /// read and sealed at once; after, a plain or changed file is refused (`file_tampered`).
    pub(crate) fn read_file<T: serde::de::DeserializeOwned + serde::Serialize>(
        &self,
        name: &str,
    ) -> Result<Option<T>, ApiError> {
        let _files = self.files_lock();
        let key = self.session_key()?;
        let path = self.data_dir.join(name);
        let plain = if self.files_sealed()? {
            Plain::Refuse
        } else {
            Plain::Migrate
        };
        match read_sealed_json::<T>(&path, &key, plain)? {
            None => Ok(None),
            Some((value, was_plain)) => {
                if was_plain {
                    write_sealed_json(&path, &key, &value)?;
                    tracing::info!(file = name, "sealed under the data key");
                }
                Ok(Some(value))
            }
        }
    }

    /// Seals `value` under the data key and writes it as the data directory's `name`.
    pub(crate) fn write_file<T: serde::Serialize>(
        &self,
        name: &str,
        value: &T,
    ) -> Result<(), ApiError> {
        let _files = self.files_lock();
        let key = self.session_key()?;
        write_sealed_json(&self.data_dir.join(name), &key, value)
    }

    /// Notes in the vault that every file is sealed (from then on a plain file is refused).
    fn note_files_sealed(&self) {
        match self.files_sealed() {
            Ok(true) => {}
            Ok(false) => match self.vault.mark_files_sealed() {
                Ok(()) => self.state().files_sealed = true,
                Err(e) => tracing::warn!(error = %e, "could not note the files as sealed"),
            },
            Err(e) => {
                tracing::warn!(error = %e.message, "could not tell whether the files are sealed");
            }
        }
    }

    /// Whether the files are sealed: the vault's note, read from the keychain until it says
    /// so, then remembered (it is never taken back while the app runs).
    fn files_sealed(&self) -> Result<bool, ApiError> {
        if self.state().files_sealed {
            return Ok(true);
        }
        let sealed = self.vault.files_sealed()?;
        if sealed {
            self.state().files_sealed = true;
        }
        Ok(sealed)
    }

    /// Starts (or restarts) enrolment: a new seed, shown once.
    pub fn begin_enrolment(&self) -> Result<EnrolmentView, ApiError> {
        if self.vault.is_enrolled()? {
            return Err(invalid(
                "An authenticator is already set up. Unlock with it, or reset it from Security settings.",
            ));
        }
        let account = os_user();
        let enrolment = Vault::<rampart_vault::Keychain>::begin_enrolment(&account);
        let view = enrolment_view(&enrolment, account);
        self.state().enrolment = Some(enrolment);
        Ok(view)
    }

    /// Activates the enrolment with a valid code, unlocks, connects the accounts (creating the
    /// Demo account) and returns the recovery codes (once).
    pub async fn complete_enrolment(
        self: &Arc<Self>,
        code: String,
        recovery_code: Option<String>,
    ) -> Result<RecoveryCodesView, ApiError> {
        let codes = self
            .run(move |d| d.complete_enrolment_blocking(&code, recovery_code.as_deref()))
            .await?;
        self.connect_after_unlock().await;
        // The authenticator was enrolled here, as this user: later unlocks compare with it.
        if let Ok(engine) = self.unlocked_engine() {
            engine.guard().enrolled(crate::seat::current());
        }
        Ok(codes)
    }

    /// Unlocks with a TOTP code or a recovery code, then connects the accounts; orders whose
    /// outcome was unknown when Rampart last stopped are resolved with their venues before
    /// their accounts take new ones.
    pub async fn unlock(self: &Arc<Self>, code: String) -> Result<SessionStatus, ApiError> {
        let (status, failures) = self
            .run(move |d| {
                // Read before the code is checked: a right code sets the count back to zero.
                // `None` when the session was open already: nothing was unlocked.
                let failures = d
                    .state()
                    .session
                    .is_none()
                    .then(|| d.vault.failures_since_success().unwrap_or(0));
                Ok((d.unlock_blocking(&code)?, failures))
            })
            .await?;
        self.connect_after_unlock().await;
        if let Some(failures) = failures {
            self.observe_unlock(failures);
        }
        Ok(status)
    }

    /// The unlock goes past the guard: wrong codes before it, the hour, the machine and OS
    /// user against the enrolment's (the first unlock after enrolment sets those).
    fn observe_unlock(&self, failures_before: u32) {
        let Ok(engine) = self.unlocked_engine() else {
            return;
        };
        let seat = crate::seat::current();
        let audit = self.state().audit.clone();
        let mut guard = engine.guard();
        if guard.history().seat.is_none() {
            guard.enrolled(seat.clone());
        }
        let at = crate::orders::guard_now();
        if let Some(status) = audit
            .as_ref()
            .filter(|s| s.state != rampart_core::audit::AuditState::Intact)
        {
            guard.audit_broken(&status.summary, at);
        }
        self.audit.record(
            Entry::new(
                Kind::Unlock,
                match failures_before {
                    0 => "Unlocked".to_owned(),
                    1 => "Unlocked after 1 wrong code".to_owned(),
                    n => format!("Unlocked after {n} wrong codes"),
                },
            )
            .detail(serde_json::json!({
                "wrongCodesBefore": failures_before,
                "auditJournal": audit.as_ref().map(|s| s.summary.clone()),
            })),
        );
        let warnings = guard.observe_unlock(&rampart_guard::UnlockFacts {
            failures_before,
            seat,
            at,
        });
        if !warnings.is_empty() {
            tracing::warn!(count = warnings.len(), "the unlock raised warnings");
        }
    }

    /// Locks now: the in-memory data key is dropped (zeroized) and the venue connections (which
    /// hold the keys in memory) are closed.
    pub async fn lock(self: &Arc<Self>) -> Result<SessionStatus, ApiError> {
        self.run(|d| d.lock_blocking()).await
    }

    async fn connect_after_unlock(self: &Arc<Self>) {
        // The unlock itself has succeeded; a connection problem is shown per account.
        if let Err(err) = self.connect_accounts().await {
            tracing::error!(%err, "accounts could not be connected after unlock");
        }
    }

    /// The blocking part of [`Desk::complete_enrolment`] (keychain): activates and unlocks.
    pub fn complete_enrolment_blocking(
        &self,
        code: &str,
        recovery_code: Option<&str>,
    ) -> Result<RecoveryCodesView, ApiError> {
        if self.vault.is_enrolled()? {
            return Err(invalid("An authenticator is already set up."));
        }
        let mut state = self.state();
        let enrolment = state.enrolment.as_ref().ok_or_else(|| {
            invalid("Start the set-up again: no authenticator secret is pending.")
        })?;
        let (codes, data_key) = self
            .vault
            .complete_enrolment(enrolment, code, recovery_code, &self.clock.moment())
            .map_err(code_error)?;
        state.enrolment = None;
        drop(state);
        // The authenticator is active and its recovery codes must be shown whatever the files
        // say; a refused file is then reported at the lock screen's next unlock.
        if let Err(e) = self.open_session(data_key) {
            tracing::warn!(error = %e.message, "enrolled, but not unlocked");
        }
        self.audit.record(
            Entry::new(
                Kind::Mfa,
                if recovery_code.is_some() {
                    "A new authenticator set up with a recovery code of the earlier one; recovery codes shown"
                } else {
                    "Authenticator set up; recovery codes shown"
                },
            )
            .detail(serde_json::json!({ "withRecoveryCode": recovery_code.is_some() })),
        );
        tracing::info!("authenticator activated");
        Ok(RecoveryCodesView {
            codes: codes.iter().map(|c| c.expose().to_owned()).collect(),
        })
    }

    /// The blocking part of [`Desk::unlock`] (keychain): checks the code and opens the session.
    pub fn unlock_blocking(&self, code: &str) -> Result<SessionStatus, ApiError> {
        if self.state().session.is_none() {
            let data_key = self
                .vault
                .unlock(code, &self.clock.moment())
                .map_err(code_error)?;
            self.open_session(data_key)?;
            tracing::info!("unlocked");
        }
        self.session_status()
    }

    /// The blocking part of [`Desk::lock`].
    pub fn lock_blocking(&self) -> Result<SessionStatus, ApiError> {
        self.lock_by("user", "Locked")
    }

    /// Locks as the app quits (see [`Desk::lock_blocking`]).
    pub fn lock_on_quit(&self) -> Result<SessionStatus, ApiError> {
        self.lock_by("quit", "Locked: Rampart was closed")
    }

    fn lock_by(&self, by: &str, summary: &str) -> Result<SessionStatus, ApiError> {
        self.audit
            .record(Entry::new(Kind::Lock, summary).detail(serde_json::json!({ "by": by })));
        let session = self.state().session.take();
        self.close_audit();
        self.disconnect_accounts(session.as_ref().map(|s| &s.data_key));
        if session.is_some() {
            tracing::info!("locked");
        }
        self.session_status()
    }

    /// Records user activity (keys, clicks) for the idle lock.
    pub fn touch(&self) -> Result<(), ApiError> {
        self.note_activity()
    }

    /// Runs `f` with the at-rest data key, which exists in memory only while unlocked.
    pub fn with_data_key<T>(
        &self,
        f: impl FnOnce(&rampart_vault::DataKey) -> T,
    ) -> Result<T, ApiError> {
        self.require_unlocked()?;
        let state = self.state();
        let session = state.session.as_ref().ok_or_else(locked)?;
        Ok(f(&session.data_key))
    }

    pub(crate) fn step_up(&self, code: &str) -> Result<(), ApiError> {
        self.require_unlocked()?;
        if let Err(e) = self.vault.step_up(code, &self.clock.moment()) {
            let e = code_error(e);
            self.audit.record(
                Entry::new(Kind::CodeRefused, e.message.clone())
                    .detail(serde_json::json!({ "code": e.code.as_str() })),
            );
            return Err(e);
        }
        // A code typed is the user at the keyboard.
        self.note_activity()
    }

    pub(crate) fn accounts_path(&self) -> std::path::PathBuf {
        self.data_dir.join(ACCOUNTS_FILE)
    }

    pub(crate) fn load_accounts(&self) -> Result<Vec<AccountView>, ApiError> {
        Ok(self.read_file(ACCOUNTS_FILE)?.unwrap_or_default())
    }

    pub fn list_accounts(&self) -> Result<Vec<AccountView>, ApiError> {
        self.require_unlocked()?;
        self.load_accounts()
    }

    /// Validates, asks for a fresh code, stores the credentials in the keychain and the label in
    /// the data directory. Either both are written or neither.
    pub fn add_account_blocking(
        &self,
        request: AddAccountRequest,
    ) -> Result<AccountView, ApiError> {
        self.require_unlocked()?;
        let label = clean_label(&request.label)?;
        let mut request = request;
        if request.environment.is_simulator() {
            // A Demo account of a venue trades on Rampart's simulator of it, with keys made here
            // in the venue's format; whatever the form sent in the key fields is not used.
            if !crate::demo::has_simulator(request.venue) {
                return Err(invalid(format!(
                    "Rampart has no simulator of {} yet; choose another venue for a Demo \
                     account.",
                    request.venue.display_name()
                )));
            }
            request.credentials = crate::demo::new_credentials(request.venue);
        }
        request
            .credentials
            .validate(request.venue)
            .map_err(|e| invalid(format!("{e}.")))?;
        let mut accounts = self.load_accounts()?;
        if accounts
            .iter()
            .any(|a| a.label.eq_ignore_ascii_case(&label))
        {
            return Err(invalid(format!(
                "An account is already labelled \"{label}\"; choose another label."
            )));
        }
        self.step_up(&request.code)?;

        let account = AccountView {
            id: new_account_id(),
            venue: request.venue,
            label,
            environment: request.environment,
            masked_key: request.credentials.masked_key(),
            fingerprint: request.credentials.fingerprint(),
            created_at: self.clock.now_millis(),
        };
        self.vault
            .store_credentials(&account.id, &request.credentials)?;
        accounts.push(account.clone());
        if let Err(err) = self.write_file(ACCOUNTS_FILE, &accounts) {
            // No half-added account: take the secret back out of the keychain.
            if let Err(undo) = self.vault.delete_credentials(&account.id) {
                tracing::error!(account = %account.id, %undo, "could not remove credentials after a failed add");
            }
            return Err(err);
        }
        tracing::info!(account = %account.id, venue = ?account.venue, "account added");
        self.audit.record(
            Entry::new(
                Kind::Account,
                format!("Account \"{}\" added", account.label),
            )
            .account(&account.id)
            .detail(serde_json::json!({
                "action": "added",
                "venue": account.venue,
                "environment": account.environment,
                "label": account.label,
                "maskedKey": account.masked_key,
                "fingerprint": account.fingerprint,
            })),
        );
        Ok(account)
    }

    pub fn rename_account(&self, id: &str, label: &str) -> Result<AccountView, ApiError> {
        self.require_unlocked()?;
        let label = clean_label(label)?;
        let mut accounts = self.load_accounts()?;
        if accounts
            .iter()
            .any(|a| a.id != id && a.label.eq_ignore_ascii_case(&label))
        {
            return Err(invalid(format!(
                "An account is already labelled \"{label}\"; choose another label."
            )));
        }
        let account = accounts
            .iter_mut()
            .find(|a| a.id == id)
            .ok_or_else(not_found)?;
        account.label = label;
        let renamed = account.clone();
        self.write_file(ACCOUNTS_FILE, &accounts)?;
        Ok(renamed)
    }

    /// Removes the account and its keychain entry, after a fresh code.
    pub fn remove_account_blocking(
        &self,
        id: &str,
        code: &str,
    ) -> Result<Vec<AccountView>, ApiError> {
        self.require_unlocked()?;
        let mut accounts = self.load_accounts()?;
        let index = accounts
            .iter()
            .position(|a| a.id == id)
            .ok_or_else(not_found)?;
        self.step_up(code)?;
        // Secret first: a failure here leaves the account listed and removable again.
        self.vault.delete_credentials(id)?;
        let removed = accounts.remove(index);
        self.write_file(ACCOUNTS_FILE, &accounts)?;
        tracing::info!(account = %id, "account removed");
        self.audit.record(
            Entry::new(
                Kind::Account,
                format!("Account \"{}\" removed", removed.label),
            )
            .account(id)
            .detail(serde_json::json!({
                "action": "removed",
                "venue": removed.venue,
                "label": removed.label,
                "fingerprint": removed.fingerprint,
            })),
        );
        Ok(accounts)
    }

    pub fn security_settings(&self) -> Result<SecuritySettings, ApiError> {
        self.require_unlocked()?;
        self.settings_now()
    }

    pub fn set_idle_lock(&self, minutes: u32, code: &str) -> Result<SecuritySettings, ApiError> {
        self.require_unlocked()?;
        if !IDLE_LOCK_MINUTES.contains(&minutes) {
            return Err(invalid(format!(
                "Choose an idle lock between {} and {} minutes.",
                IDLE_LOCK_MINUTES.start(),
                IDLE_LOCK_MINUTES.end()
            )));
        }
        self.step_up(code)?;
        let current = self.settings_now()?;
        let before = current.idle_lock_minutes;
        let settings = SecuritySettings {
            idle_lock_minutes: minutes,
            ..current
        };
        self.write_file(SETTINGS_FILE, &settings)?;
        self.audit.record(
            Entry::new(
                Kind::Settings,
                format!("Idle lock set to {minutes} minutes (was {before})"),
            )
            .detail(serde_json::json!({ "idleLockMinutes": { "from": before, "to": minutes } })),
        );
        self.state().settings = Some(settings.clone());
        Ok(settings)
    }

    /// Sets the age (days) past which an exchange API key raises a reminder to replace it.
    pub fn set_key_age_limit(&self, days: u32, code: &str) -> Result<SecuritySettings, ApiError> {
        self.require_unlocked()?;
        if !KEY_MAX_AGE_DAYS.contains(&days) {
            return Err(invalid(format!(
                "Choose a key age limit between {} and {} days.",
                KEY_MAX_AGE_DAYS.start(),
                KEY_MAX_AGE_DAYS.end()
            )));
        }
        self.step_up(code)?;
        let current = self.settings_now()?;
        let before = current.key_max_age_days;
        let settings = SecuritySettings {
            key_max_age_days: days,
            ..current
        };
        self.write_file(SETTINGS_FILE, &settings)?;
        self.audit.record(
            Entry::new(
                Kind::Settings,
                format!("API key age limit set to {days} days (was {before})"),
            )
            .detail(serde_json::json!({ "keyMaxAgeDays": { "from": before, "to": days } })),
        );
        self.state().settings = Some(settings.clone());
        Ok(settings)
    }

    /// Starts moving to a new authenticator: with a code from the current one (unlocked, a new
    /// phone) or one of its recovery codes (locked or not: the phone is lost, and the code is
    /// spent). Shows the new authenticator's secret; nothing changes until a code from it.
    pub fn begin_mfa_swap(&self, code: &str) -> Result<EnrolmentView, ApiError> {
        let account = os_user();
        let enrolment = self
            .vault
            .begin_swap(code, &account, &self.clock.moment())
            .map_err(code_error)?;
        let view = enrolment_view(&enrolment, account);
        self.state().swap = Some(enrolment);
        tracing::warn!("moving to a new authenticator");
        // While unlocked (a new phone); a lost phone's move, from the lock screen, is recorded
        // when it completes.
        self.audit.record(Entry::new(
            Kind::Mfa,
            "Moving to a new authenticator: its secret was shown",
        ));
        Ok(view)
    }

    /// The blocking part of [`Desk::complete_mfa_swap`].
    pub fn complete_mfa_swap_blocking(&self, code: &str) -> Result<RecoveryCodesView, ApiError> {
        let mut state = self.state();
        let swap = state.swap.as_ref().ok_or_else(|| {
            invalid("Start again: no new authenticator is waiting for its first code.")
        })?;
        let (codes, data_key) = self
            .vault
            .complete_swap(swap, code, &self.clock.moment())
            .map_err(code_error)?;
        state.swap = None;
        let opened = state.session.is_none();
        drop(state);
        if opened && let Err(e) = self.open_session(data_key) {
            // As at enrolment: the new recovery codes are shown; the lock screen says why.
            tracing::warn!(error = %e.message, "moved to the new authenticator, but not unlocked");
        }
        self.audit.record(
            Entry::new(
                Kind::Mfa,
                if opened {
                    "Moved to a new authenticator from the lock screen (a recovery code was spent); new recovery codes shown"
                } else {
                    "Moved to a new authenticator; new recovery codes shown"
                },
            )
            .detail(serde_json::json!({ "fromLockScreen": opened })),
        );
        Ok(RecoveryCodesView {
            codes: codes.iter().map(|c| c.expose().to_owned()).collect(),
        })
    }

    /// Makes the new authenticator the one (a code from it), with fresh recovery codes shown
    /// once; the accounts stay. Unlocks (and connects the accounts) if the app was locked.
    pub async fn complete_mfa_swap(
        self: &Arc<Self>,
        code: String,
    ) -> Result<RecoveryCodesView, ApiError> {
        let codes = self
            .run(move |d| d.complete_mfa_swap_blocking(&code))
            .await?;
        self.connect_after_unlock().await;
        if let Ok(engine) = self.unlocked_engine() {
            engine.guard().enrolled(crate::seat::current());
        }
        Ok(codes)
    }
}

fn not_found() -> ApiError {
    ApiError::new(
        ErrorCode::AccountNotFound,
        "That account no longer exists. Refresh the list.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_with_invisible_formatting_are_refused_and_plain_ones_kept() {
        assert_eq!(clean_label("  Binance main ").unwrap(), "Binance main");
        assert_eq!(clean_label("Bybit · 主账户 ✓").unwrap(), "Bybit · 主账户 ✓");
        for sneaky in [
            "Live\u{202E}omeD",
            "Demo\u{200B}",
            "De\u{200D}mo",
            "\u{FEFF}Main",
            "\u{2066}Live\u{2069}",
            "Soft\u{00AD}hyphen",
        ] {
            let err = clean_label(sneaky).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidInput, "{sneaky:?}");
            assert!(err.message.contains("invisible formatting"), "{sneaky:?}");
        }
        assert!(clean_label("a\tb").is_err());
    }
}
