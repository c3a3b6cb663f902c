#!/usr/bin/env python3
"""Drive Rampart's Bybit v5 simulator with a third-party client: ccxt's `bybit`.

Starts `rampart sim --venue bybit --listen 127.0.0.1:0 --api-key K --api-secret S`, points
ccxt's Bybit API base URLs at it (every request is checked before it is sent: nothing may leave
loopback), and runs ccxt's unified methods with ccxt's own signing. Then the same against
`rampart sim --venue bybit --tls`, trusting only the certificate it prints. One line per check
("ok …" or "FAIL …"), then exactly one line `ccxt: N passed, M failed`; exit status 1 when
M > 0.

Usage:
    python3 tests/ccxt/check_bybit.py [--rampart PATH] [--timeout S] [--verbose]

What ccxt 4.5.90's bybit calls (ccxt/bybit.py), with fetchMarkets types ['linear', 'inverse']:
  fetch_time            GET /v5/market/time
  load_markets          GET /v5/market/instruments-info?category=linear|inverse,
                        GET /v5/asset/coin/query-info (fetch_currencies, signed)
  (first private call)  GET /v5/user/query-api and GET /v5/account/info (is_unified_enabled)
  fetch_ticker          GET /v5/market/tickers
  fetch_order_book      GET /v5/market/orderbook
  fetch_ohlcv           GET /v5/market/kline
  fetch_balance         GET /v5/account/wallet-balance?accountType=UNIFIED
  set_leverage          POST /v5/position/set-leverage
  create_order          POST /v5/order/create
  fetch_open_order      GET /v5/order/realtime (orderId)
  fetch_open_orders     GET /v5/order/realtime
  cancel_order          POST /v5/order/cancel
  cancel_all_orders     POST /v5/order/cancel-all
  fetch_positions       GET /v5/position/list
  fetch_my_trades       GET /v5/execution/list
Bytes are checked, not only verdicts: the signature headers of every private request, the JSON
body ccxt signs, the retCode each refusal carries.
"""

import argparse
import hashlib
import hmac
import json
import os
import sys
import threading
import time
import traceback
import urllib.parse
from decimal import Decimal
from pathlib import Path

import ccxt

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_binance_usdm import API_KEY, API_SECRET, LOOPBACK, REPO, Sim, short  # noqa: E402

SYMBOL = "BTC/USDT:USDT"
INVERSE = "BTC/USD:BTC"

# Bybit's rules for the listed contracts (instruments-info): tick, qty step, min qty.
EXPECTED_MARKETS = {
    "BTC/USDT:USDT": {"id": "BTCUSDT", "tick": "0.1", "step": "0.001"},
    "ETH/USDT:USDT": {"id": "ETHUSDT", "tick": "0.01", "step": "0.01"},
    "SOL/USDT:USDT": {"id": "SOLUSDT", "tick": "0.01", "step": "0.1"},
    "BTC/USD:BTC": {"id": "BTCUSD", "tick": "0.5", "step": "1"},
    "ETH/USD:ETH": {"id": "ETHUSD", "tick": "0.05", "step": "1"},
}

ORDER_FIELDS = [
    "orderId", "orderLinkId", "symbol", "price", "qty", "side", "positionIdx", "orderStatus",
    "cancelType", "rejectReason", "avgPrice", "leavesQty", "leavesValue", "cumExecQty",
    "cumExecValue", "cumExecFee", "timeInForce", "orderType", "stopOrderType", "triggerPrice",
    "triggerDirection", "triggerBy", "reduceOnly", "closeOnTrigger", "createdTime", "updatedTime",
]
POSITION_FIELDS = [
    "positionIdx", "symbol", "side", "size", "avgPrice", "positionValue", "tradeMode",
    "leverage", "markPrice", "liqPrice", "positionIM", "positionMM", "unrealisedPnl",
    "cumRealisedPnl", "createdTime", "updatedTime",
]


def loopback_exchange(root, api_key=API_KEY, secret=API_SECRET, cert=None):
    """ccxt.bybit with every API base URL on the simulator and no other host reachable."""

    class LoopbackBybit(ccxt.bybit):
        def __init__(self, config):
            super().__init__(config)
            for name in list(self.urls["api"].keys()):
                self.urls["api"][name] = root
            self.session.trust_env = False  # no HTTP(S)_PROXY for loopback
            self.trace = []

        def fetch(self, url, method="GET", headers=None, body=None):
            host = urllib.parse.urlsplit(url).hostname
            if host not in LOOPBACK:
                raise AssertionError(f"ccxt tried to reach a non-loopback host: {method} {url}")
            self.trace.append({"method": method, "url": url, "path": urllib.parse.urlsplit(url).path,
                               "query": urllib.parse.urlsplit(url).query,
                               "request_headers": dict(headers or {}), "request_body": body})
            return super().fetch(url, method, headers, body)

        def on_rest_response(self, code, reason, url, method, headers, body, req_headers, req_body):
            if self.trace:
                self.trace[-1].update({"status": int(code), "body": body, "headers": dict(headers)})
            return super().on_rest_response(code, reason, url, method, headers, body,
                                             req_headers, req_body)

    config = {
        "apiKey": api_key,
        "secret": secret,
        "enableRateLimit": False,
        "timeout": 10000,
        "options": {
            "defaultType": "swap",
            "fetchMarkets": {"types": ["linear", "inverse"]},
            "adjustForTimeDifference": False,
        },
    }
    ex = LoopbackBybit(config)
    if root.startswith("https://"):
        ex.verify = cert
        ex.validateServerSsl = cert
    return ex


class Checker:
    def __init__(self, ex, label=""):
        self.ex = ex
        self.label = label
        self.passed = 0
        self.failed = 0

    def check(self, name, fn):
        name = self.label + name
        try:
            detail = fn()
        except Exception as e:  # noqa: BLE001 — every failure becomes one FAIL line
            self.failed += 1
            if isinstance(e, AssertionError):
                print(f"FAIL {name} — {e}", flush=True)
            else:
                where = traceback.extract_tb(e.__traceback__)[-1]
                print(f"FAIL {name} — {type(e).__name__}: {short(str(e))} (at line {where.lineno})",
                      flush=True)
            return False
        self.passed += 1
        print(f"ok {name}" + (f" — {detail}" if detail else ""), flush=True)
        return True

    def last(self, method, path, since=0):
        """The last `method path` exchange in the trace: (request, answer JSON)."""
        for t in reversed(self.ex.trace[since:]):
            if t["method"] == method and t["path"] == path:
                return t, (json.loads(t["body"]) if t.get("body") else None)
        raise AssertionError(f"no {method} {path} request was made")


def require(cond, message):
    if not cond:
        raise AssertionError(message)


def dec(x):
    return Decimal(str(x))


def verify_signature(t):
    """Recomputes Bybit's signature of a traced private request: HMAC-SHA256 hex of
    timestamp + api key + recv window + (query as sent | body as sent)."""
    h = {k.lower(): v for k, v in t["request_headers"].items()}
    for name in ("x-bapi-api-key", "x-bapi-timestamp", "x-bapi-sign", "x-bapi-recv-window"):
        require(name in h, f"{t['method']} {t['path']} lacks {name}")
    signed = t["request_body"] if t["method"] == "POST" else t["query"]
    payload = h["x-bapi-timestamp"] + h["x-bapi-api-key"] + h["x-bapi-recv-window"] + (signed or "")
    want = hmac.new(API_SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest()
    require(h["x-bapi-sign"] == want, f"{t['method']} {t['path']}: ccxt's X-BAPI-SIGN is not the HMAC of the bytes sent")


def expect_error(c, fn, code, expected_cls):
    """fn() must raise expected_cls and the simulator's body must carry Bybit `code`."""
    since = len(c.ex.trace)
    try:
        fn()
    except ccxt.BaseError as e:
        t = c.ex.trace[-1] if len(c.ex.trace) > since else {}
        try:
            body = json.loads(t.get("body") or "{}")
        except ValueError:
            body = {}
        require(body.get("retCode") == code,
                f"expected retCode {code}, simulator answered {short(t.get('body'), 160)}")
        require(isinstance(e, expected_cls),
                f"retCode {code} raised ccxt.{type(e).__name__}, expected ccxt.{expected_cls.__name__}")
        return f"retCode {code} {body.get('retMsg')!r} → ccxt.{type(e).__name__}"
    raise AssertionError(f"no error: expected retCode {code} / ccxt.{expected_cls.__name__}")


def run_checks(sim, label=""):
    ex = loopback_exchange(sim.root, cert=sim.cert)
    c = Checker(ex, label)
    S = SYMBOL
    state = {}

    def fetch_time():
        t = ex.fetch_time()
        now = int(time.time() * 1000)
        require(abs(t - now) < 5000, f"server time {t} is {t - now} ms off the local clock")
        return f"GET /v5/market/time ({t - now:+d} ms)"

    c.check("fetch_time", fetch_time)

    def load_markets():
        markets = ex.load_markets()
        for symbol, want in EXPECTED_MARKETS.items():
            require(symbol in markets, f"{symbol} not loaded (have {sorted(markets)[:8]}…)")
            m = markets[symbol]
            require(m["id"] == want["id"], f"{symbol} id {m['id']}")
            require(dec(m["precision"]["price"]) == dec(want["tick"]),
                    f"{symbol} price precision {m['precision']['price']} != tick {want['tick']}")
            require(dec(m["precision"]["amount"]) == dec(want["step"]),
                    f"{symbol} amount precision {m['precision']['amount']} != step {want['step']}")
        require(markets[INVERSE]["inverse"] is True and markets[INVERSE]["settle"] == "BTC",
                f"{INVERSE} is not inverse settled in BTC")
        return f"{len(markets)} markets; tick and step as instruments-info"

    if not c.check("load_markets", load_markets):
        return c, ex

    def fetch_ticker():
        t = ex.fetch_ticker(S)
        require(t["bid"] is not None and t["ask"] is not None and t["ask"] > t["bid"],
                f"bid {t['bid']} ask {t['ask']}")
        require(t["markPrice"] is not None, "no markPrice")
        state["mark"] = dec(t["markPrice"])
        return f"last {t['last']} bid {t['bid']} ask {t['ask']} mark {t['markPrice']}"

    c.check("fetch_ticker", fetch_ticker)

    def fetch_order_book():
        ob = ex.fetch_order_book(S, 25)
        require(len(ob["bids"]) == 25 and len(ob["asks"]) == 25, f"{len(ob['bids'])}/{len(ob['asks'])} levels")
        require(ob["bids"][0][0] < ob["asks"][0][0], "crossed book")
        _, raw = c.last("GET", "/v5/market/orderbook")
        require(all(isinstance(l[0], str) for l in raw["result"]["b"]), "levels are not strings")
        return f"best {ob['bids'][0][0]} / {ob['asks'][0][0]}"

    c.check("fetch_order_book", fetch_order_book)

    def fetch_ohlcv():
        rows = ex.fetch_ohlcv(S, "5m", limit=10)
        require(len(rows) == 10, f"{len(rows)} candles")
        require(all(b[0] - a[0] == 300_000 for a, b in zip(rows, rows[1:])), "not 5 minutes apart, oldest first")
        require(all(r[3] <= r[1] <= r[2] and r[3] <= r[4] <= r[2] for r in rows), "low/high inconsistent")
        return f"{len(rows)} 5m candles"

    c.check("fetch_ohlcv", fetch_ohlcv)

    def fetch_balance():
        b = ex.fetch_balance()
        require(dec(b["USDT"]["total"]) == Decimal(100000), f"USDT total {b['USDT']['total']}")
        require(dec(b["BTC"]["total"]) == Decimal(2), f"BTC total {b['BTC']['total']}")
        t, raw = c.last("GET", "/v5/account/wallet-balance")
        require("accountType=UNIFIED" in t["query"], f"query {t['query']}")
        verify_signature(t)
        return f"USDT {b['USDT']['total']}, BTC {b['BTC']['total']} (signature of the query as sent checked)"

    c.check("fetch_balance", fetch_balance)

    def set_leverage():
        ex.set_leverage(5, S)
        t, raw = c.last("POST", "/v5/position/set-leverage")
        body = json.loads(t["request_body"])
        require(body.get("buyLeverage") == "5" and body.get("sellLeverage") == "5", f"body {body}")
        verify_signature(t)
        pos = ex.fetch_position(S)
        require(dec(pos["leverage"]) == 5, f"leverage {pos['leverage']}")
        return "5x; the position shows it"

    c.check("set_leverage", set_leverage)

    def create_limit():
        mark = state.get("mark") or dec(ex.fetch_ticker(S)["markPrice"])
        price = (mark * Decimal("0.9")).quantize(Decimal("0.1"))
        o = ex.create_order(S, "limit", "buy", 0.01, float(price), {"clientOrderId": "ccxt-limit-1"})
        t, raw = c.last("POST", "/v5/order/create")
        body = json.loads(t["request_body"])
        require(body.get("orderLinkId") == "ccxt-limit-1", f"orderLinkId in body: {body}")
        require(body.get("category") == "linear" and body.get("orderType") == "Limit", f"body {body}")
        verify_signature(t)
        require(raw["retCode"] == 0 and raw["result"]["orderId"] == o["id"], f"answer {raw}")
        state["limit_id"] = o["id"]
        state["limit_price"] = price
        return f"order {o['id']} at {price}"

    c.check("create_order limit (clientOrderId)", create_limit)

    def fetch_open_order():
        o = ex.fetch_open_order(state["limit_id"], S)
        require(o["status"] == "open" and o["clientOrderId"] == "ccxt-limit-1", f"{o['status']} {o['clientOrderId']}")
        _, raw = c.last("GET", "/v5/order/realtime")
        missing = [f for f in ORDER_FIELDS if f not in raw["result"]["list"][0]]
        require(not missing, f"order lacks documented fields {missing}")
        return f"open, {len(ORDER_FIELDS)} documented fields present"

    c.check("fetch_open_order", fetch_open_order)

    def fetch_open_orders():
        orders = ex.fetch_open_orders(S)
        require([o["id"] for o in orders] == [state["limit_id"]], f"{[o['id'] for o in orders]}")
        return "1 open order"

    c.check("fetch_open_orders", fetch_open_orders)

    def off_tick():
        price = state["limit_price"] + Decimal("0.05")
        # ccxt rounds prices to the market's precision: send the raw request to see the refusal.
        return expect_error(c, lambda: ex.privatePostV5OrderCreate({
            "category": "linear", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Limit",
            "qty": "0.01", "price": str(price)}), 10001, ccxt.BadRequest)

    c.check("off-tick price refused", off_tick)

    def duplicate():
        return expect_error(c, lambda: ex.create_order(
            S, "limit", "buy", 0.01, float(state["limit_price"]), {"clientOrderId": "ccxt-limit-1"}),
            110072, ccxt.InvalidOrder)

    c.check("duplicate orderLinkId refused", duplicate)

    def cancel():
        ex.cancel_order(state["limit_id"], S)
        t, raw = c.last("POST", "/v5/order/cancel")
        require(json.loads(t["request_body"]).get("orderId") == state["limit_id"], "orderId not sent")
        cancelled = [o for o in ex.fetch_canceled_orders(S) if o["id"] == state["limit_id"]]
        require(cancelled and cancelled[0]["status"] == "canceled", f"canceled orders: {cancelled}")
        t, _ = c.last("GET", "/v5/order/history")
        require("orderStatus=Cancelled" in t["query"], f"query {t['query']}")
        try:
            ex.fetch_closed_order(state["limit_id"], S)
        except ccxt.OrderNotFound:
            pass
        else:
            raise AssertionError("fetch_closed_order (orderStatus=Filled) found a cancelled order")
        return "cancelled; in fetch_canceled_orders, not among the filled ones"

    c.check("cancel_order", cancel)

    def cancel_missing():
        return expect_error(c, lambda: ex.cancel_order(state["limit_id"], S), 110001, ccxt.OrderNotFound)

    c.check("cancel of a finished order → OrderNotFound", cancel_missing)

    def cancel_all():
        low = state["limit_price"]
        for i in range(3):
            ex.create_order(S, "limit", "buy", 0.001, float(low - i))
        ex.cancel_all_orders(S)
        left = ex.fetch_open_orders(S)
        require(not left, f"{len(left)} still open")
        _, raw = c.last("POST", "/v5/order/cancel-all")
        require(len(raw["result"]["list"]) == 3, f"answer lists {len(raw['result']['list'])}")
        return "3 cancelled"

    c.check("cancel_all_orders", cancel_all)

    def market_and_positions():
        o = ex.create_order(S, "market", "buy", 0.01)
        _, raw = c.last("POST", "/v5/order/create")
        require(raw["retCode"] == 0, f"{raw}")
        positions = [p for p in ex.fetch_positions([S]) if p["contracts"]]
        require(len(positions) == 1 and positions[0]["side"] == "long"
                and dec(positions[0]["contracts"]) == Decimal("0.01"), f"{positions}")
        _, raw = c.last("GET", "/v5/position/list")
        missing = [f for f in POSITION_FIELDS if f not in raw["result"]["list"][0]]
        require(not missing, f"position lacks documented fields {missing}")
        trades = ex.fetch_my_trades(S)
        require(trades and trades[-1]["order"] == o["id"], f"my trades {[t['order'] for t in trades]}")
        return f"long 0.01 at {positions[0]['entryPrice']}; {len(trades)} trade(s)"

    c.check("create_order market, fetch_positions, fetch_my_trades", market_and_positions)

    def inverse():
        ex.create_order(INVERSE, "market", "sell", 100)
        p = ex.fetch_position(INVERSE)
        require(p["side"] == "short" and dec(p["contracts"]) == 100, f"{p['side']} {p['contracts']}")
        ex.create_order(INVERSE, "market", "buy", 100, None, {"reduceOnly": True})
        p = ex.fetch_position(INVERSE)
        require(not p["contracts"], f"still {p['contracts']}")
        return "short 100 USD contracts, closed reduce-only"

    c.check("inverse BTCUSD round trip", inverse)

    def wrong_secret():
        bad = loopback_exchange(sim.root, secret="not-the-secret", cert=sim.cert)
        bad.markets, bad.markets_by_id = ex.markets, ex.markets_by_id
        bad.options["enableUnifiedAccount"], bad.options["enableUnifiedMargin"] = True, False
        c2 = Checker(bad)
        return expect_error(c2, lambda: bad.fetch_balance(), 10004, ccxt.AuthenticationError)

    c.check("wrong secret → AuthenticationError", wrong_secret)

    def stale_timestamp():
        # ccxt signs with nonce() = now - timeDifference: 20 s behind, past the 5 s recv window.
        late = loopback_exchange(sim.root, cert=sim.cert)
        late.markets, late.markets_by_id = ex.markets, ex.markets_by_id
        late.options["enableUnifiedAccount"], late.options["enableUnifiedMargin"] = True, False
        late.options["timeDifference"] = 20000
        return expect_error(Checker(late), lambda: late.fetch_balance(), 10002, ccxt.InvalidNonce)

    c.check("timestamp 20 s behind → InvalidNonce", stale_timestamp)

    def all_loopback():
        hosts = {urllib.parse.urlsplit(t["url"]).netloc for t in ex.trace}
        require(hosts == {urllib.parse.urlsplit(sim.root).netloc}, f"hosts {hosts}")
        private = [t for t in ex.trace if "X-BAPI-SIGN" in t["request_headers"]]
        for t in private:
            verify_signature(t)
        foreign = sorted({t["path"] for t in ex.trace if not t["path"].startswith("/v5/")})
        require(not foreign, f"non-/v5 calls: {foreign}")
        posts = [t for t in private if t["method"] == "POST"]
        for t in posts:
            h = {k.lower(): v for k, v in t["request_headers"].items()}
            require(h.get("content-type", "").startswith("application/json"),
                    f"POST {t['path']} content-type {h.get('content-type')}")
            json.loads(t["request_body"])  # the signed bytes are the JSON body as sent
        referers = sorted({str({k.lower(): v for k, v in t["request_headers"].items()}.get("referer"))
                           for t in posts})
        return (f"{len(ex.trace)} requests to {sim.root}/v5/…, {len(private)} signed, every signature "
                f"checked against the bytes sent; POST Referer header(s): {referers}")

    c.check("every request stayed on the simulator and was signed as sent", all_loopback)
    return c, ex


def run_tls(binary):
    sim = Sim(binary, ["--venue", "bybit", "--tls", "--tick-ms", "0"], start_timeout=20)
    try:
        ex = loopback_exchange(sim.root, cert=sim.cert)
        c = Checker(ex, "TLS ")

        def over_tls():
            require(sim.root.startswith("https://"), f"root {sim.root}")
            ex.load_markets()
            b = ex.fetch_balance()
            o = ex.create_order(SYMBOL, "limit", "buy", 0.001, 30000.0)
            ex.cancel_order(o["id"], SYMBOL)
            return f"{sim.root}: markets, balance USDT {b['USDT']['total']}, create and cancel"

        c.check("ccxt over https (trusting only the simulator's certificate)", over_tls)
        return c
    finally:
        sim.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rampart", default=os.environ.get("RAMPART_BIN", str(REPO / "target/debug/rampart")))
    ap.add_argument("--timeout", type=float, default=float(os.environ.get("CCXT_CHECK_TIMEOUT", 120)))
    ap.add_argument("--tls", action="store_true", help="accepted for run.sh; the TLS check always runs")
    ap.add_argument("--verbose", action="store_true", help="print every request")
    args, _ = ap.parse_known_args()

    def watchdog():
        print(f"FAIL overall timeout — the checks did not finish within {args.timeout:.0f}s", flush=True)
        print("ccxt: 0 passed, 1 failed", flush=True)
        os._exit(1)

    timer = threading.Timer(args.timeout, watchdog)
    timer.daemon = True
    timer.start()
    print(f"ccxt {ccxt.__version__}, simulator {args.rampart} --venue bybit", flush=True)
    if not Path(args.rampart).is_file():
        print(f"FAIL start simulator — {args.rampart} does not exist (cargo build -p rampart-cli)")
        print("ccxt: 0 passed, 1 failed")
        return 1
    passed = failed = 0
    sim = None
    try:
        sim = Sim(args.rampart, ["--venue", "bybit", "--tick-ms", "0"], start_timeout=20)
        c, ex = run_checks(sim)
        passed, failed = c.passed, c.failed
        if args.verbose:
            for t in ex.trace:
                print(f"  {t['method']} {t['path']}?{t['query']} {short(t.get('request_body') or '', 120)} → "
                      f"{t.get('status')} {short(t.get('body'), 200)}")
    except Exception as e:  # noqa: BLE001
        print(f"FAIL start simulator — {short(e, 600)}")
        failed += 1
    finally:
        if sim is not None:
            sim.stop()
    try:
        c = run_tls(args.rampart)
        passed, failed = passed + c.passed, failed + c.failed
    except Exception as e:  # noqa: BLE001
        print(f"FAIL TLS simulator — {short(e, 600)}")
        failed += 1
    timer.cancel()
    print(f"ccxt: {passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
