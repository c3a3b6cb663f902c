//! Trading on the desk: the accounts' venue connections (made at unlock, dropped at lock), the
//! Demo venue, and the order commands, each a call into the [`OrderEngine`].

use std::collections::HashMap;
use std::sync::Arc;

use rampart_core::options::OptionChain;
use rampart_core::session::{AccountView, Environment};
use rampart_core::trading::{
    Balance, FeeRates, InstrumentRules, Leverage, LeverageRequest, MarkPrice, OrderState, Position,
};
use rampart_core::{ApiError, ErrorCode, Venue};
use rampart_vault::Credentials;
use rampart_venues::binance_usdm::{BinanceUsdm, ClientOptions, RestClient};
use rampart_venues::venue::DynVenue;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::Desk;
use crate::demo::{self, DemoExchange};
use crate::files::write_sealed_json;
use crate::live::{LiveChanges, WatchError};
use crate::orders::{
    AccountStatus, CLIENT_ID_PREFIX, ConnectionState, Consent, OrderEngine, OrderJournal,
    OrderTicket, PlaceOutcome, ResolvePolicy,
};
use rampart_audit::{Entry, Kind};
use rampart_core::feed::{Candle, CandleInterval};
use rampart_guard::{Guard, History, Thresholds};

pub(crate) const JOURNAL_FILE: &str = "orders.journal";
/// The guard's history of the user's own trading (sizes, hours, rates), kept between sessions.
pub(crate) const GUARD_HISTORY_FILE: &str = "guard-history.json";

/// The trading side of the desk: the engine (with its journal, open for the app's lifetime) and
/// one simulator per Demo account (keyed by account id), kept running across lock and unlock so
/// that a Demo account's orders and positions last as long as the app runs.
#[derive(Default)]
pub(crate) struct Trading {
    pub(crate) engine: Option<Arc<OrderEngine>>,
    demo: HashMap<String, DemoExchange>,
    /// The last use of the kill switch, its tasks running until they are done.
    kill: Option<crate::kill::KillRun>,
    /// Why an account's connector could not be made (an environment its venue does not have,
    /// a key it cannot use), by account id, for its status.
    not_connected: HashMap<String, String>,
}

/// An account's trading state as the status bar shows it: the account's label and venue next to
/// its connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct TradingStatus {
    pub account: AccountView,
    pub status: AccountStatus,
}

/// Which order a cancel or lookup is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename_all = "camelCase")]
pub struct OrderRef {
    pub account_id: String,
    pub symbol: String,
    pub client_order_id: String,
}

fn unavailable(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::VenueUnavailable, message)
}

impl Desk {
    pub(crate) fn trading(&self) -> std::sync::MutexGuard<'_, Trading> {
        // Trading holds two Options, each replaced in one assignment: a panic elsewhere cannot
        // leave it half-written.
        self.trading.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The order engine, opening the journal on first use (its unresolved intents are resolved
    /// as their accounts connect).
    fn order_engine(&self) -> Result<Arc<OrderEngine>, ApiError> {
        let mut trading = self.trading();
        if let Some(engine) = &trading.engine {
            return Ok(Arc::clone(engine));
        }
        let key = self.session_key()?;
        let (journal, unresolved) = OrderJournal::open(&self.data_dir.join(JOURNAL_FILE), &key)
            .map_err(|e| ApiError::new(ErrorCode::DataDirUnavailable, e.to_string()))?;
        if !unresolved.is_empty() {
            tracing::warn!(
                count = unresolved.len(),
                "orders sent before the last stop have no known outcome; checking with the exchange"
            );
        }
        let history = match self.read_file::<History>(GUARD_HISTORY_FILE) {
            Ok(history) => history.unwrap_or_default(),
            Err(e) => {
                // The detectors start from no history (silent until it grows); orders are not
                // held up by a file that cannot be read.
                tracing::warn!(error = %e.message, "the guard's history could not be read; starting afresh");
                History::default()
            }
        };
        let mut guard = Guard::new(Thresholds::default(), history, CLIENT_ID_PREFIX);
        crate::guard_settings::apply(&mut guard, &self.load_guard_settings());
        let audit = self.audit_sink();
        guard.set_observer(move |event| audit.record(crate::audit::guard_entry(event)));
        let engine = OrderEngine::new(
            journal,
            unresolved,
            guard,
            Arc::clone(&self.live) as Arc<dyn crate::orders::AccountFacts>,
            ResolvePolicy::default(),
        );
        trading.engine = Some(Arc::clone(&engine));
        crate::guard::watch_activity(&self.live, &engine);
        // The watched instrument's streamed marks keep the engine's reference price fresh.
        let marks = Arc::downgrade(&engine);
        self.live.on_mark(Arc::new(move |account, symbol, mark| {
            if let Some(engine) = marks.upgrade() {
                engine.note_mark(account, symbol, mark);
            }
        }));
        Ok(engine)
    }

    pub(crate) fn set_kill_run(&self, run: crate::kill::KillRun) {
        // The previous run's tasks stop as it is dropped, outside the lock.
        let previous = self.trading().kill.replace(run);
        drop(previous);
    }

    pub(crate) fn kill_run_report(
        &self,
    ) -> Option<Arc<std::sync::Mutex<crate::kill::KillSwitchReport>>> {
        self.trading()
            .kill
            .as_ref()
            .map(crate::kill::KillRun::report)
    }

    /// The engine while unlocked.
    pub(crate) fn unlocked_engine(&self) -> Result<Arc<OrderEngine>, ApiError> {
        self.require_unlocked()?;
        self.trading()
            .engine
            .clone()
            .ok_or_else(|| unavailable("Trading is starting; try again in a moment."))
    }

    /// On the first unlock (no accounts file yet): a Demo account, with generated credentials in
    /// the keychain like any account's. Then every account with its credentials.
    fn accounts_to_connect(&self) -> Result<Vec<(AccountView, Credentials)>, ApiError> {
        self.require_unlocked()?;
        let mut accounts = self.load_accounts()?;
        if !self.accounts_path().exists() {
            let credentials = demo::new_credentials(Venue::Demo);
            let account = AccountView {
                id: crate::session::new_account_id(),
                venue: Venue::Demo,
                label: demo::DEMO_LABEL.into(),
                environment: Environment::Demo,
                masked_key: credentials.masked_key(),
                fingerprint: credentials.fingerprint(),
                created_at: self.clock.now_millis(),
            };
            self.vault.store_credentials(&account.id, &credentials)?;
            accounts.push(account.clone());
            if let Err(err) = self.write_file(crate::session::ACCOUNTS_FILE, &accounts) {
                let _ = self.vault.delete_credentials(&account.id);
                return Err(err);
            }
            tracing::info!(account = %account.id, "Demo account created");
        }
        let mut plan = Vec::with_capacity(accounts.len());
        for account in accounts {
            match self.vault.credentials(&account.id)? {
                Some(credentials) => plan.push((account, credentials)),
                None => tracing::warn!(account = %account.id, "no credentials in the keychain"),
            }
        }
        Ok(plan)
    }

    /// A connector for one account: the Demo venue's simulator in process, or the venue itself.
    fn connector(
        &self,
        account: &AccountView,
        credentials: &Credentials,
    ) -> Result<Arc<dyn DynVenue>, String> {
        let key = credentials.api_key.expose();
        let secret = credentials.api_secret.expose();
        let wire = Arc::new(crate::audit::WireAudit {
            sink: self.audit_sink(),
            account: account.id.clone(),
        });
        let options = ClientOptions::default();
        let simulated = account.venue == Venue::Demo || account.environment.is_simulator();
        let connector: Arc<dyn DynVenue> = match account.venue {
            Venue::Demo | Venue::BinanceUsdm => {
                let client = if simulated {
                    RestClient::new(&self.demo_exchange(account, credentials)?, key, secret)
                } else {
                    RestClient::for_environment(account.environment, key, secret, &options)
                };
                let client = client.map_err(|e| e.trader_message())?.with_wire_log(wire);
                Arc::new(BinanceUsdm::new(client))
            }
            Venue::Bybit => {
                use rampart_venues::bybit;
                let client = if simulated {
                    bybit::RestClient::new(&self.demo_exchange(account, credentials)?, key, secret)
                } else {
                    bybit::RestClient::for_environment(account.environment, key, secret, &options)
                };
                Arc::new(bybit::Bybit::new(
                    client.map_err(|e| e.message)?.with_wire_log(wire),
                ))
            }
            Venue::Okx => {
                use rampart_venues::okx;
                let passphrase = credentials
                    .passphrase
                    .as_ref()
                    .map(|p| p.expose())
                    .unwrap_or_default();
                let client = if simulated {
                    okx::RestClient::new(
                        &self.demo_exchange(account, credentials)?,
                        key,
                        secret,
                        passphrase,
                    )
                } else {
                    okx::RestClient::for_environment(
                        account.environment,
                        key,
                        secret,
                        passphrase,
                        &options,
                    )
                };
                Arc::new(okx::Okx::new(
                    client.map_err(|e| e.message)?.with_wire_log(wire),
                ))
            }
            Venue::Deribit => {
                use rampart_venues::deribit;
                let client = if simulated {
                    deribit::RpcClient::with_options(
                        &self.demo_exchange(account, credentials)?,
                        key,
                        secret,
                        &options,
                    )
                } else {
                    deribit::RpcClient::for_environment(account.environment, key, secret, &options)
                };
                Arc::new(deribit::Deribit::new(
                    client.map_err(|e| e.message)?.with_wire_log(wire),
                ))
            }
        };
        Ok(connector)
    }

    /// The address of the simulator serving a Demo account, started on first use (and again
    /// when the account's credentials changed).
    fn demo_exchange(
        &self,
        account: &AccountView,
        credentials: &Credentials,
    ) -> Result<String, String> {
        let mut trading = self.trading();
        let running = trading
            .demo
            .get(&account.id)
            .is_some_and(|d| d.serves(credentials));
        if !running {
            let exchange = DemoExchange::start(account.venue, credentials)
                .map_err(|e| format!("the Demo exchange could not start: {e}"))?;
            trading.demo.insert(account.id.clone(), exchange);
        }
        trading
            .demo
            .get(&account.id)
            .map(DemoExchange::base_url)
            .ok_or_else(|| "the Demo exchange is not running".to_owned())
    }

    /// Validates, asks for a fresh code, stores the credentials in the keychain and the label in
    /// the data directory (both or neither), then connects the account.
    pub async fn add_account(
        self: &Arc<Self>,
        request: crate::AddAccountRequest,
    ) -> Result<AccountView, ApiError> {
        let account = self.run(move |d| d.add_account_blocking(request)).await?;
        let id = account.id.clone();
        let credentials = self.run(move |d| d.vault_credentials(&id)).await?;
        self.connect_one(&account, &credentials)?;
        Ok(account)
    }

    /// Removes the account and its keychain entry after a fresh code; its connection (and a
    /// Demo account's simulator) goes with it.
    pub async fn remove_account(
        self: &Arc<Self>,
        id: String,
        code: String,
    ) -> Result<Vec<AccountView>, ApiError> {
        let removed = id.clone();
        let left = self
            .run(move |d| d.remove_account_blocking(&id, &code))
            .await?;
        self.live.detach(&removed);
        let mut trading = self.trading();
        if let Some(engine) = &trading.engine {
            engine.detach(&removed);
        }
        trading.demo.remove(&removed);
        Ok(left)
    }

    fn vault_credentials(&self, id: &str) -> Result<Credentials, ApiError> {
        self.vault.credentials(id)?.ok_or_else(|| {
            ApiError::new(
                ErrorCode::KeychainFailure,
                "The account's credentials are missing from the OS keychain. Remove the account \
                 and add it again.",
            )
        })
    }

    /// Connects one account, unless its venue cannot trade yet (the status says why). Checks
    /// the lock again first: the app may have locked while the caller awaited (a connection
    /// holds the key in memory, which a locked app must not).
    fn connect_one(
        &self,
        account: &AccountView,
        credentials: &Credentials,
    ) -> Result<(), ApiError> {
        self.require_unlocked()?;
        let engine = self.order_engine()?;
        match self.connector(account, credentials) {
            Ok(venue) => {
                self.trading().not_connected.remove(&account.id);
                self.live.attach(&account.id, Arc::clone(&venue));
                engine.attach(&account.id, account.venue, venue);
            }
            Err(why) => {
                tracing::warn!(account = %account.id, %why, "account not connected");
                self.trading().not_connected.insert(account.id.clone(), why);
            }
        }
        Ok(())
    }

    /// A reminder (a guard warning, an OS notification) for each account whose API key is
    /// older than the limit in Security settings, at every unlock.
    fn remind_old_keys<'a>(&self, accounts: impl Iterator<Item = &'a AccountView>) {
        let (Ok(settings), Ok(engine)) = (self.security_settings(), self.order_engine()) else {
            return;
        };
        let now = self.clock.now_millis();
        let mut guard = engine.guard();
        for account in accounts {
            let age = rampart_core::session::key_age_days(account.created_at, now);
            if age >= u64::from(settings.key_max_age_days) {
                guard.key_too_old(
                    &account.id,
                    &account.label,
                    age,
                    settings.key_max_age_days,
                    crate::orders::guard_now(),
                );
            }
        }
    }

    /// Connects every account (after unlock). Accounts connect in the background; orders
    /// journaled before a restart are resolved before their accounts take new ones.
    pub(crate) async fn connect_accounts(self: &Arc<Self>) -> Result<(), ApiError> {
        let plan = self.run(|d| d.accounts_to_connect()).await?;
        self.run(|d| d.order_engine().map(drop)).await?;
        let accounts: Vec<AccountView> = plan.iter().map(|(a, _)| a.clone()).collect();
        self.run(move |d| {
            d.remind_old_keys(accounts.iter());
            Ok(())
        })
        .await?;
        for (account, credentials) in plan {
            self.connect_one(&account, &credentials)?;
        }
        self.start_dead_mans_switch();
        Ok(())
    }

    /// Drops every venue connection (their keys live in the connectors' memory), and keeps the
    /// guard's history on disk.
    /// `key`: the session's data key, which the guard's history is sealed under (the session is
    /// already closed when this runs).
    pub(crate) fn disconnect_accounts(&self, key: Option<&rampart_vault::DataKey>) {
        self.stop_dead_mans_switch();
        self.live.detach_all();
        // The engine is taken out of the lock first: the history is written to disk.
        let engine = self.trading().engine.clone();
        if let Some(engine) = engine {
            engine.detach_all();
            if let Some(key) = key {
                self.save_guard_history(&engine, key);
            }
        }
    }

    fn save_guard_history(&self, engine: &OrderEngine, key: &rampart_vault::DataKey) {
        let history = engine.guard().history().clone();
        let _files = self.files_lock();
        let path = self.data_dir.join(GUARD_HISTORY_FILE);
        if let Err(e) = write_sealed_json(&path, key, &history) {
            tracing::warn!(error = %e.message, "the guard's history could not be written");
        }
    }

    /// Each account's connection, clock offset and orders being checked with the exchange.
    pub async fn trading_status(&self) -> Result<Vec<TradingStatus>, ApiError> {
        let engine = self.unlocked_engine()?;
        let accounts = self.load_accounts()?;
        let statuses = engine.status();
        let not_connected = self.trading().not_connected.clone();
        Ok(accounts
            .into_iter()
            .map(|account| {
                let status = statuses
                    .iter()
                    .find(|s| s.account_id == account.id)
                    .cloned()
                    .unwrap_or_else(|| AccountStatus {
                        account_id: account.id.clone(),
                        venue: account.venue,
                        connection: ConnectionState::Failed(
                            not_connected.get(&account.id).cloned().unwrap_or_else(|| {
                                format!(
                                    "{} is not connected: its keys could not be read.",
                                    account.label
                                )
                            }),
                        ),
                        clock_offset_ms: None,
                        checking: Vec::new(),
                        recovering: false,
                        last_round_trip_us: None,
                        key_permissions: None,
                        dead_mans_switch: None,
                    });
                TradingStatus { account, status }
            })
            .collect())
    }

    pub async fn list_instruments(
        &self,
        account_id: &str,
    ) -> Result<Vec<InstrumentRules>, ApiError> {
        let engine = self.unlocked_engine()?;
        Ok(engine.instruments(account_id).await?)
    }

    /// Places an order. `confirmed`: the user read the guard's warnings and confirmed;
    /// `step_up_code`: a fresh TOTP code, checked here before anything else, for an order the
    /// guard asked a code for.
    pub async fn place_order(
        &self,
        account_id: &str,
        ticket: &OrderTicket,
        confirmed: bool,
        step_up_code: Option<&str>,
    ) -> Result<PlaceOutcome, ApiError> {
        let engine = self.unlocked_engine()?;
        let stepped_up = match step_up_code {
            Some(code) => {
                self.step_up(code)?;
                true
            }
            None => false,
        };
        let consent = Consent {
            confirmed,
            stepped_up,
        };
        // On disk before anything is checked or sent: an order Rampart cannot record is not
        // placed.
        let mut detail = serde_json::to_value(ticket).unwrap_or_default();
        if let Some(map) = detail.as_object_mut() {
            map.insert("confirmed".into(), confirmed.into());
            map.insert("steppedUp".into(), stepped_up.into());
        }
        self.audit.try_record(
            &Entry::new(Kind::OrderIntent, crate::audit::ticket_summary(&detail))
                .account(account_id)
                .detail(detail),
        )?;
        let placed = engine
            .place(account_id, ticket, consent)
            .await
            .map_err(ApiError::from);
        if let Err(e) = &placed {
            self.audit.record(
                Entry::new(Kind::OrderIntent, format!("Not placed: {}", e.message))
                    .account(account_id)
                    .detail(serde_json::json!({ "code": e.code.as_str() })),
            );
        }
        placed
    }

    pub async fn cancel_order(&self, order: &OrderRef) -> Result<OrderState, ApiError> {
        let engine = self.unlocked_engine()?;
        self.audit.try_record(
            &Entry::new(
                Kind::OrderIntent,
                format!("Cancel {} on {}", order.client_order_id, order.symbol),
            )
            .account(&order.account_id)
            .detail(serde_json::json!({
                "action": "cancel",
                "symbol": order.symbol,
                "clientOrderId": order.client_order_id,
            })),
        )?;
        Ok(engine
            .cancel(&order.account_id, &order.symbol, &order.client_order_id)
            .await?)
    }

    pub async fn cancel_all_orders(
        &self,
        account_id: &str,
        symbol: Option<&str>,
    ) -> Result<(), ApiError> {
        let engine = self.unlocked_engine()?;
        self.audit.try_record(
            &Entry::new(
                Kind::OrderIntent,
                format!("Cancel all orders on {}", symbol.unwrap_or("every symbol")),
            )
            .account(account_id)
            .detail(serde_json::json!({ "action": "cancel_all", "symbol": symbol })),
        )?;
        Ok(engine.cancel_all(account_id, symbol).await?)
    }

    pub async fn open_orders(&self, account_id: &str) -> Result<Vec<OrderState>, ApiError> {
        let engine = self.unlocked_engine()?;
        Ok(engine.open_orders(account_id, None).await?)
    }

    pub async fn positions(&self, account_id: &str) -> Result<Vec<Position>, ApiError> {
        let engine = self.unlocked_engine()?;
        Ok(engine.positions(account_id).await?)
    }

    pub async fn mark_price(&self, account_id: &str, symbol: &str) -> Result<MarkPrice, ApiError> {
        let engine = self.unlocked_engine()?;
        Ok(engine.mark_price(account_id, symbol).await?)
    }

    /// The account's maker and taker fee rates on `symbol` (the ticket's fee estimate).
    pub async fn fee_rates(&self, account_id: &str, symbol: &str) -> Result<FeeRates, ApiError> {
        let engine = self.unlocked_engine()?;
        Ok(engine.fee_rates(account_id, symbol).await?)
    }

    /// The options chain of `underlying` (`BTC`, `ETH`) on an account, read from the venue now.
    pub async fn option_chain(
        &self,
        account_id: &str,
        underlying: &str,
    ) -> Result<OptionChain, ApiError> {
        let engine = self.unlocked_engine()?;
        Ok(engine.option_chain(account_id, underlying).await?)
    }

    pub async fn balances(&self, account_id: &str) -> Result<Vec<Balance>, ApiError> {
        let engine = self.unlocked_engine()?;
        Ok(engine.balances(account_id).await?)
    }

    /// Sets a symbol's leverage on an account; answers with the leverage now in force.
    pub async fn set_leverage(
        &self,
        account_id: &str,
        request: &LeverageRequest,
    ) -> Result<Leverage, ApiError> {
        let engine = self.unlocked_engine()?;
        let detail = serde_json::to_value(request).unwrap_or_default();
        self.audit.try_record(
            &Entry::new(
                Kind::OrderIntent,
                format!("Set leverage on {}", request.symbol),
            )
            .account(account_id)
            .detail(detail),
        )?;
        Ok(engine.set_leverage(account_id, request).await?)
    }

    /// Sends the connected accounts' live tables (and the watched instrument) to `sink`, first
    /// whole, then as they change, at most every [`crate::live::PUBLISH_INTERVAL`]; replaces
    /// the previous subscriber.
    pub async fn follow_live(
        &self,
        sink: impl Fn(LiveChanges) + Send + 'static,
    ) -> Result<(), ApiError> {
        self.require_unlocked()?;
        self.live.subscribe(sink);
        Ok(())
    }

    /// Watches one instrument of an account for the workspace (instead of the one watched
    /// before); returns its candle history, the last `history` candles (at most 1,000).
    pub async fn watch_market(
        &self,
        account_id: &str,
        symbol: &str,
        interval: CandleInterval,
        history: u32,
    ) -> Result<Vec<Candle>, ApiError> {
        self.require_unlocked()?;
        self.live
            .watch_market(account_id, symbol, interval, history.clamp(1, 1000))
            .await
            .map_err(|e| match e {
                WatchError::NotConnected => unavailable(format!(
                    "The account is not connected, so {symbol} cannot be shown yet."
                )),
                WatchError::Venue(e) => ApiError::from(crate::orders::OrderError::Venue(e)),
            })
    }

    /// Stops watching the instrument.
    pub async fn stop_market(&self) -> Result<(), ApiError> {
        self.require_unlocked()?;
        self.live.stop_market();
        Ok(())
    }
}
