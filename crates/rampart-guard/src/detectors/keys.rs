//! The key permission audit: what the account's API key may do, as the venue reports it. A key
//! that can withdraw is the one a thief wants; a key with no IP restriction works from anywhere
//! it leaks to; a read-only key cannot trade at all.

use rampart_core::trading::KeyPermissions;

use crate::warning::{Severity, Warning, WarningKind};

/// The warnings a key's permissions raise, worst first.
pub fn key_permissions(account: &str, key: &KeyPermissions) -> Vec<Warning> {
    let mut warnings = Vec::new();
    if key.can_withdraw {
        warnings.push(
            Warning::new(
                WarningKind::KeyCanWithdraw,
                Severity::High,
                "this account's API key has withdrawal permission: whoever holds it can move the \
                 funds off the exchange"
                    .into(),
                "Create a key without withdrawal permission on the exchange and replace this one; \
                 until then each session asks for a code from your authenticator before the \
                 account's first order",
            )
            .on(account, None),
        );
    }
    if !key.ip_restricted {
        warnings.push(
            Warning::new(
                WarningKind::KeyNotIpRestricted,
                Severity::Warning,
                "this account's API key is not restricted to your IP addresses: it works from \
                 any computer it leaks to"
                    .into(),
                "Restrict the key to your IP addresses in the exchange's API management page",
            )
            .on(account, None),
        );
    }
    if !key.can_trade {
        warnings.push(
            Warning::new(
                WarningKind::KeyReadOnly,
                Severity::Info,
                "this account's API key may not trade (read-only): positions and orders show, \
                 the order ticket stays off"
                    .into(),
                "To trade on this account, enable trading for the key on the exchange, or add a \
                 key that has it",
            )
            .on(account, None),
        );
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> KeyPermissions {
        KeyPermissions {
            can_read: true,
            can_trade: true,
            can_withdraw: false,
            can_transfer: false,
            ip_restricted: true,
            created_ms: None,
        }
    }

    #[test]
    fn a_trading_key_restricted_to_an_ip_raises_nothing() {
        assert!(key_permissions("a", &key()).is_empty());
    }

    #[test]
    fn withdrawal_rights_are_high_and_an_open_ip_a_warning() {
        let w = key_permissions(
            "a",
            &KeyPermissions {
                can_withdraw: true,
                ip_restricted: false,
                ..key()
            },
        );
        let kinds: Vec<_> = w.iter().map(|w| (w.kind, w.severity)).collect();
        assert_eq!(
            kinds,
            [
                (WarningKind::KeyCanWithdraw, Severity::High),
                (WarningKind::KeyNotIpRestricted, Severity::Warning)
            ]
        );
        assert!(w.iter().all(|w| w.account.as_deref() == Some("a")));
    }

    #[test]
    fn a_read_only_key_is_listed() {
        let w = key_permissions(
            "a",
            &KeyPermissions {
                can_trade: false,
                ..key()
            },
        );
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].kind, WarningKind::KeyReadOnly);
    }
}
