//! The API key's permissions (`Venue::key_permissions`, Binance's Get API Key Permission) read
//! from the simulator over real loopback sockets: a fresh key, permissions changed at runtime, a
//! key without futures permission refused on orders while it still reads, and refused requests
//! to the endpoint itself.

use std::str::FromStr;

use rampart_core::trading::{KeyPermissions, OrderRequest, PositionSide};
use rampart_core::{OrderType, Qty, Side};
use rampart_sim::binance_usdm::{SimAccount, SimConfig, SimKeyPermissions, SimServer};
use rampart_venues::binance_usdm::{BinanceUsdm, RestClient, VenueError};
use rampart_venues::venue::{ErrorKind, RefusalCause, Venue};
use tokio::net::TcpListener;

const KEY: &str = "venuepermkey0000000000000000000000000000000000000000000000000000";
const SECRET: &str = "venuepermsecret000000000000000000000000000000000000000000000000";

fn local_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

async fn sim() -> SimServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = SimConfig {
        accounts: vec![SimAccount {
            api_key: KEY.into(),
            api_secret: SECRET.into(),
            ..SimAccount::default()
        }],
        tick_interval_ms: 0,
        ..SimConfig::default()
    };
    SimServer::start(listener, config).unwrap()
}

/// The account on the simulator, clock measured and instruments loaded.
async fn venue_as(sim: &SimServer, key: &str, secret: &str) -> BinanceUsdm {
    let venue = BinanceUsdm::new(RestClient::new(&sim.base_url(), key, secret).unwrap());
    Venue::sync_clock(&venue).await.unwrap();
    Venue::instruments(&venue, false).await.unwrap();
    venue
}

async fn venue(sim: &SimServer) -> BinanceUsdm {
    venue_as(sim, KEY, SECRET).await
}

async fn permissions(venue: &BinanceUsdm) -> KeyPermissions {
    Venue::key_permissions(venue)
        .await
        .unwrap()
        .expect("the simulator's address serves the key's permissions")
}

fn market_buy(client_order_id: &str) -> OrderRequest {
    OrderRequest {
        symbol: "BTCUSDT".into(),
        client_order_id: client_order_id.into(),
        side: Side::Buy,
        order_type: OrderType::Market,
        qty: Qty::from_str("0.002").unwrap(),
        price: None,
        trigger_price: None,
        time_in_force: None,
        reduce_only: false,
        trigger_by: None,
        margin_mode: None,
        position_side: PositionSide::Net,
        reference_price: None,
    }
}

#[tokio::test]
async fn a_fresh_key_reads_and_trades_futures_only() {
    let before = local_ms();
    let sim = sim().await;
    let venue = venue(&sim).await;
    assert_eq!(
        venue.client().spot_base_url(),
        Some(sim.base_url().as_str())
    );
    let p = permissions(&venue).await;
    assert!(p.can_read && p.can_trade, "{p:?}");
    assert!(
        !p.can_withdraw && !p.can_transfer && !p.ip_restricted,
        "{p:?}"
    );
    let created = p.created_ms.expect("createTime");
    assert!((before..=local_ms()).contains(&created), "{created}");
    sim.stop().await;
}

#[tokio::test]
async fn permissions_changed_on_the_venue_are_read_as_they_are_now() {
    let sim = sim().await;
    let venue = venue(&sim).await;

    assert!(sim.set_key_permissions(
        KEY,
        SimKeyPermissions {
            withdrawals: true,
            ip_restrict: true,
            create_time_ms: Some(1_698_645_219_000),
            ..SimKeyPermissions::default()
        }
    ));
    assert_eq!(
        permissions(&venue).await,
        KeyPermissions {
            can_read: true,
            can_trade: true,
            can_withdraw: true,
            can_transfer: false,
            ip_restricted: true,
            created_ms: Some(1_698_645_219_000),
        }
    );

    // Either kind of transfer is a transfer.
    for (internal, universal) in [(true, false), (false, true)] {
        sim.set_key_permissions(
            KEY,
            SimKeyPermissions {
                internal_transfer: internal,
                universal_transfer: universal,
                ..SimKeyPermissions::default()
            },
        );
        let p = permissions(&venue).await;
        assert!(p.can_transfer && !p.can_withdraw, "{p:?}");
    }

    sim.set_key_permissions(
        KEY,
        SimKeyPermissions {
            futures: false,
            ..SimKeyPermissions::default()
        },
    );
    let p = permissions(&venue).await;
    assert!(p.can_read && !p.can_trade, "{p:?}");
    sim.stop().await;
}

#[tokio::test]
async fn a_read_only_key_is_refused_orders_but_still_reads() {
    let sim = sim().await;
    let venue = venue(&sim).await;
    sim.set_key_permissions(
        KEY,
        SimKeyPermissions {
            futures: false,
            ..SimKeyPermissions::default()
        },
    );

    let refused = Venue::place_order(&venue, &market_buy("rmpReadOnly0000000000000001"))
        .await
        .unwrap_err();
    assert_eq!(refused.kind, ErrorKind::Rejected, "{refused:?}");
    assert_eq!(refused.venue_code.as_deref(), Some("-2015"));
    assert_eq!(
        refused.venue_message.as_deref(),
        Some("Invalid API-key, IP, or permissions for action.")
    );
    assert!(
        refused.message.contains("may trade futures"),
        "{}",
        refused.message
    );
    assert!(!refused.outcome_unknown);
    assert_eq!(refused.refusal_cause(), RefusalCause::Authentication);
    assert_eq!(sim.order_count(), 0);

    let balances = Venue::balances(&venue).await.unwrap();
    assert!(balances.iter().any(|b| b.asset == "USDT"), "{balances:?}");
    Venue::positions(&venue, None).await.unwrap();
    assert!(!permissions(&venue).await.can_trade);

    // Futures permission back: the same order goes through.
    sim.set_key_permissions(KEY, SimKeyPermissions::default());
    Venue::place_order(&venue, &market_buy("rmpReadOnly0000000000000002"))
        .await
        .unwrap();
    assert_eq!(sim.order_count(), 1);
    sim.stop().await;
}

#[tokio::test]
async fn a_wrong_signature_an_unknown_or_revoked_key_is_refused() {
    let sim = sim().await;
    let wrong_secret = venue_as(&sim, KEY, "not-the-secret").await;
    let refused = wrong_secret.client().api_restrictions().await.unwrap_err();
    assert!(
        matches!(refused, VenueError::Rejected { code: -1022, .. }),
        "{refused:?}"
    );
    let neutral = Venue::key_permissions(&wrong_secret).await.unwrap_err();
    assert_eq!(neutral.kind, ErrorKind::Rejected);
    assert_eq!(neutral.venue_code.as_deref(), Some("-1022"));

    let stranger = venue_as(&sim, "nobody", SECRET).await;
    assert!(matches!(
        stranger.client().api_restrictions().await,
        Err(VenueError::Rejected { code: -2015, .. })
    ));

    let venue = venue(&sim).await;
    sim.revoke_api_key(KEY);
    assert!(matches!(
        venue.client().api_restrictions().await,
        Err(VenueError::Rejected { code: -2015, .. })
    ));
    sim.reinstate_api_key(KEY);
    assert!(venue.client().api_restrictions().await.unwrap().is_some());
    sim.stop().await;
}
