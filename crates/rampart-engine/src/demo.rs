//! The Demo venues: Rampart's exchange simulator running in this process on loopback, one per
//! Demo account, speaking its venue's protocol (the first Demo account, [`Venue::Demo`], speaks
//! Binance USDⓈ-M's; an account in the [`Environment::Simulator`] environment speaks its own
//! venue's), with generated credentials kept in the keychain like any account's. It needs no
//! network: a new user can trade on it right after unlocking.
//!
//! [`Environment::Simulator`]: rampart_core::session::Environment::Simulator

use std::sync::atomic::{AtomicUsize, Ordering};

use rampart_core::Venue;
use rampart_sim::binance_usdm::{SimAccount, SimConfig, SimKeyPermissions, SimServer};
use rampart_vault::{Credentials, SecretString};
use rand::Rng;
use rust_decimal::Decimal;

/// The Demo account's starting USDT balance.
pub const DEMO_BALANCE_USDT: i64 = 100_000;

/// The label the Demo account is created with.
pub const DEMO_LABEL: &str = "Demo";

const LETTERS_DIGITS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const HEX_UPPER: &[u8] = b"0123456789ABCDEF";

fn random_token(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect()
}

/// Whether Rampart has a simulator of `venue` for Demo accounts.
pub fn has_simulator(venue: Venue) -> bool {
    matches!(
        venue,
        Venue::Demo | Venue::BinanceUsdm | Venue::Bybit | Venue::Okx | Venue::Deribit
    )
}

/// New credentials for a Demo account of `venue`, shaped as the venue's own keys are (so the
/// same format checks pass): Binance's 64 letters and digits for key and secret, Bybit's 18 and
/// 36, OKX's UUID key, 32 hexadecimal digits of secret and a passphrase, Deribit's client id of
/// 8 and client secret of 43.
pub fn new_credentials(venue: Venue) -> Credentials {
    let (key, secret, passphrase) = match venue {
        Venue::Bybit => (
            random_token(LETTERS_DIGITS, 18),
            random_token(LETTERS_DIGITS, 36),
            None,
        ),
        Venue::Okx => {
            let hex = random_token(b"0123456789abcdef", 32);
            let key = format!(
                "{}-{}-{}-{}-{}",
                &hex[..8],
                &hex[8..12],
                &hex[12..16],
                &hex[16..20],
                &hex[20..]
            );
            (
                key,
                random_token(HEX_UPPER, 32),
                Some(SecretString::new(random_token(LETTERS_DIGITS, 16))),
            )
        }
        Venue::Deribit => (
            random_token(LETTERS_DIGITS, 8),
            random_token(LETTERS_DIGITS, 43),
            None,
        ),
        _ => (
            random_token(LETTERS_DIGITS, 64),
            random_token(LETTERS_DIGITS, 64),
            None,
        ),
    };
    Credentials {
        api_key: SecretString::new(key),
        api_secret: SecretString::new(secret),
        passphrase,
    }
}

/// One venue's simulator, running.
enum Running {
    /// Binance USDⓈ-M's protocol: the Demo venue, and Binance Demo accounts.
    Binance(SimServer),
    Bybit(rampart_sim::bybit::SimServer),
    Okx(rampart_sim::okx::SimServer),
    Deribit(rampart_sim::deribit::SimServer),
}

/// The simulator serving one Demo account, while the app runs.
pub struct DemoExchange {
    server: Running,
    api_key: String,
}

impl std::fmt::Debug for DemoExchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoExchange")
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}

/// A loopback listener for the next Demo exchange, as tokio's.
fn listener() -> std::io::Result<tokio::net::TcpListener> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", next_port()))?;
    listener.set_nonblocking(true)?;
    tokio::net::TcpListener::from_std(listener)
}

impl DemoExchange {
    /// Starts the simulator of `venue` on a free loopback port for one account, funded with
    /// [`DEMO_BALANCE_USDT`] (and, on venues with inverse contracts, a few coins to margin them).
    /// Must run inside a tokio runtime.
    pub fn start(venue: Venue, credentials: &Credentials) -> std::io::Result<Self> {
        let api_key = credentials.api_key.expose().to_owned();
        let api_secret = credentials.api_secret.expose().to_owned();
        let seed = rand::rng().random();
        let server = match venue {
            Venue::Demo | Venue::BinanceUsdm => {
                let config = SimConfig {
                    accounts: vec![SimAccount {
                        api_key: api_key.clone(),
                        api_secret,
                        permissions: key_permissions(),
                    }],
                    usdt_balance: Decimal::from(DEMO_BALANCE_USDT),
                    seed,
                    extra_symbols: extra_symbols(),
                    tick_interval_us: tick_interval_us(),
                    ..SimConfig::default()
                };
                Running::Binance(SimServer::start(listener()?, config)?)
            }
            Venue::Bybit => {
                use rampart_sim::bybit;
                let config = bybit::SimConfig {
                    accounts: vec![bybit::SimAccount {
                        api_key: api_key.clone(),
                        api_secret,
                        // Read and trade; no withdrawals; bound to this machine.
                        permissions: bybit::SimKeyPermissions {
                            read_only: false,
                            withdraw: false,
                            ips: vec!["127.0.0.1".into()],
                        },
                        institutional: false,
                    }],
                    balances: vec![
                        ("USDT".into(), Decimal::from(DEMO_BALANCE_USDT)),
                        ("BTC".into(), Decimal::from(1)),
                        ("ETH".into(), Decimal::from(10)),
                    ],
                    seed,
                    ..bybit::SimConfig::default()
                };
                Running::Bybit(bybit::SimServer::start(listener()?, config)?)
            }
            Venue::Okx => {
                use rampart_sim::okx;
                let config = okx::SimConfig {
                    accounts: vec![okx::SimAccount {
                        api_key: api_key.clone(),
                        api_secret,
                        passphrase: credentials
                            .passphrase
                            .as_ref()
                            .map(|p| p.expose().to_owned())
                            .unwrap_or_default(),
                        // Read and trade; no withdrawals; bound to this machine.
                        permissions: okx::SimPermissions {
                            trade: true,
                            withdraw: false,
                            ip_bound: true,
                        },
                        demo: false,
                    }],
                    usdt_balance: Decimal::from(DEMO_BALANCE_USDT),
                    seed,
                    ..okx::SimConfig::default()
                };
                Running::Okx(okx::SimServer::start(listener()?, config)?)
            }
            Venue::Deribit => {
                use rampart_sim::deribit;
                let config = deribit::SimConfig {
                    accounts: vec![deribit::SimAccount {
                        client_id: api_key.clone(),
                        client_secret: api_secret,
                        // Trade and read; the wallet only read (no withdrawals).
                        scope: deribit::SimScope::default(),
                    }],
                    seed,
                    ..deribit::SimConfig::default()
                };
                Running::Deribit(deribit::SimServer::start(listener()?, config)?)
            }
        };
        let exchange = DemoExchange { server, api_key };
        tracing::info!(venue = ?venue, base = %exchange.base_url(), "Demo exchange started on loopback");
        Ok(exchange)
    }

    /// Whether this simulator serves the account with these credentials.
    pub fn serves(&self, credentials: &Credentials) -> bool {
        self.api_key == credentials.api_key.expose()
    }

    pub fn base_url(&self) -> String {
        match &self.server {
            Running::Binance(server) => server.base_url(),
            Running::Bybit(server) => server.base_url(),
            Running::Okx(server) => server.base_url(),
            Running::Deribit(server) => server.base_url(),
        }
    }
}

/// Debug builds only: more symbols for the Demo venue, one per line of
/// `RAMPART_DEMO_EXTRA_SYMBOLS`, for the end-to-end tests of how the app shows a venue's text
/// (a symbol holding HTML markup must show as text). Release builds list the usual three.
fn extra_symbols() -> Vec<String> {
    if !cfg!(debug_assertions) {
        return Vec::new();
    }
    std::env::var("RAMPART_DEMO_EXTRA_SYMBOLS")
        .map(|v| {
            v.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// How often the Demo venue's prices move, in microseconds, from `RAMPART_DEMO_TICK_US` (any
/// build): a load for measuring how the workspace keeps up with a busy market (each step sends
/// the watched instrument about three messages: 600 makes about 4,750 a second). Unset,
/// unreadable or under 20: the usual 250 ms.
fn tick_interval_us() -> Option<u64> {
    let us = std::env::var("RAMPART_DEMO_TICK_US")
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()?;
    (us >= 20).then_some(us)
}

/// What a Demo account's key may do: trade futures, read, no withdrawals or transfers, and
/// restricted to where it is used (the Demo venue takes connections from this machine only).
/// Debug builds take `RAMPART_DEMO_KEY_PERMISSIONS`, a comma-separated list of `withdrawals`,
/// `no-ip-restriction` and `read-only`, for the end-to-end tests of the key permission audit.
fn key_permissions() -> SimKeyPermissions {
    let mut key = SimKeyPermissions {
        ip_restrict: true,
        ..SimKeyPermissions::default()
    };
    if cfg!(debug_assertions)
        && let Ok(list) = std::env::var("RAMPART_DEMO_KEY_PERMISSIONS")
    {
        for word in list.split(',').map(str::trim) {
            match word {
                "withdrawals" => key.withdrawals = true,
                "no-ip-restriction" => key.ip_restrict = false,
                "read-only" => key.futures = false,
                "" => {}
                other => tracing::warn!(word = other, "RAMPART_DEMO_KEY_PERMISSIONS: unknown word"),
            }
        }
    }
    key
}

/// Demo exchanges started so far in this process.
static STARTED: AtomicUsize = AtomicUsize::new(0);

/// The loopback port for the next Demo exchange: any free one, or in debug builds the next of
/// `RAMPART_DEMO_PORTS` (comma-separated, in the order the exchanges start), so that an
/// end-to-end test can reach a Demo account as another client would.
fn next_port() -> u16 {
    let n = STARTED.fetch_add(1, Ordering::Relaxed);
    if !cfg!(debug_assertions) {
        return 0;
    }
    std::env::var("RAMPART_DEMO_PORTS")
        .ok()
        .and_then(|v| v.split(',').nth(n).and_then(|p| p.trim().parse().ok()))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_credentials_pass_their_venue_s_format_check() {
        for venue in [Venue::Demo, Venue::BinanceUsdm, Venue::Bybit, Venue::Okx] {
            let a = new_credentials(venue);
            let b = new_credentials(venue);
            a.validate(venue)
                .unwrap_or_else(|e| panic!("{venue:?}: {e}"));
            assert_ne!(a.api_key.expose(), b.api_key.expose(), "{venue:?}");
            assert_ne!(a.api_secret.expose(), b.api_secret.expose(), "{venue:?}");
        }
    }

    #[test]
    fn a_demo_key_trades_reads_and_cannot_withdraw() {
        // The knob is unset under `cargo test` unless a test sets it; this one does not.
        if std::env::var_os("RAMPART_DEMO_KEY_PERMISSIONS").is_none() {
            let key = key_permissions();
            assert!(key.futures && key.reading && key.ip_restrict);
            assert!(!key.withdrawals && !key.internal_transfer && !key.universal_transfer);
        }
    }
}
