#!/usr/bin/env python3
"""Drive Rampart's OKX v5 simulator with a third-party client: ccxt's `okx` (REST).

Starts `rampart sim --venue okx --listen 127.0.0.1:0 --api-key K --api-secret S --passphrase P`,
points ccxt's OKX REST URL at it (every request is checked to stay on loopback before it is
sent) and exercises ccxt's unified methods with ccxt's own signing. One line per check ("ok …"
or "FAIL …"), then exactly one line `ccxt: N passed, M failed`; exit status 1 when M > 0.

Usage:
    python3 tests/ccxt/check_okx.py [--rampart PATH] [--tls] [--timeout S] [--verbose]

What ccxt 4.5.90's okx calls (ccxt/okx.py):
  fetch_time            GET /api/v5/public/time
  load_markets          GET /api/v5/public/instruments?instType=SPOT|FUTURES|SWAP, OPTION per
                        underlying (uly=BTC-USD, ETH-USD), then GET /api/v5/asset/currencies
                        (signed, since a key is set)
  fetch_ticker          GET /api/v5/market/ticker
  fetch_order_book      GET /api/v5/market/books
  fetch_ohlcv           GET /api/v5/market/candles
  fetch_balance         GET /api/v5/account/balance
  set_leverage          POST /api/v5/account/set-leverage
  create_order          POST /api/v5/trade/batch-orders (a batch of one, ccxt's default
                        options.createOrder); without a clOrdId ccxt adds its broker's:
                        clOrdId = '6b9ad766b55dBCDE' + 16 hex digits, tag = '6b9ad766b55dBCDE'
  fetch_order           GET /api/v5/trade/order
  fetch_open_orders     GET /api/v5/trade/orders-pending
  cancel_order          POST /api/v5/trade/cancel-order
  cancel_orders         POST /api/v5/trade/cancel-batch-orders (okx has no cancelAllOrders)
  cancel_all_orders_after POST /api/v5/trade/cancel-all-after
  fetch_positions       GET /api/v5/account/positions
"""

import argparse
import json
import os
import re
import sys
import threading
import urllib.parse
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ccxt  # noqa: E402
from check_binance_usdm import (  # noqa: E402
    API_KEY, API_SECRET, LOOPBACK, REPO, Checker, Sim, require, short)

PASSPHRASE = "ccxtCheck-Pass1"
S = "BTC/USDT:USDT"
BROKER = "6b9ad766b55dBCDE"

# The simulator's contracts with OKX's rules (crates/rampart-sim/src/okx/instruments.rs).
EXPECTED_MARKETS = {
    "BTC/USDT:USDT": {"id": "BTC-USDT-SWAP", "tick": "0.1", "lot": "0.01", "ctVal": "0.01", "linear": True},
    "ETH/USDT:USDT": {"id": "ETH-USDT-SWAP", "tick": "0.01", "lot": "0.01", "ctVal": "0.1", "linear": True},
    "SOL/USDT:USDT": {"id": "SOL-USDT-SWAP", "tick": "0.01", "lot": "0.01", "ctVal": "1", "linear": True},
    "BTC/USD:BTC": {"id": "BTC-USD-SWAP", "tick": "0.1", "lot": "1", "ctVal": "100", "linear": False},
}


def dec(x):
    return Decimal(str(x))


def sim_args(tls):
    return ["--venue", "okx", "--passphrase", PASSPHRASE, "--tick-ms", "250"] + (["--tls"] if tls else [])


def loopback_exchange(root, api_key=API_KEY, secret=API_SECRET, password=PASSPHRASE, cert=None):
    """ccxt.okx with its REST URL on the simulator and no other host reachable."""

    class LoopbackOkx(ccxt.okx):
        def __init__(self, config):
            super().__init__(config)
            self.urls["api"]["rest"] = root
            self.session.trust_env = False
            self.trace = []

        def fetch(self, url, method="GET", headers=None, body=None):
            host = urllib.parse.urlsplit(url).hostname
            if host not in LOOPBACK:
                raise AssertionError(f"ccxt tried to reach a non-loopback host: {method} {url}")
            return super().fetch(url, method, headers, body)

        def on_rest_response(self, code, reason, url, method, headers, body, req_headers, req_body):
            self.trace.append({"status": int(code), "method": method,
                               "path": urllib.parse.urlsplit(url).path, "body": body,
                               "headers": dict(headers), "url": url, "request_body": req_body,
                               "request_headers": dict(req_headers or {})})
            return super().on_rest_response(code, reason, url, method, headers, body,
                                             req_headers, req_body)

    ex = LoopbackOkx({
        "apiKey": api_key,
        "secret": secret,
        "password": password,
        "enableRateLimit": False,
        "timeout": 10000,
        "options": {"defaultType": "swap", "adjustForTimeDifference": False},
    })
    if root.startswith("https://"):
        ex.verify = cert
        ex.validateServerSsl = cert
    return ex


def expect_error(fn, code, expected_cls, ex):
    """fn() must raise expected_cls, and the simulator's answer must carry OKX `code` (as the
    envelope's code or an order's sCode)."""
    since = len(ex.trace)
    try:
        fn()
    except ccxt.BaseError as e:
        bodies = [t["body"] or "" for t in ex.trace[since:]]
        codes = set()
        for b in bodies:
            try:
                j = json.loads(b)
            except ValueError:
                continue
            codes.add(j.get("code"))
            for d in j.get("data") or []:
                if isinstance(d, dict) and d.get("sCode"):
                    codes.add(d.get("sCode"))
        status = ex.trace[-1]["status"] if len(ex.trace) > since else None
        require(code in codes, f"expected OKX code {code}, simulator answered HTTP {status} {short(bodies[-1] if bodies else '', 200)}")
        require(isinstance(e, expected_cls),
                f"code {code} raised ccxt.{type(e).__name__}, expected ccxt.{expected_cls.__name__}: {short(e, 160)}")
        return f"HTTP {status} code {code} → ccxt.{type(e).__name__}"
    raise AssertionError(f"no error: expected code {code} / ccxt.{expected_cls.__name__}")


def last_request(ex, method, path):
    for t in reversed(ex.trace):
        if t["method"] == method and t["path"] == path:
            return t
    raise AssertionError(f"no {method} {path} request was made")


def sent_order(ex):
    """The body of ccxt's last order request: create_order sends a one-order batch."""
    t = last_request(ex, "POST", "/api/v5/trade/batch-orders")
    body = json.loads(t["request_body"])
    require(isinstance(body, list) and len(body) == 1, f"batch body {body}")
    return body[0]


def run_checks(sim, holder):
    ex = loopback_exchange(sim.root, cert=sim.cert)
    c = Checker(ex, allow_missing=False)
    holder["checker"] = c
    state = {}

    def fetch_time():
        t = ex.fetch_time()
        now = ex.milliseconds()
        require(abs(t - now) < 5000, f"server time {t} vs local {now}")
        return f"server time {t}"

    c.check("fetch_time", fetch_time)

    def load_markets():
        markets = ex.load_markets()
        for sym, want in EXPECTED_MARKETS.items():
            m = markets.get(sym)
            require(m is not None, f"{sym} not loaded; got {sorted(markets)[:10]}")
            require(m["id"] == want["id"], f"{sym} id {m['id']}")
            require(dec(m["precision"]["price"]) == dec(want["tick"]), f"{sym} price precision {m['precision']['price']}")
            require(dec(m["precision"]["amount"]) == dec(want["lot"]), f"{sym} amount precision {m['precision']['amount']}")
            require(dec(m["contractSize"]) == dec(want["ctVal"]), f"{sym} contractSize {m['contractSize']}")
            require(m["linear"] == want["linear"], f"{sym} linear {m['linear']}")
        futures = [s for s, m in markets.items() if m["type"] == "future"]
        require(len(futures) == 2, f"futures {futures}")
        require(all(re.fullmatch(r"BTC/USDT:USDT-\d{6}", s) for s in futures), f"futures {futures}")
        return f"{len(markets)} markets; futures {', '.join(sorted(futures))}"

    if not c.check("load_markets (tickSz/lotSz/ctVal = instruments)", load_markets):
        return c, ex

    def fetch_ticker():
        t = ex.fetch_ticker(S)
        require(t["bid"] and t["ask"] and t["ask"] > t["bid"], f"bid {t['bid']} ask {t['ask']}")
        require(t["last"], f"last {t['last']}")
        return f"last {t['last']} bid {t['bid']} ask {t['ask']}"

    c.check("fetch_ticker", fetch_ticker)

    def fetch_order_book():
        ob = ex.fetch_order_book(S, 5)
        require(len(ob["bids"]) == 5 and len(ob["asks"]) == 5, f"{len(ob['bids'])} bids {len(ob['asks'])} asks")
        require(ob["bids"][0][0] < ob["asks"][0][0], "crossed book")
        state["bid"] = dec(ob["bids"][0][0])
        return f"best {ob['bids'][0]} / {ob['asks'][0]}"

    c.check("fetch_order_book", fetch_order_book)

    def fetch_ohlcv():
        rows = ex.fetch_ohlcv(S, "1m", limit=10)
        require(len(rows) == 10, f"{len(rows)} candles")
        require(all(rows[i][0] < rows[i + 1][0] for i in range(9)), "not oldest first")
        rows5 = ex.fetch_ohlcv(S, "5m", limit=3)
        require(len(rows5) == 3 and rows5[1][0] - rows5[0][0] == 300_000, f"5m {rows5}")
        return f"10 × 1m, 3 × 5m; last close {rows[-1][4]}"

    c.check("fetch_ohlcv", fetch_ohlcv)

    def fetch_balance():
        b = ex.fetch_balance()
        usdt = b.get("USDT") or {}
        require(dec(usdt.get("total") or 0) == dec(100000), f"USDT {usdt}")
        require(dec((b.get("BTC") or {}).get("total") or 0) == dec(1), f"BTC {b.get('BTC')}")
        return f"USDT total {usdt['total']} free {usdt['free']}"

    c.check("fetch_balance", fetch_balance)

    def set_leverage():
        ex.set_leverage(5, S, {"marginMode": "cross"})
        info = ex.privateGetAccountLeverageInfo({"instId": "BTC-USDT-SWAP", "mgnMode": "cross"})
        require(info["data"][0]["lever"] == "5", f"leverage-info {info}")
        return "lever 5 (cross), read back by leverage-info"

    c.check("set_leverage", set_leverage)

    far = float(state.get("bid", Decimal(60000)) * Decimal("0.8"))

    def create_limit():
        o = ex.create_order(S, "limit", "buy", 1, far, {"clientOrderId": "ccxtcheck1"})
        sent = sent_order(ex)
        require(sent.get("clOrdId") == "ccxtcheck1" and "tag" not in sent, f"ccxt sent {sent}")
        require(sent.get("tdMode") == "cross" and sent.get("ordType") == "limit", f"ccxt sent {sent}")
        require(o["id"] and o["clientOrderId"] == "ccxtcheck1", f"order {o['id']} {o['clientOrderId']}")
        state["limit_id"] = o["id"]
        return f"order {o['id']}: sent {sent}"

    c.check("create_order limit (clientOrderId)", create_limit)

    def broker_id():
        o = ex.create_order(S, "limit", "buy", 0.5, far)
        sent = sent_order(ex)
        cl = sent.get("clOrdId", "")
        require(re.fullmatch(BROKER + r"[0-9a-f]{16}", cl), f"ccxt's clOrdId {cl!r}")
        require(sent.get("tag") == BROKER, f"ccxt's tag {sent.get('tag')!r}")
        raw = ex.privateGetTradeOrder({"instId": "BTC-USDT-SWAP", "ordId": o["id"]})["data"][0]
        require(raw["clOrdId"] == cl and raw["tag"] == BROKER, f"simulator kept {raw['clOrdId']} / {raw['tag']}")
        ex.cancel_order(o["id"], S)
        return f"ccxt injected clOrdId {cl} and tag {BROKER}; the simulator kept both"

    c.check("ccxt's broker clOrdId/tag (bytes sent and kept)", broker_id)

    def fetch_by_id():
        o = ex.fetch_order(state["limit_id"], S)
        require(o["status"] == "open" and dec(o["amount"]) == 1, f"{o['status']} {o['amount']}")
        return f"status {o['status']}, price {o['price']}"

    c.check("fetch_order by id", fetch_by_id)

    def fetch_by_cid():
        o = ex.fetch_order(None, S, {"clOrdId": "ccxtcheck1"})
        require(o["id"] == state["limit_id"], f"id {o['id']}")
        return "same order by clOrdId"

    c.check("fetch_order by clOrdId", fetch_by_cid)

    def fetch_open():
        orders = ex.fetch_open_orders(S)
        require([o["id"] for o in orders] == [state["limit_id"]], f"open {[o['id'] for o in orders]}")
        return "1 open order"

    c.check("fetch_open_orders", fetch_open)

    def duplicate():
        return expect_error(lambda: ex.create_order(S, "limit", "buy", 1, far, {"clientOrderId": "ccxtcheck1"}),
                            "51016", ccxt.InvalidOrder, ex)

    c.check("duplicate clOrdId refused", duplicate)

    def off_tick():
        # ccxt rounds prices to the tick itself: the implicit API sends one off the tick.
        body = {"instId": "BTC-USDT-SWAP", "tdMode": "cross", "side": "buy", "ordType": "limit",
                "sz": "1", "px": str(Decimal(int(far)) + Decimal("0.05"))}
        return expect_error(lambda: ex.privatePostTradeOrder(body), "51000", ccxt.BadRequest, ex)

    c.check("off-tick price refused", off_tick)

    def cancel():
        o = ex.cancel_order(state["limit_id"], S)
        after = ex.fetch_order(state["limit_id"], S)
        require(after["status"] == "canceled", f"status {after['status']}")
        return f"cancelled {o['id']}"

    c.check("cancel_order", cancel)

    def cancel_all():
        ids = [ex.create_order(S, "limit", "sell", 1, far * 1.5)["id"] for _ in range(3)]
        res = ex.cancel_orders(ids, S)
        require(len(res) == 3, f"answer {res}")
        left = ex.fetch_open_orders(S)
        require(not left, f"still open {[o['id'] for o in left]}")
        return "3 orders cancelled by cancel-batch-orders; none open"

    c.check("cancel all (cancel_orders)", cancel_all)

    def create_market():
        o = ex.create_order(S, "market", "buy", 1)
        final = ex.fetch_order(o["id"], S)
        require(final["status"] == "closed" and dec(final["filled"]) == 1, f"{final['status']} {final['filled']}")
        state["opened"] = True
        return f"filled 1 at {final['average']}"

    c.check("create_order market", create_market)

    def positions():
        ps = [p for p in ex.fetch_positions([S]) if p["contracts"]]
        require(len(ps) == 1, f"positions {ps}")
        p = ps[0]
        require(p["side"] == "long" and dec(p["contracts"]) == 1, f"{p['side']} {p['contracts']}")
        require(dec(p["contractSize"]) == dec("0.01"), f"contractSize {p['contractSize']}")
        return f"long {p['contracts']} @ {p['entryPrice']}, leverage {p['leverage']}"

    c.check("fetch_positions", positions)

    if state.get("opened"):
        def stop_loss():
            # A reduce-only stop on the long position: an algo order (ordType conditional).
            trigger = float(Decimal(int(far)))
            o = ex.create_order(S, "market", "sell", 1, None, {"stopLossPrice": trigger, "reduceOnly": True})
            sent = json.loads(last_request(ex, "POST", "/api/v5/trade/order-algo")["request_body"])
            require(sent.get("ordType") == "conditional" and sent.get("slOrdPx") == "-1", f"ccxt sent {sent}")
            require(dec(sent.get("slTriggerPx")) == dec(trigger), f"ccxt sent {sent}")
            require(o["id"], f"no algoId: {o}")
            waiting = ex.fetch_open_orders(S, None, None, {"trigger": True, "ordType": "conditional"})
            require([w["id"] for w in waiting] == [o["id"]], f"open algo orders {[w['id'] for w in waiting]}")
            require(dec(waiting[0]["stopLossPrice"]) == dec(trigger), f"stopLossPrice {waiting[0]['stopLossPrice']}")
            require(not ex.fetch_open_orders(S), "the stop is listed as a regular order")
            f = ex.fetch_order(o["id"], S, {"trigger": True})
            require(f["status"] == "open" and f["reduceOnly"], f"{f['status']} reduceOnly {f['reduceOnly']}")
            ex.cancel_order(o["id"], S, {"trigger": True})
            after = ex.fetch_order(o["id"], S, {"trigger": True})
            require(after["status"] == "canceled", f"status {after['status']}")
            return f"stop {o['id']} at {trigger}: listed, fetched, cancelled by cancel-algos"

        c.check("stop-loss algo order (create, fetch, cancel)", stop_loss)

        def stop_on_the_wrong_side():
            above = float(Decimal(int(far)) * 2)
            return expect_error(
                lambda: ex.create_order(S, "market", "sell", 1, None, {"stopLossPrice": above, "reduceOnly": True}),
                "51280", ccxt.InvalidOrder, ex)

        c.check("sell stop above the price refused", stop_on_the_wrong_side)

        def close_position():
            o = ex.create_order(S, "market", "sell", 1, None, {"reduceOnly": True})
            sent = sent_order(ex)
            require(sent.get("reduceOnly") is True, f"ccxt sent reduceOnly {sent.get('reduceOnly')!r}")
            require(ex.fetch_order(o["id"], S)["status"] == "closed", "not filled")
            ps = [p for p in ex.fetch_positions([S]) if p["contracts"]]
            require(not ps, f"still open {ps}")
            return "reduceOnly market sell filled; flat"

        c.check("close position (reduceOnly)", close_position)

    def dead_man():
        r = ex.cancel_all_orders_after(10000)
        data = r["data"][0] if isinstance(r, dict) and "data" in r else r
        trigger = int(data.get("triggerTime") or 0) if isinstance(data, dict) else 0
        require(trigger > 0, f"answer {r}")
        import time as _t
        _t.sleep(1.05)  # one request per second
        r0 = ex.cancel_all_orders_after(0)
        data0 = r0["data"][0] if isinstance(r0, dict) and "data" in r0 else r0
        require(str(data0.get("triggerTime")) == "0", f"answer {r0}")
        return f"armed (triggerTime {trigger}) and stopped"

    c.check("cancel_all_orders_after", dead_man)

    def wrong_secret():
        bad = loopback_exchange(sim.root, secret=API_SECRET[::-1], cert=sim.cert)
        bad.markets, bad.markets_by_id = ex.markets, ex.markets_by_id
        return expect_error(lambda: bad.fetch_balance(), "50113", ccxt.AuthenticationError, bad)

    c.check("wrong secret → AuthenticationError", wrong_secret)

    def wrong_passphrase():
        bad = loopback_exchange(sim.root, password="not-" + PASSPHRASE, cert=sim.cert)
        bad.markets, bad.markets_by_id = ex.markets, ex.markets_by_id
        return expect_error(lambda: bad.fetch_open_orders(S), "50105", ccxt.AuthenticationError, bad)

    c.check("wrong passphrase → AuthenticationError", wrong_passphrase)

    def stale_timestamp():
        # ccxt signs with nonce() = now - timeDifference: 45 s behind, past OKX's 30 s.
        late = loopback_exchange(sim.root, cert=sim.cert)
        late.markets, late.markets_by_id = ex.markets, ex.markets_by_id
        late.options["timeDifference"] = 45000
        return expect_error(lambda: late.fetch_balance(), "50102", ccxt.InvalidNonce, late)

    c.check("timestamp 45 s behind → InvalidNonce", stale_timestamp)

    def all_loopback():
        hosts = {urllib.parse.urlsplit(t["url"]).netloc for t in ex.trace}
        require(hosts == {urllib.parse.urlsplit(sim.root).netloc}, f"hosts {hosts}")
        foreign = sorted({t["path"] for t in ex.trace if not t["path"].startswith("/api/v5/")})
        require(not foreign, f"non-/api/v5 calls: {foreign}")
        statuses = sorted({t["status"] for t in ex.trace})
        return f"{len(ex.trace)} requests, all to {sim.root}/api/v5/… (HTTP {statuses})"

    c.check("every request stayed on the simulator's /api/v5", all_loopback)
    return c, ex


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rampart", default=os.environ.get("RAMPART_BIN", str(REPO / "target/debug/rampart")))
    ap.add_argument("--timeout", type=float, default=float(os.environ.get("CCXT_CHECK_TIMEOUT", 120)))
    ap.add_argument("--tls", action="store_true",
                    help="run `rampart sim --tls` and talk https, trusting only the printed CERT file")
    ap.add_argument("--verbose", action="store_true")
    args, _ = ap.parse_known_args()

    sim = None
    lock = threading.Lock()
    holder = {}

    def watchdog():
        with lock:
            print(f"FAIL overall timeout — the checks did not finish within {args.timeout:.0f}s", flush=True)
            if sim is not None:
                sim.stop()
            c = holder.get("checker")
            passed, failed = (c.passed, c.failed) if c else (0, 0)
            print(f"ccxt: {passed} passed, {failed + 1} failed", flush=True)
            os._exit(1)

    timer = threading.Timer(args.timeout, watchdog)
    timer.daemon = True
    timer.start()
    print(f"ccxt {ccxt.__version__} okx, simulator {args.rampart}", flush=True)
    checker = ex = None
    try:
        if not Path(args.rampart).is_file():
            print(f"FAIL start simulator — {args.rampart} does not exist (cargo build -p rampart-cli)")
            print("ccxt: 0 passed, 1 failed")
            return 1
        try:
            sim = Sim(args.rampart, sim_args(args.tls), start_timeout=20)
        except Exception as e:  # noqa: BLE001
            print(f"FAIL start simulator — {short(e, 600)}")
            print("ccxt: 0 passed, 1 failed")
            return 1
        print(f"simulator REST {sim.rest}" + (f" (trusting {sim.cert})" if sim.cert else ""), flush=True)
        checker, ex = run_checks(sim, holder)
    finally:
        with lock:
            timer.cancel()
            if sim is not None:
                sim.stop()
    if args.verbose and ex is not None:
        for t in ex.trace:
            print(f"  {t['method']} {t['path']} → {t['status']} {short(t['body'], 200)}")
        for line in sim.lines:
            print(f"  sim {line}")
    print(f"ccxt: {checker.passed} passed, {checker.failed} failed", flush=True)
    return 1 if checker.failed else 0


if __name__ == "__main__":
    sys.exit(main())
