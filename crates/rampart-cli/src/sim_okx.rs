//! `rampart sim --venue okx`: the OKX v5 simulator on loopback with one funded account (100000
//! USDT and 1 BTC), until Ctrl+C. The account's key is a live (not demo) key: requests carry
//! no `x-simulated-trading` header. It may read and trade; `--read-only` takes trading away
//! and `--enable-withdrawals` adds `withdraw` to the `perm` that `GET /api/v5/account/config`
//! reports.

use rampart_sim::okx::{SimAccount, SimConfig, SimPermissions, SimServer};

use super::{Sim, bind, cert_file, check_loopback, runtime, until_ctrl_c};

pub(super) fn run(args: Sim) -> Result<(), String> {
    check_loopback(&args)?;
    let passphrase = args.passphrase.clone().unwrap_or_default();
    if args.api_key.trim().is_empty()
        || args.api_secret.trim().is_empty()
        || passphrase.trim().is_empty()
    {
        return Err(
            "--api-key, --api-secret and --passphrase must not be empty (OKX keys have a passphrase)"
                .into(),
        );
    }
    let runtime = runtime(args.threads)?;
    runtime.block_on(async move {
        let listener = bind(&args).await?;
        let permissions = SimPermissions {
            trade: !args.read_only,
            withdraw: args.enable_withdrawals,
            ip_bound: args.ip_restrict,
        };
        let mut config = SimConfig {
            accounts: vec![SimAccount {
                api_key: args.api_key,
                api_secret: args.api_secret,
                passphrase,
                permissions,
                demo: false,
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
        println!("okx simulator (price seed {seed})");
        println!("REST: {}/api/v5", server.base_url());
        println!("WS: {}/ws/v5", server.ws_base_url());
        if let Some((_, path)) = &cert_dir {
            println!("CERT: {}", path.display());
        }
        println!("KEY: perm={}", permissions.wire());
        println!(
            "Instruments: {}. Streams at {base}/ws/v5/public, {base}/ws/v5/business and {base}/ws/v5/private.",
            server.inst_ids().join(", "),
            base = server.ws_base_url()
        );
        until_ctrl_c().await?;
        server.stop().await;
        Ok(())
    })
}
