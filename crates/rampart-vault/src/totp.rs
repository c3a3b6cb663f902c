//! Local MFA codes: RFC 6238 TOTP with the settings every authenticator app supports
//! (HMAC-SHA1, 6 digits, 30-second steps), a 160-bit seed, and ±1 step of clock tolerance.

use rand::RngCore;
use totp_rs::{Algorithm, Secret, Totp};
use zeroize::Zeroizing;

pub const STEP_SECONDS: u64 = 30;
pub const DIGITS: u8 = 6;
/// Steps either side of now that are accepted (phone clocks drift).
pub const SKEW_STEPS: u8 = 1;
/// 160 bits, the length RFC 4226 recommends for the shared secret.
pub const SEED_BYTES: usize = 20;
pub const ISSUER: &str = "Rampart";

/// The shared TOTP seed. Zeroized on drop; never printed.
pub struct TotpSeed(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for TotpSeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSeed(<redacted>)")
    }
}

/// Why a typed code could not be checked at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeFormatError {
    #[error("enter the 6-digit code from your authenticator app")]
    NotSixDigits,
}

/// A code as typed: spaces removed, exactly six ASCII digits.
pub fn normalize_code(typed: &str) -> Result<String, CodeFormatError> {
    let code: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() == usize::from(DIGITS) && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(code)
    } else {
        Err(CodeFormatError::NotSixDigits)
    }
}

impl TotpSeed {
    /// A fresh random seed from the OS random number generator.
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new(vec![0_u8; SEED_BYTES]);
        rand::rng().fill_bytes(&mut bytes);
        Self(bytes)
    }

    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// Parses the base32 form kept in the keychain.
    pub fn from_base32(text: &str) -> Option<Self> {
        let bytes = Secret::try_from_base32(text.trim()).ok()?;
        (bytes.as_bytes().len() >= 16).then(|| Self::from_bytes(bytes.as_bytes().to_vec()))
    }

    /// RFC 4648 base32 without padding, as authenticator apps accept it.
    pub fn to_base32(&self) -> Zeroizing<String> {
        Zeroizing::new(Secret::from(self.0.to_vec()).to_base32())
    }

    fn totp(&self, account: &str) -> Totp {
        // Builder::build only fails for a seed under 128 bits, digits outside 6..=8, a zero step
        // or a ':' in the labels: the seed is at least 16 bytes (from_base32 / generate), the
        // other settings are the constants above, and `account` is sanitised by otpauth_url.
        totp_rs::Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(DIGITS)
            .with_skew(u16::from(SKEW_STEPS))
            .with_step_duration(STEP_SECONDS)
            .with_secret(self.0.to_vec())
            .with_issuer(Some(ISSUER))
            .with_account_name(account.replace(':', "_"))
            .build()
            .expect("seed length and settings are valid by construction (see comment)")
    }

    /// The code for a given Unix time.
    pub fn code_at(&self, unix_seconds: u64) -> String {
        self.totp("").generate(unix_seconds).to_string()
    }

    /// Checks a normalised code against `unix_seconds` ± [`SKEW_STEPS`]; returns the matched
    /// time step (callers accept each step once).
    pub fn matching_step(&self, code: &str, unix_seconds: u64) -> Option<u64> {
        self.totp("").check(code, unix_seconds)
    }

    /// The `otpauth://totp/...` URL an authenticator app scans.
    pub fn otpauth_url(&self, account: &str) -> Zeroizing<String> {
        Zeroizing::new(
            self.totp(account)
                .to_url()
                .expect("issuer and account name are set (see totp())"),
        )
    }
}

/// The QR code of `text` as an SVG path over a `size`×`size` grid of modules (no quiet zone).
pub fn qr_path(text: &str) -> Option<(usize, String)> {
    let code =
        qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M).ok()?;
    let size = code.width();
    let mut path = String::new();
    for (i, colour) in code.to_colors().iter().enumerate() {
        if *colour == qrcode::Color::Dark {
            path.push_str(&format!("M{} {}h1v1h-1z", i % size, i / size));
        }
    }
    Some((size, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA1 rows: seed "12345678901234567890", 8-digit codes. The app uses
    /// 6 digits, which are the last six of the published 8 (the code is the HOTP value mod 10^d).
    #[test]
    fn rfc6238_sha1_vectors_through_the_app_code_path() {
        let seed = TotpSeed::from_bytes(b"12345678901234567890".to_vec());
        let vectors: [(u64, &str); 6] = [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ];
        for (time, eight) in vectors {
            let six = &eight[2..];
            assert_eq!(seed.code_at(time), six, "T = {time}");
            assert_eq!(seed.matching_step(six, time), Some(time / 30), "T = {time}");
        }
    }

    #[test]
    fn accepts_one_step_either_side_and_no_more() {
        let seed = TotpSeed::generate();
        let now = 1_800_000_000;
        let step = now / STEP_SECONDS;
        assert_eq!(
            seed.matching_step(&seed.code_at(now - 30), now),
            Some(step - 1)
        );
        assert_eq!(
            seed.matching_step(&seed.code_at(now + 30), now),
            Some(step + 1)
        );
        let far = seed.code_at(now - 90);
        if far != seed.code_at(now - 30)
            && far != seed.code_at(now)
            && far != seed.code_at(now + 30)
        {
            assert_eq!(seed.matching_step(&far, now), None);
        }
    }

    #[test]
    fn seed_is_160_bits_and_round_trips_through_base32() {
        let seed = TotpSeed::generate();
        assert_eq!(seed.0.len(), 20);
        let text = seed.to_base32();
        assert_eq!(text.len(), 32);
        let back = TotpSeed::from_base32(&text).unwrap();
        assert_eq!(back.code_at(1_000_000), seed.code_at(1_000_000));
        assert!(TotpSeed::from_base32("not base32!").is_none());
        assert_eq!(format!("{seed:?}"), "TotpSeed(<redacted>)");
    }

    #[test]
    fn otpauth_url_names_rampart_and_the_user() {
        let seed = TotpSeed::from_bytes(b"12345678901234567890".to_vec());
        let url = seed.otpauth_url("trader");
        assert!(
            url.starts_with("otpauth://totp/Rampart:trader?"),
            "{}",
            url.as_str()
        );
        assert!(url.contains("secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"));
        assert!(url.contains("issuer=Rampart"));
        let (size, path) = qr_path(&url).unwrap();
        assert!(size >= 21 && path.starts_with('M'));
    }

    #[test]
    fn codes_are_six_digits_spaces_allowed() {
        assert_eq!(normalize_code(" 123 456 ").unwrap(), "123456");
        for bad in ["", "12345", "1234567", "12345a", "１２３４５６"] {
            assert_eq!(
                normalize_code(bad),
                Err(CodeFormatError::NotSixDigits),
                "{bad}"
            );
        }
    }
}
