//! `rampart sim --venue bybit`: the Bybit v5 simulator on loopback with one funded account
//! (USDT 100000, BTC 2, ETH 30), over plain HTTP/WebSocket or (`--tls`) TLS 1.3.
//!
//! Prints `REST: <base>` (Bybit's paths, `/v5/...`, under it), `WS: <base>` (streams at
//! `<base>/v5/public/linear`, `<base>/v5/public/inverse` and `<base>/v5/private`), with
//! `--tls` `CERT: <path>`, and `KEY: <permissions>`.

use rampart_sim::bybit::{SimAccount, SimConfig, SimKeyPermissions, SimServer};

use super::{Sim, bind, cert_file, check_loopback, runtime, until_ctrl_c};

/// Runs the simulator until Ctrl+C.
pub(super) fn run(args: Sim) -> Result<(), String> {
    check_loopback(&args)?;
    if args.api_key.trim().is_empty() || args.api_secret.trim().is_empty() {
        return Err("--api-key and --api-secret must not be empty".into());
    }
    let runtime = runtime(args.threads)?;
    runtime.block_on(async move {
        let listener = bind(&args).await?;
        let permissions = SimKeyPermissions {
            read_only: args.read_only,
            withdraw: args.enable_withdrawals,
            ips: if args.ip_restrict {
                vec!["127.0.0.1".into()]
            } else {
                Vec::new()
            },
        };
        let key_line = describe(&permissions, args.institutional);
        let mut config = SimConfig {
            accounts: vec![SimAccount {
                api_key: args.api_key,
                api_secret: args.api_secret,
                permissions,
                institutional: args.institutional,
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
        println!("bybit simulator (price seed {seed})");
        println!("REST: {}", server.base_url());
        println!("WS: {}", server.ws_base_url());
        if let Some((_, path)) = &cert_dir {
            println!("CERT: {}", path.display());
        }
        println!("KEY: {key_line}");
        println!(
            "Streams at {base}/v5/public/linear, {base}/v5/public/inverse and {base}/v5/private.",
            base = server.ws_base_url()
        );
        until_ctrl_c().await?;
        server.stop().await;
        Ok(())
    })
}

/// The key's permissions in one line, as `/v5/user/query-api` reports them.
fn describe(p: &SimKeyPermissions, institutional: bool) -> String {
    let mut parts = vec![
        if p.read_only {
            "read-only"
        } else {
            "read+trade"
        }
        .to_owned(),
    ];
    if p.withdraw {
        parts.push("withdraw".into());
    }
    parts.push(if p.ips.is_empty() {
        "any IP".into()
    } else {
        format!("IPs {}", p.ips.join(","))
    });
    if institutional {
        parts.push("institutional (DCP allowed)".into());
    }
    parts.join(", ")
}
