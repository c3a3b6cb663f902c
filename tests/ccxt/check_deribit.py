#!/usr/bin/env python3
"""Drive Rampart's Deribit v2 simulator with a third-party client: ccxt's `deribit` (REST).

Starts `rampart sim --venue deribit --listen 127.0.0.1:0 --api-key ID --api-secret SECRET`,
points ccxt's Deribit REST URL at it (every request is checked to stay on loopback before it
is sent) and exercises ccxt's unified methods with ccxt's own `deri-hmac-sha256` signing on a
future and an option. One line per check ("ok …" or "FAIL …"), then exactly one line
`ccxt: N passed, M failed`; exit status 1 when M > 0.

Usage:
    python3 tests/ccxt/check_deribit.py [--rampart PATH] [--tls] [--timeout S] [--verbose]

What ccxt 4.5.90's deribit calls (ccxt/deribit.py), all GET with the parameters in the query:
  fetch_time            public/get_time
  load_markets          public/get_instruments (no currency: every instrument), then
                        public/get_currencies
  fetch_ticker          public/ticker
  fetch_order_book      public/get_order_book
  fetch_trades          public/get_last_trades_by_instrument
  fetch_balance         private/get_account_summaries (private/get_account_summary with code)
  create_order          private/buy, private/sell (amount, type, price, label…)
  edit_order            private/edit (order_id, amount, price)
  fetch_order           private/get_order_state
  fetch_open_orders     private/get_open_orders_by_currency (by_instrument with a symbol)
  cancel_order          private/cancel
  cancel_all_orders     private/cancel_all_by_instrument (with a symbol)
  fetch_positions       private/get_positions
A private request is signed as `deri-hmac-sha256 id=…,ts=…,sig=…,nonce=…` over
`ts\\nnonce\\nGET\\n/api/v2/private/…?query\\n\\n`; ccxt never sends a body.
"""

import argparse
import json
import os
import sys
import threading
import time
import urllib.parse
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ccxt  # noqa: E402
from check_binance_usdm import (  # noqa: E402
    API_KEY, API_SECRET, LOOPBACK, REPO, Checker, Sim, require, short)

PERP = "BTC/USD:BTC"


def dec(x):
    return Decimal(str(x))


def sim_args(tls):
    return ["--venue", "deribit", "--tick-ms", "250"] + (["--tls"] if tls else [])


def loopback_exchange(root, api_key=API_KEY, secret=API_SECRET, cert=None):
    """ccxt.deribit with its REST URL on the simulator and no other host reachable."""

    class LoopbackDeribit(ccxt.deribit):
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
                               "url": url, "request_headers": dict(req_headers or {})})
            return super().on_rest_response(code, reason, url, method, headers, body,
                                             req_headers, req_body)

    ex = LoopbackDeribit({
        "apiKey": api_key,
        "secret": secret,
        "enableRateLimit": False,
        "timeout": 10000,
    })
    if root.startswith("https://"):
        ex.verify = cert
        ex.validateServerSsl = cert
    return ex


def expect_error(fn, codes, expected_cls, ex):
    """fn() must raise expected_cls, and the simulator's answer must carry one of Deribit's
    `codes` in its JSON-RPC `error`."""
    since = len(ex.trace)
    try:
        fn()
    except ccxt.BaseError as e:
        bodies = [t["body"] or "" for t in ex.trace[since:]]
        got = set()
        for b in bodies:
            try:
                got.add((json.loads(b).get("error") or {}).get("code"))
            except (ValueError, AttributeError):
                continue
        status = ex.trace[-1]["status"] if len(ex.trace) > since else None
        require(got & set(codes), f"expected Deribit code {codes}, simulator answered HTTP {status} {short(bodies[-1] if bodies else '', 200)}")
        require(isinstance(e, expected_cls),
                f"{sorted(got)} raised ccxt.{type(e).__name__}, expected ccxt.{expected_cls.__name__}: {short(e, 160)}")
        return f"HTTP {status} code {sorted(c for c in got if c)} → ccxt.{type(e).__name__}"
    raise AssertionError(f"no error: expected code {codes} / ccxt.{expected_cls.__name__}")


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
        perp = markets.get(PERP)
        require(perp is not None, f"{PERP} not loaded; got {sorted(markets)[:10]}")
        require(perp["id"] == "BTC-PERPETUAL" and perp["swap"] and perp["inverse"], f"{perp['id']} {perp['type']}")
        require(dec(perp["precision"]["price"]) == dec("0.5"), f"tick {perp['precision']['price']}")
        require(dec(perp["contractSize"]) == 10, f"contractSize {perp['contractSize']}")
        futures = sorted(s for s, m in markets.items() if m["type"] == "future")
        options = sorted(s for s, m in markets.items() if m["type"] == "option")
        require(len(futures) == 2, f"futures {futures}")
        require(len(options) == 40, f"{len(options)} options")
        # The quarterly 60000 call of BTC: the expiry the dated future shares.
        quarter = [s for s in futures if s.startswith("BTC/")][0].split("-")[1]
        call = f"BTC/USD:BTC-{quarter}-60000-C"
        require(call in markets, f"{call} not among {options[:6]}…")
        m = markets[call]
        require(m["option"] and m["optionType"] == "call" and dec(m["strike"]) == 60000, f"{m['optionType']} {m['strike']}")
        require(dec(m["precision"]["price"]) == dec("0.0001"), f"option tick {m['precision']['price']}")
        require(dec(m["limits"]["amount"]["min"]) == dec("0.1"), f"option min {m['limits']['amount']['min']}")
        state["call"] = call
        return f"{len(markets)} markets: {len(futures)} futures, {len(options)} options ({call})"

    if not c.check("load_markets (options chain present)", load_markets):
        return c, ex
    call = state["call"]

    def fetch_ticker():
        t = ex.fetch_ticker(PERP)
        require(t["bid"] and t["ask"] and t["ask"] > t["bid"], f"bid {t['bid']} ask {t['ask']}")
        o = ex.fetch_ticker(call)
        info = o["info"]
        require(dec(info["mark_iv"]) > 0 and "greeks" in info, f"option ticker {short(info, 200)}")
        require(0.5 < float(info["greeks"]["delta"]) < 0.6, f"ATM delta {info['greeks']['delta']}")
        return f"{PERP} {t['bid']}/{t['ask']}; {call} mark {info['mark_price']} iv {info['mark_iv']} delta {info['greeks']['delta']}"

    c.check("fetch_ticker (future, option with greeks)", fetch_ticker)

    def fetch_order_book():
        ob = ex.fetch_order_book(PERP, 5)
        require(len(ob["bids"]) == 5 and len(ob["asks"]) == 5, f"{len(ob['bids'])} bids {len(ob['asks'])} asks")
        require(ob["bids"][0][0] < ob["asks"][0][0], "crossed book")
        state["bid"] = dec(ob["bids"][0][0])
        ob = ex.fetch_order_book(call, 5)
        require(ob["bids"] and ob["asks"], "empty option book")
        return f"best {ob['bids'][0]} / {ob['asks'][0]} ({call})"

    c.check("fetch_order_book", fetch_order_book)

    def fetch_balance():
        b = ex.fetch_balance()
        require(dec((b.get("BTC") or {}).get("total") or 0) == 10, f"BTC {b.get('BTC')}")
        require(dec((b.get("ETH") or {}).get("total") or 0) == 100, f"ETH {b.get('ETH')}")
        return f"BTC total {b['BTC']['total']} free {b['BTC']['free']}; ETH {b['ETH']['total']}"

    c.check("fetch_balance", fetch_balance)

    far = float((state.get("bid", Decimal(60000)) * Decimal("0.8")).quantize(Decimal(1)))

    def create_future():
        o = ex.create_order(PERP, "limit", "buy", 100, far, {"label": "ccxt-future"})
        require(o["id"] and o["id"].startswith("BTC-"), f"id {o['id']}")
        require(o["status"] == "open" and dec(o["amount"]) == 100, f"{o['status']} {o['amount']}")
        state["future_id"] = o["id"]
        return f"order {o['id']} at {far}"

    c.check("create_order limit (future)", create_future)

    def fetch_future():
        o = ex.fetch_order(state["future_id"], PERP)
        require(o["status"] == "open" and o["info"]["label"] == "ccxt-future", f"{o['status']} {o['info'].get('label')}")
        opened = ex.fetch_open_orders(PERP)
        require([x["id"] for x in opened] == [state["future_id"]], f"open {[x['id'] for x in opened]}")
        return f"status {o['status']}, 1 open"

    c.check("fetch_order / fetch_open_orders (future)", fetch_future)

    def edit_future():
        o = ex.edit_order(state["future_id"], PERP, "limit", "buy", 200, far + 0.5)
        after = ex.fetch_order(state["future_id"], PERP)
        require(dec(after["amount"]) == 200 and dec(after["price"]) == dec(far + 0.5), f"{after['amount']} @ {after['price']}")
        require(after["info"]["replaced"] is True, f"replaced {after['info'].get('replaced')}")
        return f"now {after['amount']} @ {after['price']} ({o['id']})"

    c.check("edit_order (future)", edit_future)

    def cancel_future():
        ex.cancel_order(state["future_id"], PERP)
        after = ex.fetch_order(state["future_id"], PERP)
        require(after["status"] == "canceled", f"status {after['status']}")
        return "canceled"

    c.check("cancel_order (future)", cancel_future)

    def market_future():
        o = ex.create_order(PERP, "market", "buy", 1000)
        final = ex.fetch_order(o["id"], PERP)
        require(final["status"] == "closed" and dec(final["filled"]) == 1000, f"{final['status']} {final['filled']}")
        return f"filled 1000 USD at {final['average']}"

    c.check("create_order market (future)", market_future)

    def fetch_trades():
        got = ex.fetch_trades(PERP, limit=5)
        require(got and all(t["symbol"] == PERP for t in got), f"{got}")
        require(any(t["side"] == "buy" and dec(t["price"]) > 0 for t in got), f"{[t['side'] for t in got]}")
        return f"{len(got)} trades, last {got[-1]['amount']} @ {got[-1]['price']}"

    c.check("fetch_trades (public tape)", fetch_trades)

    def option_orders():
        o = ex.create_order(call, "limit", "buy", 0.1, 0.0005, {"label": "ccxt-option"})
        require(o["status"] == "open", f"status {o['status']}")
        ex.edit_order(o["id"], call, "limit", "buy", 0.2, 0.001)
        after = ex.fetch_order(o["id"], call)
        require(dec(after["amount"]) == dec("0.2") and dec(after["price"]) == dec("0.001"), f"{after['amount']} @ {after['price']}")
        ex.cancel_order(o["id"], call)
        require(ex.fetch_order(o["id"], call)["status"] == "canceled", "not canceled")
        return f"{o['id']}: created 0.1 @ 0.0005, edited to 0.2 @ 0.001, canceled"

    c.check("create/edit/cancel (option)", option_orders)

    def option_premium():
        def balance():
            return dec(ex.privateGetGetAccountSummary({"currency": "BTC"})["result"]["balance"])

        before = balance()
        o = ex.create_order(call, "market", "buy", 0.5)
        final = ex.fetch_order(o["id"], call)
        require(final["status"] == "closed", f"status {final['status']}")
        paid = before - balance()
        premium = dec(final["average"]) * dec("0.5")
        # Deribit's option fee: 0.0003 BTC per BTC of underlying (under 12.5% of the premium).
        fee = dec("0.0003") * dec("0.5")
        require(paid == premium + fee, f"paid {paid} for a premium of {premium} and a fee of {fee}")
        return f"bought 0.5 at {final['average']}: balance fell by {paid} (premium {premium} + fee {fee})"

    c.check("buying an option pays its premium", option_premium)

    def positions():
        ps = {p["symbol"]: p for p in ex.fetch_positions() if p["contracts"]}
        require(PERP in ps and call in ps, f"positions {sorted(ps)}")
        fut, opt = ps[PERP], ps[call]
        require(fut["side"] == "long", f"future side {fut['side']}")
        require(opt["side"] == "long" and dec(opt["contracts"]) == dec("0.5"), f"option {opt['side']} {opt['contracts']}")
        info = opt["info"]
        require(all(k in info for k in ("delta", "gamma", "vega", "theta")), f"greeks missing: {short(info, 200)}")
        return f"{PERP} long {fut['contracts']}; {call} long {opt['contracts']} delta {info['delta']} vega {info['vega']}"

    c.check("fetch_positions (future, option with greeks)", positions)

    def off_tick():
        # ccxt rounds prices to the tick itself: the implicit API sends one off the tick.
        return expect_error(lambda: ex.privateGetBuy({"instrument_name": "BTC-PERPETUAL", "amount": "10",
                                                      "type": "limit", "price": str(Decimal(int(far)) + Decimal("0.3"))}),
                            [10043], ccxt.InvalidOrder, ex)

    c.check("off-tick price → 10043 price_wrong_tick", off_tick)

    def option_off_step():
        # Above 0.005 an option's tick is 0.0005: 0.0051 is off it.
        return expect_error(lambda: ex.privateGetBuy({"instrument_name": ex.market(call)["id"], "amount": "0.1",
                                                      "type": "limit", "price": "0.0051"}),
                            [10043], ccxt.InvalidOrder, ex)

    c.check("option price off its stepped tick → 10043", option_off_step)

    def no_funds():
        return expect_error(lambda: ex.create_order(PERP, "limit", "buy", 9000000, far),
                            [10009], ccxt.InsufficientFunds, ex)

    c.check("too large → 10009 not_enough_funds", no_funds)

    def unknown_order():
        return expect_error(lambda: ex.fetch_order("BTC-1", PERP), [10004], ccxt.OrderNotFound, ex)

    c.check("unknown order → 10004 order_not_found", unknown_order)

    def wrong_secret():
        bad = loopback_exchange(sim.root, secret=API_SECRET[::-1], cert=sim.cert)
        bad.markets, bad.markets_by_id, bad.currencies = ex.markets, ex.markets_by_id, ex.currencies
        return expect_error(lambda: bad.fetch_balance(), [13009, 13004], ccxt.AuthenticationError, bad)

    c.check("wrong secret → AuthenticationError", wrong_secret)

    def unknown_key():
        bad = loopback_exchange(sim.root, api_key="not-" + API_KEY, cert=sim.cert)
        bad.markets, bad.markets_by_id, bad.currencies = ex.markets, ex.markets_by_id, ex.currencies
        return expect_error(lambda: bad.fetch_balance(), [13004], ccxt.AuthenticationError, bad)

    c.check("unknown client id → 13004 invalid_credentials", unknown_key)

    def expired_token():
        grant = ex.publicGetAuth({"grant_type": "client_credentials", "client_id": API_KEY,
                                  "client_secret": API_SECRET, "scope": "expires:1"})["result"]
        require(int(grant["expires_in"]) == 1, f"expires_in {grant['expires_in']}")
        url = sim.root + "/api/v2/private/get_account_summary?currency=BTC"
        bearer = {"Authorization": "Bearer " + grant["access_token"]}
        fresh = ex.fetch(url, "GET", dict(bearer))
        require(fresh["result"]["currency"] == "BTC", f"fresh token: {short(fresh, 120)}")
        time.sleep(1.3)
        return expect_error(lambda: ex.fetch(url, "GET", dict(bearer)), [13009], ccxt.AuthenticationError, ex)

    c.check("expired token → 13009 AuthenticationError", expired_token)

    def all_loopback():
        hosts = {urllib.parse.urlsplit(t["url"]).netloc for t in ex.trace}
        require(hosts == {urllib.parse.urlsplit(sim.root).netloc}, f"hosts {hosts}")
        foreign = sorted({t["path"] for t in ex.trace if not t["path"].startswith("/api/v2/")})
        require(not foreign, f"non-/api/v2 calls: {foreign}")
        signed = [t for t in ex.trace if t["path"].startswith("/api/v2/private/")]
        require(signed and all(t["request_headers"].get("Authorization", "").startswith(("deri-hmac-sha256 ", "Bearer "))
                               for t in signed), "a private request went out unsigned")
        statuses = sorted({t["status"] for t in ex.trace})
        return f"{len(ex.trace)} requests, all to {sim.root}/api/v2/… (HTTP {statuses})"

    c.check("every request stayed on the simulator's /api/v2", all_loopback)
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
    print(f"ccxt {ccxt.__version__} deribit, simulator {args.rampart}", flush=True)
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
