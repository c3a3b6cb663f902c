//! Bybit v5 payloads copied from the examples of its documentation (bybit-exchange/docs,
//! `docs/v5/...`), parsed into Rampart's neutral types; malformed ones give Malformed errors.
//! Also the rules checked before an order is sent, and the body it is sent with.

use rampart_core::trading::{ContractKind, OrderRequest, ProductCategory, TriggerBy};
use rampart_core::{OrderType, Side, TimeInForce};
use rampart_venues::bybit::convert;
use rampart_venues::bybit::models::{
    ApiKeyInfo, Book, Envelope, FeeRateList, InstrumentsPage, Klines, OrderList, PositionList,
    ServerTime, Tickers, WalletList,
};
use rampart_venues::bybit::rules::{self, check_order, create_order};
use rampart_venues::venue::{ErrorKind, OrderStatus, PositionSide};
use rust_decimal::Decimal;

fn d(text: &str) -> Decimal {
    text.parse().unwrap()
}

fn result<T: serde::de::DeserializeOwned>(json: &str) -> T {
    let env: Envelope<T> = serde_json::from_str(json).unwrap();
    assert_eq!(env.ret_code, 0);
    env.result.unwrap()
}

// "Market → Get Instruments Info", the USDT perpetual example.
const LINEAR_INSTRUMENT: &str = r#"{"retCode":0,"retMsg":"OK","result":{"category":"linear","list":[{"symbol":"BTCUSDT","symbolId":5,"contractType":"LinearPerpetual","status":"Trading","baseCoin":"BTC","quoteCoin":"USDT","launchTime":"1585526400000","deliveryTime":"0","deliveryFeeRate":"","priceScale":"2","leverageFilter":{"minLeverage":"1","maxLeverage":"100.00","leverageStep":"0.01"},"priceFilter":{"minPrice":"0.10","maxPrice":"1999999.80","tickSize":"0.10"},"lotSizeFilter":{"maxOrderQty":"1190.000","minOrderQty":"0.001","qtyStep":"0.001","postOnlyMaxOrderQty":"1190.000","maxMktOrderQty":"500.000","minNotionalValue":"5"},"unifiedMarginTrade":true,"fundingInterval":480,"settleCoin":"USDT","copyTrading":"both","upperFundingRate":"0.00375","lowerFundingRate":"-0.00375","isPreListing":false,"preListingInfo":null,"riskParameters":{"priceLimitRatioX":"0.01","priceLimitRatioY":"0.02"},"symbolType":""}],"nextPageCursor":""},"retExtInfo":{},"time":1735809771618}"#;

fn btcusdt() -> rampart_core::trading::InstrumentRules {
    let page: InstrumentsPage = result(LINEAR_INSTRUMENT);
    convert::instrument_rules(&page.list[0]).unwrap()
}

fn order(order_type: OrderType, qty: &str, price: Option<&str>) -> OrderRequest {
    OrderRequest {
        symbol: "BTCUSDT".into(),
        client_order_id: "rmpAbCdEfGhIjKlMnOpQrStUvWx".into(),
        side: Side::Buy,
        order_type,
        qty: qty.parse().unwrap(),
        price: price.map(|p| p.parse().unwrap()),
        trigger_price: None,
        time_in_force: None,
        reduce_only: false,
        trigger_by: None,
        margin_mode: None,
        position_side: PositionSide::Net,
        reference_price: None,
    }
}

#[test]
fn a_linear_perpetuals_rules_come_from_its_filters() {
    let r = btcusdt();
    assert_eq!(r.symbol, "BTCUSDT");
    assert_eq!(r.category, ProductCategory::Linear);
    assert_eq!(r.kind, ContractKind::Perpetual);
    assert_eq!(r.settle_asset, "USDT");
    assert!(r.trading);
    assert_eq!(r.tick_size, d("0.10"));
    assert_eq!(r.step_size, d("0.001"));
    assert_eq!(r.min_qty, d("0.001"));
    assert_eq!(r.max_qty, d("1190"));
    assert_eq!(r.max_market_qty, d("500"));
    assert_eq!(r.min_notional, d("5"));
    assert_eq!(r.contract_size, None, "linear sizes are in the base coin");
    assert_eq!(r.expiry_ms, None);
    assert_eq!(r.max_leverage, Some(d("100")));
}

#[test]
fn an_inverse_contract_is_sized_in_usd_contracts() {
    let json = LINEAR_INSTRUMENT
        .replace("LinearPerpetual", "InverseFutures")
        .replace(
            "\"deliveryTime\":\"0\"",
            "\"deliveryTime\":\"1735286400000\"",
        )
        .replace("\"settleCoin\":\"USDT\"", "\"settleCoin\":\"BTC\"")
        .replace("BTCUSDT", "BTCUSDZ25")
        .replace("\"quoteCoin\":\"USDT\"", "\"quoteCoin\":\"USD\"");
    let page: InstrumentsPage = result(&json);
    let r = convert::instrument_rules(&page.list[0]).unwrap();
    assert_eq!(r.category, ProductCategory::Inverse);
    assert_eq!(r.kind, ContractKind::Dated);
    assert_eq!(r.contract_size, Some(Decimal::ONE));
    assert_eq!(r.settle_asset, "BTC");
    assert_eq!(r.expiry_ms, Some(1_735_286_400_000));
}

#[test]
fn a_malformed_filter_is_a_malformed_error_naming_the_field() {
    let json = LINEAR_INSTRUMENT.replace("\"tickSize\":\"0.10\"", "\"tickSize\":\"ten cents\"");
    let page: InstrumentsPage = result(&json);
    let e = convert::instrument_rules(&page.list[0]).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Malformed);
    assert!(e.message.contains("tickSize"), "{}", e.message);
    let json = LINEAR_INSTRUMENT.replace("LinearPerpetual", "Spotlike");
    let page: InstrumentsPage = result(&json);
    assert_eq!(
        convert::instrument_rules(&page.list[0]).unwrap_err().kind,
        ErrorKind::Malformed
    );
}

#[test]
fn server_time_parses() {
    // "Market → Get Bybit Server Time".
    let t: ServerTime = result(
        r#"{"retCode":0,"retMsg":"OK","result":{"timeSecond":"1688639403","timeNano":"1688639403423213947"},"retExtInfo":{},"time":1688639403423}"#,
    );
    assert_eq!(t.time_nano, "1688639403423213947");
}

// "Trade → Get Open & Closed Orders" example.
const OPEN_ORDERS: &str = r#"{"retCode":0,"retMsg":"OK","result":{"list":[{"orderId":"fd4300ae-7847-404e-b947-b46980a4d140","orderLinkId":"test-000005","blockTradeId":"","symbol":"ETHUSDT","price":"1600.00","qty":"0.10","side":"Buy","isLeverage":"","positionIdx":1,"orderStatus":"New","cancelType":"UNKNOWN","rejectReason":"EC_NoError","avgPrice":"0","leavesQty":"0.10","leavesValue":"160","cumExecQty":"0.00","cumExecValue":"0","cumExecFee":"0","timeInForce":"GTC","orderType":"Limit","stopOrderType":"UNKNOWN","orderIv":"","triggerPrice":"0.00","takeProfit":"2500.00","stopLoss":"1500.00","tpTriggerBy":"LastPrice","slTriggerBy":"LastPrice","triggerDirection":0,"triggerBy":"UNKNOWN","lastPriceOnCreated":"","reduceOnly":false,"closeOnTrigger":false,"smpType":"None","smpGroup":0,"smpOrderId":"","tpslMode":"Full","tpLimitPrice":"","slLimitPrice":"","placeType":"","createdTime":"1684738540559","updatedTime":"1684738540561","cumFeeDetail":{"MNT":"0.00242968"}}],"nextPageCursor":"page_args%3Dfd4300ae-7847-404e-b947-b46980a4d140%26symbol%3D6%26","category":"linear"},"retExtInfo":{},"time":1684765770483}"#;

#[test]
fn an_open_order_becomes_an_order_state() {
    let list: OrderList = result(OPEN_ORDERS);
    let o = convert::order_state(&list.list[0]).unwrap();
    assert_eq!(o.symbol, "ETHUSDT");
    assert_eq!(o.client_order_id, "test-000005");
    assert_eq!(o.venue_order_id, "fd4300ae-7847-404e-b947-b46980a4d140");
    assert_eq!(o.side, Side::Buy);
    assert_eq!(o.order_type, Some(OrderType::Limit));
    assert_eq!(o.status, OrderStatus::Open);
    assert_eq!(o.qty, d("0.10"));
    assert_eq!(o.filled_qty, Decimal::ZERO);
    assert_eq!(o.price, Some(d("1600")));
    assert_eq!(o.trigger_price, None, "a zero trigger price is none");
    assert_eq!(o.avg_fill_price, None);
    assert_eq!(o.position_side, PositionSide::Long);
    assert_eq!(o.updated_ms, 1_684_738_540_561);
}

#[test]
fn conditional_orders_are_told_apart_by_trigger_direction() {
    let stop_sell = OPEN_ORDERS
        .replace("\"side\":\"Buy\"", "\"side\":\"Sell\"")
        .replace(
            "\"stopOrderType\":\"UNKNOWN\"",
            "\"stopOrderType\":\"Stop\"",
        )
        .replace("\"triggerDirection\":0", "\"triggerDirection\":2")
        .replace("\"orderType\":\"Limit\"", "\"orderType\":\"Market\"")
        .replace("\"orderStatus\":\"New\"", "\"orderStatus\":\"Untriggered\"")
        .replace("\"triggerPrice\":\"0.00\"", "\"triggerPrice\":\"1500.00\"");
    let list: OrderList = result(&stop_sell);
    let o = convert::order_state(&list.list[0]).unwrap();
    assert_eq!(o.order_type, Some(OrderType::StopMarket));
    assert_eq!(o.status, OrderStatus::Open);
    assert_eq!(o.trigger_price, Some(d("1500")));
    assert_eq!(o.price, None);
    let tp_sell = stop_sell.replace("\"triggerDirection\":2", "\"triggerDirection\":1");
    let list: OrderList = result(&tp_sell);
    assert_eq!(
        convert::order_state(&list.list[0]).unwrap().order_type,
        Some(OrderType::TakeProfitMarket)
    );
}

#[test]
fn a_malformed_order_is_refused_whole() {
    let bad = OPEN_ORDERS.replace("\"orderStatus\":\"New\"", "\"orderStatus\":\"Sleeping\"");
    let list: OrderList = result(&bad);
    assert_eq!(
        convert::order_state(&list.list[0]).unwrap_err().kind,
        ErrorKind::Malformed
    );
    let bad = OPEN_ORDERS.replace("\"qty\":\"0.10\"", "\"qty\":\"a tenth\"");
    let list: OrderList = result(&bad);
    let e = convert::order_state(&list.list[0]).unwrap_err();
    assert!(e.message.contains("qty"), "{}", e.message);
    // Not even an order list.
    assert!(
        serde_json::from_str::<Envelope<OrderList>>(
            r#"{"retCode":0,"result":{"list":[{"orderId":1}]}}"#
        )
        .is_err()
    );
}

#[test]
fn an_inverse_short_position_is_negative() {
    // "Position → Get Position Info" example.
    let list: PositionList = result(
        r#"{"retCode":0,"retMsg":"OK","result":{"list":[{"positionIdx":0,"riskId":1,"riskLimitValue":"150","symbol":"BTCUSD","side":"Sell","size":"300","avgPrice":"27464.50441675","positionValue":"0.01092319","tradeMode":0,"positionStatus":"Normal","autoAddMargin":1,"adlRankIndicator":2,"leverage":"10","breakEvenPrice":"93556.73034991","positionBalance":"0.00139186","markPrice":"28224.50","liqPrice":"","bustPrice":"999999.00","positionMM":"0.0000015","positionMMByMp":"0.0000015","positionIM":"0.00010923","positionIMByMp":"0.00010923","tpslMode":"Full","takeProfit":"0.00","stopLoss":"0.00","trailingStop":"0.00","unrealisedPnl":"-0.00029413","curRealisedPnl":"0.00013123","cumRealisedPnl":"-0.00096902","seq":5723621632,"isReduceOnly":false,"mmrSysUpdateTime":"","leverageSysUpdatedTime":"","sessionAvgPrice":"","createdTime":"1676538056258","updatedTime":"1697673600012"}],"nextPageCursor":"","category":"inverse"},"retExtInfo":{},"time":1697684980172}"#,
    );
    let p = convert::position(&list.list[0]).unwrap().unwrap();
    assert_eq!(p.symbol, "BTCUSD");
    assert_eq!(p.qty, d("-300"));
    assert_eq!(p.entry_price, d("27464.50441675"));
    assert_eq!(p.mark_price, d("28224.50"));
    assert_eq!(p.unrealized_pnl, d("-0.00029413"));
    assert_eq!(p.leverage, Some(d("10")));
    assert_eq!(p.liquidation_price, None);
    assert_eq!(
        p.margin_mode,
        Some(rampart_core::trading::MarginMode::Cross)
    );
}

#[test]
fn wallet_balance_of_a_unified_account() {
    // "Account → Get Wallet Balance" example.
    let w: WalletList = result(
        r#"{"retCode":0,"retMsg":"OK","result":{"list":[{"totalEquity":"3.31216591","accountIMRate":"0","totalMarginBalance":"3.00326056","totalInitialMargin":"0","accountType":"UNIFIED","totalAvailableBalance":"3.00326056","accountMMRate":"0","totalPerpUPL":"0","totalWalletBalance":"3.00326056","accountLTV":"0","totalMaintenanceMargin":"0","coin":[{"availableToBorrow":"3","bonus":"0","accruedInterest":"0","availableToWithdraw":"","totalOrderIM":"0.5","equity":"0","totalPositionMM":"0","usdValue":"0","unrealisedPnl":"0.25","collateralSwitch":true,"borrowAmount":"0.0","totalPositionIM":"1","walletBalance":"10","cumRealisedPnl":"0","locked":"0","marginCollateral":true,"coin":"USDT"}]}]},"retExtInfo":{},"time":1690872862481}"#,
    );
    let b = convert::balances(&w).unwrap();
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].asset, "USDT");
    assert_eq!(b[0].wallet, d("10"));
    assert_eq!(
        b[0].available,
        d("8.5"),
        "wallet less order and position margin"
    );
    assert_eq!(b[0].unrealized_pnl, d("0.25"));
}

#[test]
fn ticker_orderbook_candles_and_fees() {
    // "Market → Get Tickers" (inverse example).
    let t: Tickers = result(
        r#"{"retCode":0,"retMsg":"OK","result":{"category":"inverse","list":[{"symbol":"BTCUSD","lastPrice":"120635.50","indexPrice":"114890.92","markPrice":"114898.43","fundingRate":"0.0001","nextFundingTime":"1760371200000","deliveryTime":"0"}]},"retExtInfo":{},"time":1760352369814}"#,
    );
    let m = convert::mark_price(&t.list[0], 1_760_352_369_814).unwrap();
    assert_eq!(m.mark, d("114898.43"));
    assert_eq!(m.index, Some(d("114890.92")));
    assert_eq!(m.funding_rate, Some(d("0.0001")));
    assert_eq!(m.next_funding_ms, Some(1_760_371_200_000));

    // "Market → Get Orderbook".
    let b: Book = result(
        r#"{"retCode":0,"retMsg":"OK","result":{"s":"BTCUSDT","a":[["65557.7","16.606555"]],"b":[["65485.47","47.081829"]],"ts":1716863719031,"u":230704,"seq":1432604333,"cts":1716863718905},"retExtInfo":{},"time":1716863719382}"#,
    );
    let book = convert::order_book(&b, 0).unwrap();
    assert_eq!(book.bids[0].price, d("65485.47"));
    assert_eq!(book.asks[0].qty, d("16.606555"));
    assert_eq!(book.update_id, 230704);
    assert_eq!(book.time_ms, 1_716_863_719_031);

    // "Market → Get Kline": newest first on the wire, oldest first here.
    let k: Klines = result(
        r#"{"retCode":0,"retMsg":"OK","result":{"symbol":"BTCUSD","category":"inverse","list":[["1670608800000","17071","17073","17027","17055.5","268611","15.74462667"],["1670605200000","17071.5","17071.5","17061","17071","4177","0.24469757"],["1670601600000","17086.5","17088","16978","17071.5","6356","0.37288112"]]},"retExtInfo":{},"time":1672025956592}"#,
    );
    let c = convert::candles(&k).unwrap();
    assert_eq!(c.len(), 3);
    assert_eq!(c[0].open_time_ms, 1_670_601_600_000);
    assert_eq!(c[2].close, d("17055.5"));
    assert!(c[0].closed && c[1].closed && !c[2].closed);

    // "Account → Get Fee Rate".
    let f: FeeRateList = result(
        r#"{"retCode":0,"retMsg":"OK","result":{"list":[{"symbol":"ETHUSDT","takerFeeRate":"0.0006","makerFeeRate":"0.0001"}]},"retExtInfo":{},"time":1676360412576}"#,
    );
    let rates = convert::fee_rates(&f.list[0]).unwrap();
    assert_eq!((rates.maker, rates.taker), (d("0.0001"), d("0.0006")));
}

#[test]
fn key_permissions_from_query_api() {
    // "User → Get API Key Information" example (readOnly 1, IPs bound, no Withdraw).
    let json = r#"{"retCode":0,"retMsg":"","result":{"id":"2208369","note":"testnet","apiKey":"XXXXXXXX","readOnly":1,"secret":"","permissions":{"ContractTrade":["Order","Position"],"Spot":["SpotTrade"],"Wallet":["AccountTransfer","SubMemberTransfer"],"Options":[],"Derivatives":["DerivativesTrade"],"CopyTrading":[],"BlockTrade":[],"Exchange":["ExchangeHistory"],"NFT":[],"Affiliate":[],"Earn":["Earn"]},"ips":["18.181.170.164","13.212.45.47","13.212.45.48"],"type":1,"deadlineDay":-2,"expiredAt":"1970-01-01T00:00:00Z","createdAt":"2025-10-13T03:20:45Z","unified":0,"uta":1,"userID":1448939,"isMaster":true,"parentUid":"0"},"retExtInfo":{},"time":1776149990532}"#;
    let k: ApiKeyInfo = result(json);
    let p = convert::key_permissions(&k).unwrap();
    assert!(p.can_read);
    assert!(!p.can_trade, "read-only");
    assert!(!p.can_withdraw);
    assert!(p.can_transfer);
    assert!(p.ip_restricted);
    assert_eq!(p.created_ms, Some(1_760_325_645_000));

    let writable = json
        .replace("\"readOnly\":1", "\"readOnly\":0")
        .replace(
            "\"SubMemberTransfer\"]",
            "\"SubMemberTransfer\",\"Withdraw\"]",
        )
        .replace(
            "[\"18.181.170.164\",\"13.212.45.47\",\"13.212.45.48\"]",
            "[\"*\"]",
        );
    let p = convert::key_permissions(&result(&writable)).unwrap();
    assert!(p.can_trade && p.can_withdraw && !p.ip_restricted);
}

#[test]
fn off_tick_too_many_decimals_and_below_minimum_are_refused_unsent() {
    let r = btcusdt();
    let ok = order(OrderType::Limit, "0.010", Some("60000.10"));
    assert_eq!(check_order(&ok, &r, None), Ok(()));
    for (bad, words) in [
        (
            order(OrderType::Limit, "0.010", Some("60000.15")),
            "more decimals",
        ),
        (
            order(OrderType::Limit, "0.0105", Some("60000.1")),
            "more decimals",
        ),
        (
            order(OrderType::Limit, "0.0005", Some("60000.1")),
            "more decimals",
        ),
        (
            order(OrderType::Limit, "0.001", Some("1000")),
            "minimum order value",
        ),
        (order(OrderType::Limit, "2000", Some("60000")), "maximum"),
        (order(OrderType::Market, "600", None), "maximum"),
        (order(OrderType::Limit, "0.01", None), "needs a price"),
        (order(OrderType::StopMarket, "0.01", None), "trigger price"),
    ] {
        let e = check_order(&bad, &r, Some(d("60000"))).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Validation, "{bad:?}");
        assert!(e.not_sent);
        assert!(e.message.contains(words), "{words}: {}", e.message);
    }
    let mut too_long = ok.clone();
    too_long.client_order_id = "x".repeat(37);
    assert!(
        check_order(&too_long, &r, None)
            .unwrap_err()
            .message
            .contains("client order id")
    );
    let mut bad_chars = ok;
    bad_chars.client_order_id = "rmp.1".into();
    assert_eq!(
        check_order(&bad_chars, &r, None).unwrap_err().kind,
        ErrorKind::Validation
    );
}

#[test]
fn engine_client_ids_fit_bybits_order_link_id() {
    // The engine's ids: "rmp" and 24 letters and digits (27 characters).
    assert!(rules::is_valid_order_link_id("rmpAbCdEfGhIjKlMnOpQrStUvWx"));
    assert!(rules::is_valid_order_link_id(&"a".repeat(36)));
    assert!(!rules::is_valid_order_link_id(&"a".repeat(37)));
    assert!(!rules::is_valid_order_link_id(""));
}

#[test]
fn the_order_body_is_bybits_create_order_shape() {
    let r = btcusdt();
    let mut o = order(OrderType::Limit, "0.010", Some("60000.10"));
    o.time_in_force = Some(TimeInForce::PostOnly);
    o.reduce_only = true;
    let body = serde_json::to_string(&create_order(&o, &r)).unwrap();
    assert_eq!(
        body,
        r#"{"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Limit","qty":"0.01","price":"60000.1","timeInForce":"PostOnly","positionIdx":0,"orderLinkId":"rmpAbCdEfGhIjKlMnOpQrStUvWx","reduceOnly":true}"#
    );
    let mut stop = order(OrderType::StopMarket, "0.010", None);
    stop.side = Side::Sell;
    stop.trigger_price = Some("55000".parse().unwrap());
    stop.trigger_by = Some(TriggerBy::Mark);
    let body = serde_json::to_string(&create_order(&stop, &r)).unwrap();
    assert_eq!(
        body,
        r#"{"category":"linear","symbol":"BTCUSDT","side":"Sell","orderType":"Market","qty":"0.01","triggerDirection":2,"triggerPrice":"55000","triggerBy":"MarkPrice","positionIdx":0,"orderLinkId":"rmpAbCdEfGhIjKlMnOpQrStUvWx"}"#
    );
}
