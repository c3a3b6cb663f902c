//! `rampart`: Rampart's headless companion.
//!
//! `rampart sim` runs the exchange simulator on loopback with one account, standalone, over
//! plain HTTP/WebSocket or (`--tls`) TLS 1.3 with a certificate it generates and writes out.
//! `rampart preview` prints the exact signed request Rampart would send, without sending it: for
//! anyone debugging "Signature for this request is not valid". Credentials are read as JSON from
//! standard input, never from arguments (which other users can see in the process list).
//! `rampart audit verify` checks the audit journal of a data directory, as the app does at
//! unlock: the code that opens the vault is read from standard input.

mod preview_bybit;
mod sim_bybit;
mod sim_deribit;
mod sim_okx;

use std::io::Read;
use std::process::ExitCode;

mod preview_deribit;
mod preview_okx;

use clap::{Parser, Subcommand, ValueEnum};
use rampart_venues::binance_usdm::Signer;
use rampart_venues::binance_usdm::signer::{append_signature, encode_params};
use serde::Deserialize;
use zeroize::Zeroizing;

#[derive(Parser)]
#[command(name = "rampart", version, about = "Rampart's headless companion")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print a signed request as JSON {method, url, headers, body} without sending it.
    /// Credentials come as JSON on standard input: {"apiKey": "...", "apiSecret": "..."}.
    Preview(Preview),
    /// Run the exchange simulator on loopback with one funded account, until Ctrl+C.
    ///
    /// Prints one line per address, for people and scripts alike:
    /// `REST: <base>/fapi/v1` (the REST API), `WS: <base>` (streams: `<base>/ws/<streamName>`,
    /// `<base>/stream?streams=<a>/<b>`, user data at `<base>/ws/<listenKey>`) and, with --tls,
    /// `CERT: <path>`: the path of a PEM file holding the simulator's self-signed certificate,
    /// written to a new temporary directory (removed on Ctrl+C), for the client to trust.
    ///
    /// The account's API key reads and trades futures, and may do nothing more, unless the key
    /// permission flags say otherwise (--read-only, --enable-withdrawals,
    /// --enable-internal-transfer, --enable-universal-transfer, --ip-restrict). The simulator
    /// reports them at `<base>/sapi/v1/account/apiRestrictions` (Binance's Get API Key
    /// Permission, served on the same address) and prints them as `KEY: <permissions>`.
    Sim(Sim),
    /// The audit journal.
    #[command(subcommand)]
    Audit(AuditCommand),
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Verify the audit journal of a data directory against the keychain's anchor, as the
    /// app does at unlock. Reads one line from standard input: a current code of the
    /// authenticator, or a recovery code (spent), which opens the vault's data key; it counts
    /// as an unlock attempt. Exit status 0 when intact, 1 when the journal fails verification,
    /// 2 when it could not be checked.
    Verify(AuditVerify),
}

#[derive(clap::Args)]
struct AuditVerify {
    /// The app's data directory (Linux: ~/.local/share/app.rampart.desk).
    #[arg(long)]
    data_dir: std::path::PathBuf,
    /// The keychain namespace: `rampart` for release builds of the app, `rampart-dev` for
    /// debug builds; default: this build's.
    #[arg(long)]
    namespace: Option<String>,
}

/// Checks the journal; `Ok(true)` when intact. Prints what it found either way.
fn audit_verify(args: AuditVerify) -> Result<bool, String> {
    use rampart_engine::Clock as _;
    let mut code = Zeroizing::new(String::new());
    std::io::stdin()
        .read_line(&mut code)
        .map_err(|e| format!("could not read the code from standard input: {e}"))?;
    let keychain = match &args.namespace {
        Some(ns) => rampart_vault::Keychain::with_namespace(ns.as_str()),
        None => rampart_vault::Keychain::for_current_build(),
    };
    let vault = rampart_vault::Vault::new(keychain.clone(), keychain.namespace());
    if !vault.is_enrolled().map_err(|e| e.to_string())? {
        return Err(format!(
            "no authenticator is set up in the keychain namespace {}",
            keychain.namespace()
        ));
    }
    let data_key = vault
        .unlock(code.trim(), &rampart_engine::SystemClock.moment())
        .map_err(|e| e.to_string())?;
    let anchor = rampart_audit::KeychainAnchor::new(keychain, vault.vault_service());
    let head = rampart_audit::AnchorStore::load(&anchor).map_err(|e| e.to_string())?;
    let path = args.data_dir.join(rampart_engine::audit::AUDIT_FILE);
    let v = rampart_audit::verify_file(
        &path,
        &rampart_audit::AuditKey::derive(&data_key),
        head.as_ref(),
    );
    println!("{}: {}", path.display(), v.summary());
    if let (Some(first), Some(last)) = (v.first_ts_ms, v.last_ts_ms) {
        println!("records from {first} to {last} (ms since the Unix epoch, UTC)");
    }
    Ok(v.is_intact())
}

#[derive(clap::Args)]
struct Sim {
    #[arg(long, value_enum, default_value = "binance-usdm")]
    venue: VenueArg,
    /// Loopback address to listen on; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: std::net::SocketAddr,
    /// The account's API key.
    #[arg(long)]
    api_key: String,
    /// The account's API secret (a simulator secret, not a real one).
    #[arg(long)]
    api_secret: String,
    /// The account's API passphrase (OKX only, where it is required).
    #[arg(long)]
    passphrase: Option<String>,
    /// Serve https:// and wss:// (TLS 1.3 only) with a self-signed certificate for 127.0.0.1,
    /// ::1 and localhost, generated at start; its PEM file's path is printed as `CERT: <path>`.
    #[arg(long)]
    tls: bool,
    /// Seeds the price process: the same seed gives the same prices (default 0).
    #[arg(long)]
    seed: Option<u64>,
    /// How often prices move (ms); 0 keeps them still (they then move only on request).
    #[arg(long, default_value_t = 250)]
    tick_ms: u64,
    /// ORDERS per 10 seconds before HTTP 429 -1015, as published in exchangeInfo (Binance's
    /// default 300); raise it to measure latency rather than the venue's pace.
    #[arg(long, default_value_t = 300)]
    orders_per_10s: u32,
    /// ORDERS per minute, as published in exchangeInfo (Binance's default 1200).
    #[arg(long, default_value_t = 1200)]
    orders_per_minute: u32,
    /// REQUEST_WEIGHT per minute, as published in exchangeInfo (Binance's default 2400).
    #[arg(long, default_value_t = 2400)]
    weight_per_minute: u32,
    /// The API key may not trade futures (Binance's `enableFutures` off): orders, cancels,
    /// leverage and countdownCancelAll are refused with -2015; reads still answer.
    #[arg(long)]
    read_only: bool,
    /// The API key may withdraw (`enableWithdrawals` on). Binance allows it only with an IP
    /// restriction; the simulator takes it without one, to show a client the worst case.
    #[arg(long)]
    enable_withdrawals: bool,
    /// The API key may transfer between master and sub-accounts (`enableInternalTransfer` on).
    #[arg(long)]
    enable_internal_transfer: bool,
    /// The API key may use the universal transfer API (`permitsUniversalTransfer` on).
    #[arg(long)]
    enable_universal_transfer: bool,
    /// The API key is restricted to listed IP addresses (`ipRestrict` on). Reported only: the
    /// simulator serves this machine alone.
    #[arg(long)]
    ip_restrict: bool,
    /// Bybit: the account is an institutional client, so it may set the disconnection
    /// protection (`/v5/order/disconnected-cancel-all`); others are refused with 10005.
    #[arg(long)]
    institutional: bool,
    /// Threads serving requests. The default, 1, serves everything on one thread: the exchange
    /// state is behind one lock anyway, and one thread spares each request a hand-over between
    /// threads (a futex wake per request on loopback). More threads help only many
    /// connections doing TLS handshakes or heavy reads at once.
    #[arg(long, default_value_t = 1)]
    threads: usize,
}

fn sim(args: Sim) -> Result<(), String> {
    match args.venue {
        VenueArg::Bybit => return sim_bybit::run(args),
        VenueArg::Okx => return sim_okx::run(args),
        VenueArg::Deribit => return sim_deribit::run(args),
        VenueArg::BinanceUsdm => {}
    }
    check_loopback(&args)?;
    if args.api_key.trim().is_empty() || args.api_secret.trim().is_empty() {
        return Err("--api-key and --api-secret must not be empty".into());
    }
    let runtime = runtime(args.threads)?;
    runtime.block_on(async move {
        let listener = bind(&args).await?;
        let permissions = key_permissions(&args);
        let mut config = rampart_sim::binance_usdm::SimConfig {
            accounts: vec![rampart_sim::binance_usdm::SimAccount {
                api_key: args.api_key,
                api_secret: args.api_secret,
                permissions,
            }],
            tick_interval_ms: args.tick_ms,
            order_limit_per_10s: args.orders_per_10s,
            order_limit_per_minute: args.orders_per_minute,
            request_weight_limit: args.weight_per_minute,
            ..Default::default()
        };
        if let Some(seed) = args.seed {
            config.seed = seed;
        }
        let seed = config.seed;
        let server = if args.tls {
            rampart_sim::binance_usdm::SimServer::start_tls(listener, config)
        } else {
            rampart_sim::binance_usdm::SimServer::start(listener, config)
        }
        .map_err(|e| format!("could not start the simulator: {e}"))?;
        // Kept until the end: dropping it removes the certificate's directory.
        let cert_dir = cert_file(server.cert_pem())?;
        println!("binance-usdm simulator (price seed {seed})");
        println!("REST: {}/fapi/v1", server.base_url());
        println!("WS: {}", server.ws_base_url());
        if let Some((_, path)) = &cert_dir {
            println!("CERT: {}", path.display());
        }
        println!("KEY: {}", describe_permissions(&permissions));
        println!(
            "Streams at {base}/ws/<streamName> and {base}/stream?streams=<a>/<b>; user data at {base}/ws/<listenKey>.",
            base = server.ws_base_url()
        );
        until_ctrl_c().await?;
        server.stop().await;
        Ok(())
    })
}

/// The served account's key permissions: a fresh futures key, changed by the flags.
fn key_permissions(args: &Sim) -> rampart_sim::binance_usdm::SimKeyPermissions {
    rampart_sim::binance_usdm::SimKeyPermissions {
        futures: !args.read_only,
        withdrawals: args.enable_withdrawals,
        internal_transfer: args.enable_internal_transfer,
        universal_transfer: args.enable_universal_transfer,
        ip_restrict: args.ip_restrict,
        ..Default::default()
    }
}

/// The key permissions as the `KEY:` line prints them: the Binance flags the command line
/// sets (and `enableReading`), `name=true|false`, space-separated, as apiRestrictions names them.
fn describe_permissions(p: &rampart_sim::binance_usdm::SimKeyPermissions) -> String {
    format!(
        "enableReading={} enableFutures={} enableWithdrawals={} enableInternalTransfer={} \
         permitsUniversalTransfer={} ipRestrict={}",
        p.reading,
        p.futures,
        p.withdrawals,
        p.internal_transfer,
        p.universal_transfer,
        p.ip_restrict
    )
}

/// The simulator serves this machine only.
fn check_loopback(args: &Sim) -> Result<(), String> {
    if args.listen.ip().is_loopback() {
        Ok(())
    } else {
        Err(format!(
            "--listen {} is not a loopback address; the simulator serves this machine only (use 127.0.0.1 or [::1])",
            args.listen
        ))
    }
}

/// The runtime a simulator runs on: `--threads` workers (1: the current thread).
fn runtime(threads: usize) -> Result<tokio::runtime::Runtime, String> {
    match threads {
        0 => return Err("--threads must be at least 1".into()),
        1 => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        n => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(n)
            .enable_all()
            .build(),
    }
    .map_err(|e| format!("could not start: {e}"))
}

async fn bind(args: &Sim) -> Result<tokio::net::TcpListener, String> {
    tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("could not listen on {}: {e}", args.listen))
}

/// The simulator's certificate (under TLS) written to a file for clients to trust; the
/// directory is removed when the returned value is dropped, so keep it until the end.
fn cert_file(
    pem: Option<String>,
) -> Result<Option<(tempfile::TempDir, std::path::PathBuf)>, String> {
    pem.map(|pem| write_cert(&pem)).transpose()
}

/// Says how to stop, then waits for Ctrl+C.
async fn until_ctrl_c() -> Result<(), String> {
    println!("Press Ctrl+C to stop.");
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| format!("could not wait for Ctrl+C: {e}"))
}

/// Writes the certificate to `cert.pem` in a new temporary directory (owner-only on Unix).
fn write_cert(pem: &str) -> Result<(tempfile::TempDir, std::path::PathBuf), String> {
    let dir = tempfile::Builder::new()
        .prefix("rampart-sim-")
        .tempdir()
        .map_err(|e| format!("could not create a directory for the certificate: {e}"))?;
    let path = dir.path().join("cert.pem");
    std::fs::write(&path, pem).map_err(|e| format!("could not write {}: {e}", path.display()))?;
    Ok((dir, path))
}

#[derive(Clone, Copy, ValueEnum)]
enum VenueArg {
    #[value(name = "binance-usdm")]
    BinanceUsdm,
    /// Bybit v5 (linear and inverse perpetuals).
    #[value(name = "bybit")]
    Bybit,
    /// OKX v5 (swaps and futures).
    #[value(name = "okx")]
    Okx,
    /// Deribit v2 (BTC and ETH perpetuals, futures and options).
    #[value(name = "deribit")]
    Deribit,
}

#[derive(Clone, Copy, ValueEnum)]
enum Method {
    #[value(name = "GET")]
    Get,
    #[value(name = "POST")]
    Post,
    #[value(name = "PUT")]
    Put,
    #[value(name = "DELETE")]
    Delete,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
}

#[derive(clap::Args)]
struct Preview {
    #[arg(long, value_enum, default_value = "binance-usdm")]
    venue: VenueArg,
    #[arg(long, value_enum, ignore_case = true)]
    method: Method,
    /// The endpoint path, e.g. /fapi/v1/order.
    #[arg(long)]
    path: String,
    /// A request parameter `key=value`; repeat for more. Signed in the order given.
    #[arg(long = "param", value_parser = parse_param)]
    params: Vec<(String, String)>,
    /// The timestamp to sign: ms since the epoch, or an ISO-8601 UTC time as OKX writes it
    /// (`2020-12-08T09:08:57.715Z`); default: this machine's clock.
    #[arg(long, value_parser = parse_timestamp)]
    timestamp: Option<u64>,
    /// recvWindow in ms; omitted when not given.
    #[arg(long)]
    recv_window: Option<u64>,
    /// The base URL; default: the venue's live host.
    #[arg(long)]
    base_url: Option<String>,
    /// Bybit and OKX: the exact JSON body of a POST, signed byte for byte as given.
    #[arg(long)]
    body: Option<String>,
    /// OKX: demo trading (adds `x-simulated-trading: 1`).
    #[arg(long)]
    demo: bool,
    /// Deribit: the nonce to sign; default: a fresh one.
    #[arg(long)]
    nonce: Option<String>,
}

/// `--timestamp`: whole milliseconds since the epoch, or an RFC 3339 time (OKX's
/// `OK-ACCESS-TIMESTAMP` form), read as the millisecond it names.
fn parse_timestamp(text: &str) -> Result<u64, String> {
    if let Ok(ms) = text.parse::<u64>() {
        return Ok(ms);
    }
    let at: jiff::Timestamp = text.parse().map_err(|_| {
        format!(
            "'{text}' is neither milliseconds since 1970 nor a time like 2020-12-08T09:08:57.715Z"
        )
    })?;
    u64::try_from(at.as_millisecond()).map_err(|_| format!("'{text}' is before 1970"))
}

fn parse_param(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("'{text}' is not key=value")),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StdinCredentials {
    api_key: Zeroizing<String>,
    api_secret: Zeroizing<String>,
}

fn preview(args: Preview) -> Result<serde_json::Value, String> {
    match args.venue {
        VenueArg::Bybit => return preview_bybit::preview(&args),
        VenueArg::Okx => return preview_okx::preview(&args),
        VenueArg::Deribit => return preview_deribit::preview(&args),
        VenueArg::BinanceUsdm => {}
    }
    if args.body.is_some() || args.demo || args.nonce.is_some() {
        return Err(
            "--body is for --venue bybit, okx or deribit, --demo for okx, --nonce for deribit; \
             Binance takes --param"
                .into(),
        );
    }
    if !args.path.starts_with('/') {
        return Err(format!(
            "--path must start with '/', e.g. /fapi/v1/order (got '{}')",
            args.path
        ));
    }
    let mut input = Zeroizing::new(String::new());
    std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| format!("could not read credentials from standard input: {e}"))?;
    let creds: StdinCredentials = serde_json::from_str(&input).map_err(|e| {
        format!("standard input must be JSON {{\"apiKey\": \"...\", \"apiSecret\": \"...\"}} ({e})")
    })?;
    let signer = Signer::from_secret(&creds.api_secret).map_err(|e| e.to_string())?;

    let timestamp = match args.timestamp {
        Some(ms) => ms,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|_| "this machine's clock is before 1970; pass --timestamp".to_owned())?
            .as_millis()
            .try_into()
            .map_err(|_| "this machine's clock is out of range; pass --timestamp".to_owned())?,
    };
    let recv_window = args.recv_window.map(|w| w.to_string());
    let timestamp = timestamp.to_string();
    let mut params: Vec<(&str, &str)> = args
        .params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    if let Some(w) = &recv_window {
        params.push(("recvWindow", w));
    }
    params.push(("timestamp", &timestamp));
    let total_params = encode_params(params);

    // GET and DELETE carry the parameters in the query string; POST and PUT in a form body.
    let in_body = matches!(args.method, Method::Post | Method::Put);
    let base = args
        .base_url
        .as_deref()
        .unwrap_or("https://fapi.binance.com")
        .trim_end_matches('/');
    let mut headers = serde_json::Map::new();
    headers.insert("X-MBX-APIKEY".into(), creds.api_key.as_str().into());
    let (url, body) = if in_body {
        headers.insert(
            "Content-Type".into(),
            "application/x-www-form-urlencoded".into(),
        );
        let signature = signer.sign("", &total_params);
        (
            format!("{base}{}", args.path),
            append_signature(&total_params, &signature),
        )
    } else {
        let signature = signer.sign(&total_params, "");
        (
            format!(
                "{base}{}?{}",
                args.path,
                append_signature(&total_params, &signature)
            ),
            String::new(),
        )
    };
    Ok(serde_json::json!({
        "method": args.method.as_str(),
        "url": url,
        "headers": headers,
        "body": body,
    }))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Preview(args) => match preview(args) {
            Ok(request) => {
                println!("{request:#}");
                ExitCode::SUCCESS
            }
            Err(message) => {
                eprintln!("rampart preview: {message}");
                ExitCode::from(2)
            }
        },
        Command::Sim(args) => match sim(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("rampart sim: {message}");
                ExitCode::from(2)
            }
        },
        Command::Audit(AuditCommand::Verify(args)) => match audit_verify(args) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(1),
            Err(message) => {
                eprintln!("rampart audit verify: {message}");
                ExitCode::from(2)
            }
        },
    }
}
