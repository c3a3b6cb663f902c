//! `rampart sim --venue deribit`: the Deribit v2 simulator on loopback with one funded account
//! (10 BTC and 100 ETH), until Ctrl+C. `--api-key` is the client id and `--api-secret` the
//! client secret; the key's scope is `account:read_write trade:read_write wallet:read`;
//! `--read-only` makes it read everywhere and `--enable-withdrawals` adds
//! `wallet:read_write`. It lists BTC and ETH perpetuals, a quarterly future each and a small
//! options chain per currency.

use rampart_sim::deribit::{Access, InstrumentKind, SimAccount, SimConfig, SimScope, SimServer};

use super::{Sim, bind, cert_file, check_loopback, runtime, until_ctrl_c};

pub(super) fn run(args: Sim) -> Result<(), String> {
    check_loopback(&args)?;
    if args.api_key.trim().is_empty() || args.api_secret.trim().is_empty() {
        return Err(
            "--api-key (the client id) and --api-secret (the client secret) must not be empty"
                .into(),
        );
    }
    let runtime = runtime(args.threads)?;
    runtime.block_on(async move {
        let listener = bind(&args).await?;
        let mut scope = if args.read_only {
            SimScope::read_only()
        } else {
            SimScope::default()
        };
        if args.enable_withdrawals {
            scope.wallet = Access::ReadWrite;
        }
        let client_id = args.api_key.clone();
        let mut config = SimConfig {
            accounts: vec![SimAccount {
                client_id: args.api_key,
                client_secret: args.api_secret,
                scope,
            }],
            tick_interval_ms: args.tick_ms,
            ..SimConfig::default()
        };
        if let Some(seed) = args.seed {
            config.seed = seed;
        }
        let seed = config.seed;
        let server = if args.tls {
            SimServer::start_tls(listener, config)
        } else {
            SimServer::start(listener, config)
        }
        .map_err(|e| format!("could not start the simulator: {e}"))?;
        // Kept until the end: dropping it removes the certificate's directory.
        let cert_dir = cert_file(server.cert_pem())?;
        println!("deribit simulator (price seed {seed})");
        println!("REST: {}/api/v2", server.base_url());
        println!("WS: {}", server.ws_url());
        if let Some((_, path)) = &cert_dir {
            println!("CERT: {}", path.display());
        }
        println!("CLIENT_ID: {client_id} (client secret: the --api-secret given)");
        println!("KEY: scope={}", scope.wire());
        println!(
            "Futures: {}.",
            [
                server.instruments_of(InstrumentKind::Future, "BTC"),
                server.instruments_of(InstrumentKind::Future, "ETH"),
            ]
            .concat()
            .join(", ")
        );
        for currency in ["BTC", "ETH"] {
            println!(
                "{currency} options: {}.",
                server
                    .instruments_of(InstrumentKind::Option, currency)
                    .join(", ")
            );
        }
        until_ctrl_c().await?;
        server.stop().await;
        Ok(())
    })
}
