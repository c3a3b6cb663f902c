#!/usr/bin/env python3
"""Drive Rampart's Binance USDⓈ-M simulator with a third-party client: ccxt's `binanceusdm`.

Starts `rampart sim --listen 127.0.0.1:0 --api-key K --api-secret S`, points every one of ccxt's
Binance API base URLs at it (nothing can reach a non-loopback host: every request is checked
before it is sent), and exercises ccxt's unified methods with ccxt's own signing. One line per
check ("ok …", "FAIL …", or "skip …" for an endpoint the simulator does not serve yet when
--allow-missing is given), then exactly one line `ccxt: N passed, M failed`; exit status 1 when
M > 0.

Usage:
    python3 tests/ccxt/check_binance_usdm.py [--rampart PATH] [--allow-missing] [--tls]
                                             [--timeout S] [--sim-arg ARG]... [--verbose]
PATH defaults to $RAMPART_BIN, else <repo>/target/debug/rampart. --tls runs `rampart sim --tls`
and trusts only the certificate file the simulator prints as `CERT: <path>`.

A 404 (or 405) from the simulator means "endpoint not built yet": a FAIL, or a skip with
--allow-missing. ccxt's own behaviour is pinned by tests/ccxt/requirements.txt.

What ccxt 4.5.90's binanceusdm calls (ccxt/binance.py), with the options set below
(fetchMarkets types ['linear'], fetchCurrencies False, fetchMargins False):
  fetch_time            GET /fapi/v1/time
  load_markets          GET /fapi/v1/exchangeInfo
  fetch_mark_price,
  fetch_funding_rate    GET /fapi/v1/premiumIndex?symbol=
  fetch_order_book      GET /fapi/v1/depth
  fetch_ohlcv           GET /fapi/v1/klines
  fetch_balance         GET /fapi/v3/account (useV2: /fapi/v2/account)
  set_leverage          POST /fapi/v1/leverage
  create_order          POST /fapi/v1/order (newOrderRespType=RESULT, newClientOrderId);
                        with triggerPrice: POST /fapi/v1/algoOrder (algoType=CONDITIONAL)
  fetch_order           GET /fapi/v1/order (orderId or origClientOrderId)
  fetch_open_orders     GET /fapi/v1/openOrders?symbol=
  cancel_order          DELETE /fapi/v1/order
  cancel_all_orders     DELETE /fapi/v1/allOpenOrders?symbol=
  fetch_positions       GET /fapi/v1/leverageBracket (once, cached), then
                        GET /fapi/v3/positionRisk (useV2: /fapi/v2/positionRisk;
                        method=account: /fapi/v3/account)
Error codes become ccxt exceptions through ccxt's tables; the per-API table is chosen by host
(https://fapi.binance.com/ -> 'linear'), so the loopback /fapi URL is given the same table.
"""

import argparse
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import traceback
import urllib.parse
from decimal import Decimal
from pathlib import Path

import ccxt

REPO = Path(__file__).resolve().parents[2]
API_KEY = "ccxtCheckKey0123456789abcdefABCDEF0123456789abcdefABCDEF01234567"
API_SECRET = "ccxtCheckSecret0123456789abcdefABCDEF0123456789abcdefABCDEF0123"
SYMBOL = "BTC/USDT:USDT"
LOOPBACK = {"127.0.0.1", "::1", "localhost"}

# The simulator's instruments as its exchangeInfo publishes them (crates/rampart-sim, market.rs):
# tick and step are what the brief pins; load_markets must give exactly these.
EXPECTED_MARKETS = {
    "BTC/USDT:USDT": {"id": "BTCUSDT", "tick": "0.1", "step": "0.001"},
    "ETH/USDT:USDT": {"id": "ETHUSDT", "tick": "0.01", "step": "0.001"},
    "SOL/USDT:USDT": {"id": "SOLUSDT", "tick": "0.01", "step": "0.01"},
}

# Response fields Binance documents for each endpoint (developers.binance.com, USDⓈ-M futures
# "Response Example" sections), limited to fields that are always present. A field missing here
# is a protocol difference even when ccxt copes with it.
ORDER_FIELDS = [
    "avgPrice", "clientOrderId", "cumQuote", "executedQty", "orderId", "origQty", "origType",
    "price", "reduceOnly", "side", "positionSide", "status", "stopPrice", "closePosition",
    "symbol", "timeInForce", "type", "updateTime", "workingType", "priceProtect", "priceMatch",
    "selfTradePreventionMode", "goodTillDate",
]
DOC_FIELDS = {
    "POST /fapi/v1/order": ORDER_FIELDS + ["cumQty"],
    "GET /fapi/v1/order": ORDER_FIELDS + ["time"],
    "DELETE /fapi/v1/order": ORDER_FIELDS + ["cumQty"],
    "GET /fapi/v1/openOrders": ORDER_FIELDS + ["time"],
    "GET /fapi/v1/premiumIndex": [
        "symbol", "markPrice", "indexPrice", "estimatedSettlePrice", "lastFundingRate",
        "interestRate", "nextFundingTime", "time",
    ],
    "GET /fapi/v1/depth": ["lastUpdateId", "E", "T", "bids", "asks"],
    "POST /fapi/v1/leverage": ["leverage", "maxNotionalValue", "symbol"],
    "GET /fapi/v3/account": [
        "totalInitialMargin", "totalMaintMargin", "totalWalletBalance", "totalUnrealizedProfit",
        "totalMarginBalance", "totalPositionInitialMargin", "totalOpenOrderInitialMargin",
        "totalCrossWalletBalance", "totalCrossUnPnl", "availableBalance", "maxWithdrawAmount",
        "assets", "positions",
    ],
    "GET /fapi/v3/account assets[]": [
        "asset", "walletBalance", "unrealizedProfit", "marginBalance", "maintMargin",
        "initialMargin", "positionInitialMargin", "openOrderInitialMargin", "crossWalletBalance",
        "crossUnPnl", "availableBalance", "maxWithdrawAmount", "updateTime",
    ],
    "GET /fapi/v3/account positions[]": [
        "symbol", "positionSide", "positionAmt", "unrealizedProfit", "isolatedMargin", "notional",
        "isolatedWallet", "initialMargin", "maintMargin", "updateTime",
    ],
    "GET /fapi/v2/account": [
        "feeTier", "feeBurn", "canTrade", "canDeposit", "canWithdraw", "updateTime",
        "multiAssetsMargin", "tradeGroupId",
        "totalInitialMargin", "totalMaintMargin", "totalWalletBalance", "totalUnrealizedProfit",
        "totalMarginBalance", "totalPositionInitialMargin", "totalOpenOrderInitialMargin",
        "totalCrossWalletBalance", "totalCrossUnPnl", "availableBalance", "maxWithdrawAmount",
        "assets", "positions",
    ],
    "GET /fapi/v3/positionRisk": [
        "symbol", "positionSide", "positionAmt", "entryPrice", "breakEvenPrice", "markPrice",
        "unRealizedProfit", "liquidationPrice", "isolatedMargin", "notional", "marginAsset",
        "isolatedWallet", "initialMargin", "maintMargin", "positionInitialMargin",
        "openOrderInitialMargin", "adl", "bidNotional", "askNotional", "updateTime",
    ],
    "GET /fapi/v2/positionRisk": [
        "entryPrice", "breakEvenPrice", "marginType", "isAutoAddMargin", "isolatedMargin",
        "leverage", "liquidationPrice", "markPrice", "maxNotionalValue", "positionAmt",
        "notional", "isolatedWallet", "symbol", "unRealizedProfit", "positionSide", "updateTime",
    ],
    "GET /fapi/v1/leverageBracket": ["symbol", "brackets"],
    "GET /fapi/v1/leverageBracket brackets[]": [
        "bracket", "initialLeverage", "notionalCap", "notionalFloor", "maintMarginRatio", "cum",
    ],
}


class Missing(Exception):
    """The simulator answered 404/405: the endpoint is not built yet."""


class Sim:
    """`rampart sim` as a child process: started, its URLs parsed, always stopped."""

    def __init__(self, binary, extra_args, start_timeout):
        self.proc = None
        self.lines = []
        self.binary = binary
        cmd = [str(binary), "sim", "--listen", "127.0.0.1:0",
               "--api-key", API_KEY, "--api-secret", API_SECRET] + extra_args
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, start_new_session=True)
        self._q = queue.Queue()
        threading.Thread(target=self._pump, args=(self.proc.stdout, "stdout"), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.proc.stderr, "stderr"), daemon=True).start()
        self.rest = self.ws = self.cert = None
        deadline = time.monotonic() + start_timeout
        settle = None  # after REST:, the other lines (WS:, CERT:) for up to 2 s or "Press Ctrl+C"
        while True:
            now = time.monotonic()
            if self.rest is None and now >= deadline:
                raise RuntimeError(f"no 'REST:' line within {start_timeout}s; output: {self.lines}")
            if settle is not None and now >= settle:
                break
            try:
                stream, line = self._q.get(timeout=0.2)
            except queue.Empty:
                if self.proc.poll() is not None:
                    raise RuntimeError(
                        f"rampart sim exited with {self.proc.returncode}: {self.lines}")
                continue
            if stream != "stdout":
                continue
            m = re.match(r"\s*(REST|WS|CERT):\s*(\S+)", line)
            if m and m.group(1) == "REST":
                self.rest = m.group(2).rstrip("/")
                settle = time.monotonic() + 2
            elif m and m.group(1) == "WS":
                self.ws = m.group(2)
            elif m and m.group(1) == "CERT":
                self.cert = m.group(2)
            if self.rest is not None and "Ctrl+C" in line:
                break
        u = urllib.parse.urlsplit(self.rest)
        if u.hostname not in LOOPBACK:
            raise RuntimeError(f"simulator REST URL {self.rest} is not loopback")
        if u.scheme == "https" and not self.cert:
            raise RuntimeError("simulator serves https but printed no 'CERT:' line to trust")
        self.root = f"{u.scheme}://{u.netloc}"

    def _pump(self, stream, name):
        for line in stream:
            line = line.rstrip("\n")
            self.lines.append(f"{name}: {line}")
            self._q.put((name, line))

    def stop(self):
        """SIGINT (the simulator stops on Ctrl+C), then SIGKILL; bounded waits."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGINT)
            self.proc.wait(timeout=5)
        except (subprocess.TimeoutExpired, ProcessLookupError, PermissionError):
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass


def loopback_exchange(root, api_key=API_KEY, secret=API_SECRET, cert=None, **options):
    """ccxt.binanceusdm with every API base URL on the simulator and no other host reachable."""

    class LoopbackBinanceUsdm(ccxt.binanceusdm):
        def __init__(self, config):
            super().__init__(config)
            # Every Binance API family ccxt knows (fapi*, also sapi/api/dapi/eapi/papi that
            # must never be called) is re-rooted on the simulator, path kept: an unexpected
            # call then shows up as a 404 from the simulator instead of leaving the machine.
            for name, url in list(self.urls["api"].items()):
                path = urllib.parse.urlsplit(url).path
                self.urls["api"][name] = root + path
            self.session.trust_env = False  # no HTTP(S)_PROXY for loopback
            self.trace = []

        def fetch(self, url, method="GET", headers=None, body=None):
            host = urllib.parse.urlsplit(url).hostname
            if host not in LOOPBACK:
                raise AssertionError(f"ccxt tried to reach a non-loopback host: {method} {url}")
            return super().fetch(url, method, headers, body)

        def on_rest_response(self, code, reason, url, method, headers, body, req_headers, req_body):
            self.trace.append({"status": int(code), "method": method,
                               "path": urllib.parse.urlsplit(url).path, "body": body,
                               "headers": dict(headers), "url": url, "request_body": req_body})
            return super().on_rest_response(code, reason, url, method, headers, body,
                                             req_headers, req_body)

        def get_exceptions_by_url(self, url, exact_or_broad):
            # ccxt picks its per-API error table from the host (https://fapi.binance.com/ →
            # 'linear'); the simulator is that host on loopback, so use the same table.
            if url is not None and url.startswith(root + "/fapi/"):
                return self.safe_dict(self.exceptions.get("linear", {}), exact_or_broad, {})
            return super().get_exceptions_by_url(url, exact_or_broad)

    config = {
        "apiKey": api_key,
        "secret": secret,
        "enableRateLimit": False,
        "timeout": 10000,
        "options": {
            "defaultType": "swap",
            "fetchMarkets": {"types": ["linear"]},  # only GET /fapi/v1/exchangeInfo
            "fetchCurrencies": False,  # else GET /sapi/v1/capital/config/getall
            "fetchMargins": False,  # else GET /sapi/v1/margin/allPairs (spot only, but be sure)
            "adjustForTimeDifference": False,
            "warnOnFetchOpenOrdersWithoutSymbol": False,
        },
    }
    config["options"].update(options)
    ex = LoopbackBinanceUsdm(config)
    if root.startswith("https://"):
        # Trust exactly the simulator's self-signed certificate (its CERT: line). ccxt passes
        # `verify=self.verify and self.validateServerSsl` to requests: both must be the path.
        ex.verify = cert
        ex.validateServerSsl = cert
    return ex


class Checker:
    def __init__(self, ex, allow_missing):
        self.ex = ex
        self.allow_missing = allow_missing
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.notes = []
        self.pending_shapes = []
        self.shapes_done = set()

    def _say(self, line):
        print(line, flush=True)

    def ok(self, name, detail=""):
        self.passed += 1
        self._say(f"ok {name}" + (f" — {detail}" if detail else ""))

    def fail(self, name, detail):
        self.failed += 1
        self._say(f"FAIL {name} — {detail}")

    def missing_in_trace(self, since):
        for t in self.ex.trace[since:]:
            if t["status"] in (404, 405):
                return f"{t['method']} {t['path']} → {t['status']} (not served by the simulator)"
        return None

    def shape(self, key, obj, prefix=""):
        """Queues a check that `obj` has every field Binance documents for `key` (one line per
        endpoint, the first time it is seen, after the functional check that fetched it)."""
        self.pending_shapes.append((key, obj, prefix))

    def _run_shapes(self):
        pending, self.pending_shapes = self.pending_shapes, []
        by_endpoint = {}
        for key, obj, prefix in pending:
            if key in self.shapes_done:
                continue
            self.shapes_done.add(key)
            endpoint = " ".join(key.split(" ")[:2])
            if key.endswith("positions[]"):
                endpoint = key
            by_endpoint.setdefault(endpoint, []).append((key, obj, prefix))
        for endpoint, items in by_endpoint.items():
            missing, n = [], 0
            for key, obj, prefix in items:
                n += len(DOC_FIELDS[key])
                missing += [prefix + f for f in missing_fields(obj, key)]
            if missing:
                self.fail(f"fields {endpoint}", f"lacks documented response fields {missing}")
            else:
                self.ok(f"fields {endpoint}", f"all {n} documented response fields present")

    def check(self, name, fn, optional=False):
        """Runs fn(); its return value is the detail. optional: a 404/405 may be skipped."""
        try:
            return self._check(name, fn, optional)
        finally:
            self._run_shapes()

    def _check(self, name, fn, optional):
        since = len(self.ex.trace)
        try:
            detail = fn()
        except Exception as e:  # noqa: BLE001 — every failure becomes one FAIL line
            missing = self.missing_in_trace(since)
            if missing:
                if optional and self.allow_missing:
                    self.skipped += 1
                    self._say(f"skip {name} — {missing}")
                else:
                    self.fail(name, missing)
                return None
            if isinstance(e, AssertionError):
                self.fail(name, str(e))
            else:
                where = traceback.extract_tb(e.__traceback__)[-1]
                self.fail(name, f"{type(e).__name__}: {short(str(e))} (at line {where.lineno})")
            return None
        self.ok(name, detail or "")
        return True

    def raw(self, method, path, since=0):
        """The JSON body of the last `method path` response in the trace."""
        for t in reversed(self.ex.trace[since:]):
            if t["method"] == method and t["path"] == path:
                return json.loads(t["body"]) if t["body"] else None
        raise AssertionError(f"no {method} {path} request was made")


def short(text, n=300):
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[:n] + "…"


def missing_fields(obj, key):
    if not isinstance(obj, dict):
        return [f"(not an object: {short(json.dumps(obj), 80)})"]
    return [f for f in DOC_FIELDS[key] if f not in obj]


def require(cond, message):
    if not cond:
        raise AssertionError(message)


def dec(x):
    return Decimal(str(x))


def on_grid(value, tick):
    return (dec(value) / dec(tick)) % 1 == 0


def expect_error(fn, code, expected_cls, ex):
    """fn() must raise expected_cls and the simulator's body must carry Binance `code`."""
    since = len(ex.trace)
    try:
        fn()
    except ccxt.BaseError as e:
        bodies = [t["body"] or "" for t in ex.trace[since:]]
        got_code = None
        for b in bodies:
            try:
                got_code = json.loads(b).get("code")
            except (ValueError, AttributeError):
                pass
        status = ex.trace[-1]["status"] if len(ex.trace) > since else None
        require(got_code == code,
                f"expected Binance code {code}, simulator answered HTTP {status} {short(bodies[-1] if bodies else '', 160)}")
        require(isinstance(e, expected_cls),
                f"code {code} raised ccxt.{type(e).__name__}, expected ccxt.{expected_cls.__name__}: {short(e, 160)}")
        return f"HTTP {status} code {code} → ccxt.{type(e).__name__}"
    raise AssertionError(f"no error: expected code {code} / ccxt.{expected_cls.__name__}")


def explain_missing_usdt(usdt, raw, endpoint):
    """ccxt (since ccxt#29108, for ccxt#27997) drops futures assets whose updateTime is 0:
    Binance sends those rows for assets the account never used. Say so when that is why."""
    if usdt.get("total") is not None:
        return
    rows = [a for a in (raw or {}).get("assets", []) if a.get("asset") == "USDT"]
    if rows and str(rows[0].get("updateTime")) == "0":
        raise AssertionError(
            f"ccxt shows no USDT: {endpoint} assets[USDT] has walletBalance {rows[0].get('walletBalance')} "
            "but updateTime 0, which Binance sends only for never-used assets (ccxt skips those rows); "
            "a funded asset carries the time of its last balance change")


def ccxt_class_for(ex, code):
    """The exception class ccxt raises for this Binance code from fapi.binance.com."""
    code = str(code)
    linear = ex.exceptions.get("linear", {}).get("exact", {})
    return linear.get(code) or ex.exceptions["exact"].get(code) or ccxt.ExchangeError


def run_checks(sim, args, holder):
    ex = loopback_exchange(sim.root, cert=sim.cert)
    c = Checker(ex, args.allow_missing)
    holder["checker"] = c
    state = {"mark": None, "position_opened": False}
    S = SYMBOL

    # ---------------------------------------------------------------- public
    def fetch_time():
        t = ex.fetch_time()
        now = int(time.time() * 1000)
        require(isinstance(t, int), f"serverTime not an integer: {t!r}")
        require(abs(t - now) < 5000, f"serverTime {t} is {t - now} ms off the local clock")
        hdr = {k.lower(): v for k, v in ex.trace[-1]["headers"].items()}
        require("x-mbx-used-weight-1m" in hdr, "no X-MBX-USED-WEIGHT-1M header")
        return f"GET /fapi/v1/time serverTime {t} ({t - now:+d} ms), X-MBX-USED-WEIGHT-1M {hdr['x-mbx-used-weight-1m']}"

    c.check("fetch_time", fetch_time)

    def load_markets():
        since = len(ex.trace)
        markets = ex.load_markets()
        paths = sorted({f"{t['method']} {t['path']}" for t in ex.trace[since:]})
        require(paths == ["GET /fapi/v1/exchangeInfo"], f"load_markets called {paths}")
        info = c.raw("GET", "/fapi/v1/exchangeInfo")
        raw = {s["symbol"]: s for s in info["symbols"]}
        problems = []
        for sym, want in EXPECTED_MARKETS.items():
            if sym not in markets:
                problems.append(f"{sym} missing (have {sorted(markets)})")
                continue
            m = markets[sym]
            f = {x["filterType"]: x for x in raw[want["id"]]["filters"]}
            pf, ls, ml = f["PRICE_FILTER"], f["LOT_SIZE"], f.get("MARKET_LOT_SIZE", {})
            mn = f.get("MIN_NOTIONAL", {})
            expect = {
                "id": want["id"], "type": "swap", "linear": True, "settle": "USDT",
                "active": True, "contractSize": 1.0,
                "precision.price": dec(want["tick"]), "precision.amount": dec(want["step"]),
                "limits.price.min": dec(pf["minPrice"]), "limits.price.max": dec(pf["maxPrice"]),
                "limits.amount.min": dec(ls["minQty"]), "limits.amount.max": dec(ls["maxQty"]),
                "limits.market.min": dec(ml["minQty"]) if ml else None,
                "limits.market.max": dec(ml["maxQty"]) if ml else None,
                "limits.cost.min": dec(mn["notional"]) if "notional" in mn else None,
            }
            got = {
                "id": m["id"], "type": m["type"], "linear": m["linear"], "settle": m["settle"],
                "active": m["active"], "contractSize": m["contractSize"],
                "precision.price": dec(m["precision"]["price"]),
                "precision.amount": dec(m["precision"]["amount"]),
                "limits.price.min": dec(m["limits"]["price"]["min"]),
                "limits.price.max": dec(m["limits"]["price"]["max"]),
                "limits.amount.min": dec(m["limits"]["amount"]["min"]),
                "limits.amount.max": dec(m["limits"]["amount"]["max"]),
                "limits.market.min": dec(m["limits"]["market"]["min"]) if m["limits"].get("market") else None,
                "limits.market.max": dec(m["limits"]["market"]["max"]) if m["limits"].get("market") else None,
                "limits.cost.min": dec(m["limits"]["cost"]["min"]) if m["limits"]["cost"]["min"] is not None else None,
            }
            for k, v in expect.items():
                if got[k] != v:
                    problems.append(f"{sym} {k}: exchangeInfo/brief {v}, ccxt {got[k]}")
            # The raw filters must equal the brief's tick/step too.
            if dec(pf["tickSize"]) != dec(want["tick"]) or dec(ls["stepSize"]) != dec(want["step"]):
                problems.append(f"{want['id']} exchangeInfo tick {pf['tickSize']} step {ls['stepSize']}")
        require(not problems, "; ".join(problems))
        b = markets[S]
        return (f"{len(markets)} markets; {S} tick {b['precision']['price']} step {b['precision']['amount']} "
                f"price [{b['limits']['price']['min']}, {b['limits']['price']['max']}] "
                f"qty [{b['limits']['amount']['min']}, {b['limits']['amount']['max']}] minNotional {b['limits']['cost']['min']}")

    if not c.check("load_markets (precision/limits = exchangeInfo)", load_markets):
        return c, ex
    market = ex.market(S)
    tick = dec(market["precision"]["price"])
    step = dec(market["precision"]["amount"])

    # ---------------------------------------------------------------- market data
    def fetch_mark_price():
        t = ex.fetch_mark_price(S)
        raw = c.raw("GET", "/fapi/v1/premiumIndex")
        c.shape("GET /fapi/v1/premiumIndex", raw)
        require(t.get("markPrice") and t["markPrice"] > 0, f"markPrice {t.get('markPrice')}")
        require(t.get("indexPrice") and t["indexPrice"] > 0, f"indexPrice {t.get('indexPrice')}")
        state["mark"] = dec(t["markPrice"])
        return f"GET /fapi/v1/premiumIndex mark {t['markPrice']} index {t['indexPrice']}"

    c.check("fetch_mark_price", fetch_mark_price, optional=True)

    def fetch_funding_rate():
        f = ex.fetch_funding_rate(S)
        now = int(time.time() * 1000)
        require(f.get("fundingRate") is not None, f"fundingRate {f.get('fundingRate')}")
        require(f.get("markPrice"), f"markPrice {f.get('markPrice')}")
        require(f.get("interestRate") is not None, f"interestRate {f.get('interestRate')}")
        nft = f.get("fundingTimestamp") or f.get("nextFundingTimestamp")
        require(nft and nft > now, f"next funding time {nft} not in the future")
        require(nft % 3600000 == 0, f"next funding time {nft} not on the hour")
        require(f.get("timestamp"), f"timestamp {f.get('timestamp')}")
        return f"rate {f['fundingRate']} interest {f['interestRate']} next {f.get('fundingDatetime') or f.get('nextFundingDatetime')}"

    c.check("fetch_funding_rate", fetch_funding_rate, optional=True)

    def fetch_order_book():
        ob = ex.fetch_order_book(S, 10)
        raw = c.raw("GET", "/fapi/v1/depth")
        c.shape("GET /fapi/v1/depth", raw)
        bids, asks = ob["bids"], ob["asks"]
        require(bids and asks, f"empty side: {len(bids)} bids, {len(asks)} asks")
        require(len(bids) <= 10 and len(asks) <= 10, f"limit 10 gave {len(bids)}/{len(asks)} levels")
        require(all(bids[i][0] > bids[i + 1][0] for i in range(len(bids) - 1)), "bids not strictly descending")
        require(all(asks[i][0] < asks[i + 1][0] for i in range(len(asks) - 1)), "asks not strictly ascending")
        require(bids[0][0] < asks[0][0], f"crossed book: bid {bids[0][0]} ≥ ask {asks[0][0]}")
        off = [p for p, _ in bids + asks if not on_grid(p, tick)]
        require(not off, f"prices off the {tick} tick: {off[:3]}")
        badq = [q for _, q in bids + asks if q <= 0 or not on_grid(q, step)]
        require(not badq, f"quantities off the {step} step or ≤ 0: {badq[:3]}")
        require(isinstance(ob.get("nonce"), int), f"lastUpdateId → nonce {ob.get('nonce')!r}")
        if state["mark"] is None:
            state["mark"] = (dec(bids[0][0]) + dec(asks[0][0])) / 2
        return f"GET /fapi/v1/depth {len(bids)}x{len(asks)} best {bids[0][0]} / {asks[0][0]} lastUpdateId {ob['nonce']}"

    c.check("fetch_order_book", fetch_order_book, optional=True)

    def fetch_ohlcv():
        rows = ex.fetch_ohlcv(S, "1m", limit=5)
        raw = c.raw("GET", "/fapi/v1/klines")
        require(1 <= len(rows) <= 5, f"limit 5 gave {len(rows)} candles")
        require(all(len(r) == 12 for r in raw), f"raw kline rows have {sorted({len(r) for r in raw})} fields, Binance documents 12")
        for r in rows:
            t, o, h, l, cl, v = r
            require(t % 60000 == 0, f"open time {t} not on a minute")
            require(h >= max(o, cl) and l <= min(o, cl), f"inconsistent candle {r}")
            require(v is not None and v >= 0, f"volume {v}")
        require(all(rows[i][0] < rows[i + 1][0] for i in range(len(rows) - 1)), "candles not ascending in time")
        require(all(int(k[6]) == int(k[0]) + 59999 for k in raw), "close time ≠ open time + 59999")
        return f"GET /fapi/v1/klines {len(rows)} candles, last {rows[-1]}"

    c.check("fetch_ohlcv", fetch_ohlcv, optional=True)

    if state["mark"] is None:
        state["mark"] = Decimal(60000)
        c.notes.append("no mark price from the simulator; orders priced around 60000")
    mark = state["mark"]

    def below(frac):
        return (mark * dec(frac) / tick).to_integral_value(rounding="ROUND_FLOOR") * tick

    # ---------------------------------------------------------------- account
    def fetch_balance():
        b = ex.fetch_balance()
        raw = c.raw("GET", "/fapi/v3/account")
        usdt = b.get("USDT") or {}
        explain_missing_usdt(usdt, raw, "GET /fapi/v3/account")
        require(usdt.get("total") is not None and usdt["total"] > 0, f"USDT total {usdt.get('total')}")
        require(usdt.get("free") is not None and usdt.get("used") is not None, f"USDT {usdt}")
        c.shape("GET /fapi/v3/account", raw)
        assets = [a for a in raw.get("assets") or [] if a.get("asset") == "USDT"]
        require(assets, "account has no USDT asset")
        c.shape("GET /fapi/v3/account assets[]", assets[0], "assets[].")
        return f"GET /fapi/v3/account USDT total {usdt['total']} free {usdt['free']} used {usdt['used']}"

    c.check("fetch_balance", fetch_balance, optional=True)

    def fetch_balance_v2():
        b = ex.fetch_balance({"useV2": True})
        raw = c.raw("GET", "/fapi/v2/account")
        usdt = b.get("USDT") or {}
        explain_missing_usdt(usdt, raw, "GET /fapi/v2/account")
        require(usdt.get("total") is not None and usdt["total"] > 0, f"USDT total {usdt.get('total')}")
        c.shape("GET /fapi/v2/account", raw)
        return f"GET /fapi/v2/account USDT total {usdt['total']}"

    c.check("fetch_balance useV2", fetch_balance_v2, optional=True)

    def set_leverage():
        r = ex.set_leverage(10, S)
        raw = c.raw("POST", "/fapi/v1/leverage")
        require(int(r.get("leverage", 0)) == 10, f"answer {r}")
        require(r.get("symbol") == "BTCUSDT", f"answer {r}")
        c.shape("POST /fapi/v1/leverage", raw)
        return f"POST /fapi/v1/leverage → {raw}"

    c.check("set_leverage", set_leverage, optional=True)

    # ---------------------------------------------------------------- orders
    run = str(int(time.time() * 1000))[-9:]
    limit_cid = f"ccxtLim{run}"
    price = below("0.98")
    amount = step * 2 if step * 2 * price >= dec(market["limits"]["cost"]["min"] or 0) else None
    if amount is None:
        amount = ((dec(market["limits"]["cost"]["min"]) / price / step).to_integral_value("ROUND_CEILING") + 1) * step
    order = {}

    def create_limit():
        o = ex.create_order(S, "limit", "buy", float(amount), float(price),
                            {"clientOrderId": limit_cid, "timeInForce": "GTC"})
        sent = urllib.parse.parse_qs(ex.trace[-1]["request_body"] or "")
        raw = c.raw("POST", "/fapi/v1/order")
        require(sent.get("newClientOrderId") == [limit_cid], f"ccxt sent {sent.get('newClientOrderId')}")
        require(o["id"] and o["clientOrderId"] == limit_cid, f"id {o['id']} clientOrderId {o['clientOrderId']}")
        require(o["status"] == "open", f"status {o['status']} (raw {raw.get('status')})")
        require((o["symbol"], o["type"], o["side"], o["timeInForce"]) == (S, "limit", "buy", "GTC"),
                f"{o['symbol']} {o['type']} {o['side']} {o['timeInForce']}")
        require(dec(o["price"]) == price and dec(o["amount"]) == amount, f"price {o['price']} amount {o['amount']}")
        require(o["timestamp"], f"timestamp {o['timestamp']}")
        order.update(o)
        c.shape("POST /fapi/v1/order", raw)
        return f"orderId {o['id']} {limit_cid} buy {amount} @ {price} open"

    c.check("create_order limit GTC (clientOrderId)", create_limit)

    def order_count_headers():
        # USDⓈ-M "New Order": weight "1 on 10s order rate limit(X-MBX-ORDER-COUNT-10S); 1 on
        # 1min order rate limit(X-MBX-ORDER-COUNT-1M)" — the headers a client throttles orders by.
        posts = [t for t in ex.trace if t["method"] == "POST" and t["path"] == "/fapi/v1/order" and t["status"] == 200]
        require(posts, "no accepted order to look at")
        hdr = {k.lower(): v for k, v in posts[-1]["headers"].items()}
        missing = [h for h in ("x-mbx-order-count-10s", "x-mbx-order-count-1m") if h not in hdr]
        require(not missing, f"accepted order's answer lacks {[m.upper() for m in missing]}")
        return f"X-MBX-ORDER-COUNT-10S {hdr['x-mbx-order-count-10s']}, X-MBX-ORDER-COUNT-1M {hdr['x-mbx-order-count-1m']}"

    c.check("order rate-limit headers on POST /fapi/v1/order", order_count_headers)

    def order_ip_weight():
        # Same page: "0 on IP rate limit(x-mbx-used-weight-1m)": placing an order costs no IP
        # weight. Compare the header right before and on the order (retry on a minute rollover).
        def used():
            return int({k.lower(): v for k, v in ex.trace[-1]["headers"].items()}["x-mbx-used-weight-1m"])
        for attempt in range(2):
            ex.fapiPublicGetTime()
            before = used()
            o = ex.create_order(S, "limit", "buy", float(amount), float(below("0.97")),
                                {"clientOrderId": f"ccxtW{run}{attempt}"})
            after = used()
            ex.cancel_order(o["id"], S)
            if after >= before:
                break
        require(after == before, f"X-MBX-USED-WEIGHT-1M went {before} → {after} on POST /fapi/v1/order (documented IP weight 0)")
        return f"X-MBX-USED-WEIGHT-1M {before} → {after}"

    c.check("POST /fapi/v1/order costs no IP weight", order_ip_weight)

    def fetch_by_id():
        require(order, "no order was created")
        o = ex.fetch_order(order["id"], S)
        raw = c.raw("GET", "/fapi/v1/order")
        require(o["id"] == order["id"] and o["clientOrderId"] == limit_cid and o["status"] == "open",
                f"id {o['id']} cid {o['clientOrderId']} status {o['status']}")
        require(dec(o["price"]) == price and dec(o["amount"]) == amount and o["filled"] == 0,
                f"price {o['price']} amount {o['amount']} filled {o['filled']}")
        c.shape("GET /fapi/v1/order", raw)
        return f"orderId {o['id']} open"

    c.check("fetch_order by id", fetch_by_id)

    def fetch_by_cid():
        require(order, "no order was created")
        o = ex.fetch_order(None, S, {"clientOrderId": limit_cid})
        sent = urllib.parse.parse_qs(urllib.parse.urlsplit(ex.trace[-1]["url"]).query)
        require(sent.get("origClientOrderId") == [limit_cid], f"ccxt sent {sent}")
        require(o["id"] == order["id"] and o["status"] == "open", f"id {o['id']} status {o['status']}")
        return f"origClientOrderId {limit_cid} → orderId {o['id']}"

    c.check("fetch_order by clientOrderId", fetch_by_cid)

    def fetch_open():
        require(order, "no order was created")
        oo = ex.fetch_open_orders(S)
        raw = c.raw("GET", "/fapi/v1/openOrders")
        ids = [o["id"] for o in oo]
        require(order["id"] in ids, f"{order['id']} not in {ids}")
        require(all(o["status"] == "open" and o["symbol"] == S for o in oo), "non-open or foreign order listed")
        mine = [r for r in raw if str(r.get("orderId")) == order["id"]][0]
        c.shape("GET /fapi/v1/openOrders", mine, "[].")
        return f"{len(oo)} open, includes {order['id']}"

    c.check("fetch_open_orders", fetch_open)

    def duplicate():
        return expect_error(
            lambda: ex.create_order(S, "limit", "buy", float(amount), float(price), {"clientOrderId": limit_cid}),
            -4116, ccxt_class_for(ex, -4116), ex)

    c.check("duplicate clientOrderId refused", duplicate)

    def off_tick():
        # create_order rounds the price to the market's tick (price_to_precision); present a
        # finer tick to ccxt for this one call so the off-tick price reaches the simulator.
        m = ex.markets[S]
        saved = m["precision"]["price"]
        m["precision"]["price"] = float(tick / 10)
        try:
            bad = price + tick / 2
            detail = expect_error(lambda: ex.create_order(S, "limit", "buy", float(amount), float(bad)),
                                  -4014, ccxt_class_for(ex, -4014), ex)
        finally:
            m["precision"]["price"] = saved
        sent = urllib.parse.parse_qs(ex.trace[-1]["request_body"] or "")
        return f"price {sent.get('price', ['?'])[0]} (tick {tick}): {detail}"

    c.check("off-tick price refused", off_tick)

    def cancel():
        require(order, "no order was created")
        o = ex.cancel_order(order["id"], S)
        raw = c.raw("DELETE", "/fapi/v1/order")
        require(o["id"] == order["id"] and o["status"] == "canceled", f"id {o['id']} status {o['status']}")
        again = ex.fetch_order(order["id"], S)
        require(again["status"] == "canceled", f"fetch_order after cancel: {again['status']}")
        oo = [x["id"] for x in ex.fetch_open_orders(S)]
        require(order["id"] not in oo, f"still listed as open: {oo}")
        gone = expect_error(lambda: ex.cancel_order(order["id"], S), -2011, ccxt_class_for(ex, -2011), ex)
        c.shape("DELETE /fapi/v1/order", raw)
        return f"orderId {order['id']} canceled; cancelling again: {gone}"

    c.check("cancel_order", cancel)

    def cancel_all():
        ids = []
        for i, frac in enumerate(("0.97", "0.96")):
            o = ex.create_order(S, "limit", "buy", float(amount), float(below(frac)),
                                {"clientOrderId": f"ccxtAll{i}{run}"})
            ids.append(o["id"])
        r = ex.cancel_all_orders(S)
        raw = c.raw("DELETE", "/fapi/v1/allOpenOrders")
        require(raw == {"code": 200, "msg": "The operation of cancel all open order is done."}, f"answer {raw}")
        require(isinstance(r, list), f"ccxt result {r!r}")
        oo = ex.fetch_open_orders(S)
        require(not oo, f"open after cancel_all_orders: {[o['id'] for o in oo]}")
        st = ex.fetch_order(None, S, {"clientOrderId": f"ccxtAll0{run}"})["status"]
        require(st == "canceled", f"status after cancel_all_orders: {st}")
        return f"2 orders {ids} canceled, none open"

    c.check("cancel_all_orders", cancel_all)

    def trigger_orders():
        # ccxt sends conditional orders (triggerPrice/stopPrice) to the algo endpoints:
        # POST/GET/DELETE /fapi/v1/algoOrder, GET /fapi/v1/openAlgoOrders,
        # DELETE /fapi/v1/algoOpenOrders (with algoType=CONDITIONAL, clientAlgoId, algoId).
        trig = (mark * dec("1.03") / tick).to_integral_value(rounding="ROUND_CEILING") * tick
        cid = f"ccxtAlg{run}"
        o = ex.create_order(S, "market", "buy", float(amount), None,
                            {"triggerPrice": float(trig), "clientOrderId": cid})
        sent = urllib.parse.parse_qs(ex.trace[-1]["request_body"] or "")
        require(ex.trace[-1]["path"] == "/fapi/v1/algoOrder", f"ccxt used {ex.trace[-1]['path']}")
        require(sent.get("algoType") == ["CONDITIONAL"] and sent.get("type") == ["STOP_MARKET"]
                and sent.get("clientAlgoId") == [cid], f"ccxt sent {sent}")
        require(o["id"] and o["clientOrderId"] == cid and o["status"] == "open",
                f"id {o['id']} clientOrderId {o['clientOrderId']} status {o['status']}")
        require(o["triggerPrice"] is not None and dec(o["triggerPrice"]) == trig,
                f"triggerPrice {o['triggerPrice']} (sent {trig})")
        got = ex.fetch_order(o["id"], S, {"trigger": True})
        require(got["id"] == o["id"] and got["status"] == "open", f"fetch_order: {got['id']} {got['status']}")
        listed = [x["id"] for x in ex.fetch_open_orders(S, None, None, {"trigger": True})]
        require(o["id"] in listed, f"{o['id']} not in open algo orders {listed}")
        ex.cancel_order(o["id"], S, {"trigger": True})
        st = ex.fetch_order(o["id"], S, {"trigger": True})["status"]
        require(st == "canceled", f"after cancel_order: {st}")
        o2 = ex.create_order(S, "market", "buy", float(amount), None, {"triggerPrice": float(trig)})
        ex.cancel_all_orders(S, {"trigger": True})
        left = ex.fetch_open_orders(S, None, None, {"trigger": True})
        require(not left, f"open algo orders after cancel_all_orders: {[x['id'] for x in left]}")
        require(ex.fetch_order(o2["id"], S, {"trigger": True})["status"] == "canceled", "second one not canceled")
        return f"STOP_MARKET buy trigger {trig}: created, fetched, listed, canceled; cancel_all_orders(trigger) emptied the list"

    c.check("trigger orders (algoOrder endpoints)", trigger_orders, optional=True)

    market_cid = f"ccxtMkt{run}"

    def create_market():
        o = ex.create_order(S, "market", "buy", float(amount), None, {"clientOrderId": market_cid})
        raw = c.raw("POST", "/fapi/v1/order")
        require(o["id"] and o["clientOrderId"] == market_cid and o["type"] == "market",
                f"id {o['id']} cid {o['clientOrderId']} type {o['type']}")
        final = o
        deadline = time.monotonic() + 3
        while final["status"] == "open" and time.monotonic() < deadline:
            time.sleep(0.2)
            final = ex.fetch_order(o["id"], S)
        require(final["status"] == "closed",
                f"market order answered {raw.get('status')} and is still {final['status']} after 3 s "
                "(a MARKET order never rests on Binance; with newOrderRespType=RESULT the answer is its final state)")
        require(dec(final["filled"]) == amount and final["average"] and final["average"] > 0,
                f"filled {final['filled']} average {final['average']}")
        state["position_opened"] = True
        return f"orderId {o['id']} answered {raw.get('status')}, filled {final['filled']} @ {final['average']}"

    c.check("create_order market", create_market)

    def leverage_brackets():
        b = ex.load_leverage_brackets(True)
        raw = c.raw("GET", "/fapi/v1/leverageBracket")
        require(S in b and b[S], f"no brackets for {S}: {list(b)[:5]}")
        entry = raw[0] if isinstance(raw, list) and raw else raw
        c.shape("GET /fapi/v1/leverageBracket", entry, "[].")
        if isinstance(entry, dict) and entry.get("brackets"):
            c.shape("GET /fapi/v1/leverageBracket brackets[]", entry["brackets"][0], "[].brackets[].")
        return f"GET /fapi/v1/leverageBracket {len(b[S])} brackets for {S}, first {b[S][0]}"

    have_brackets = c.check("GET /fapi/v1/leverageBracket (ccxt loads it before any fetch_positions)",
                            leverage_brackets, optional=True)
    if not have_brackets:
        # Let the position checks below exercise positionRisk/account on their own.
        ex.options["leverageBrackets"] = {}

    def check_position(positions, how, entry_price=True):
        mine = [p for p in positions if p["symbol"] == S and p["contracts"]]
        if not state["position_opened"]:
            require(not mine, f"{how}: no order filled, yet {S} shows {mine[0]['contracts']} contracts")
            return f"{how}: no {S} position (nothing filled)"
        require(len(mine) == 1, f"{how}: {len(mine)} {S} positions: {positions}")
        p = mine[0]
        require(p["side"] == "long" and dec(p["contracts"]) == amount,
                f"{how}: side {p['side']} contracts {p['contracts']}")
        if entry_price:  # (GET /fapi/v3/account positions[] carry no entryPrice)
            require(p["entryPrice"] and p["entryPrice"] > 0, f"{how}: entryPrice {p['entryPrice']}")
        return f"{how}: {S} long {p['contracts']} @ {p['entryPrice']} mark {p.get('markPrice')} uPnL {p.get('unrealizedPnl')}"

    def positions_v3():
        ps = ex.fetch_positions([S])
        raw = c.raw("GET", "/fapi/v3/positionRisk")
        detail = check_position(ps, "GET /fapi/v3/positionRisk")
        if state["position_opened"]:
            require(ps[0].get("markPrice"), f"markPrice {ps[0].get('markPrice')}")
        rows = [r for r in raw if r.get("symbol") == "BTCUSDT"] if isinstance(raw, list) else []
        if rows:
            c.shape("GET /fapi/v3/positionRisk", rows[0], "[].")
        return detail

    c.check("fetch_positions", positions_v3, optional=True)

    def positions_v2():
        ps = ex.fetch_positions([S], {"useV2": True})
        raw = c.raw("GET", "/fapi/v2/positionRisk")
        detail = check_position(ps, "GET /fapi/v2/positionRisk")
        rows = [r for r in raw if r.get("symbol") == "BTCUSDT"] if isinstance(raw, list) else []
        require(rows, "BTCUSDT not listed (v2 lists every symbol, zero positions included)")
        c.shape("GET /fapi/v2/positionRisk", rows[0], "[].")
        return detail + f", leverage {rows[0].get('leverage')}"

    c.check("fetch_positions useV2", positions_v2, optional=True)

    def positions_account():
        ps = ex.fetch_positions([S], {"method": "account"})
        raw = c.raw("GET", "/fapi/v3/account")
        detail = check_position(ps, "GET /fapi/v3/account positions", entry_price=False)
        rows = [r for r in raw.get("positions", []) if r.get("symbol") == "BTCUSDT"]
        if rows:
            c.shape("GET /fapi/v3/account positions[]", rows[0], "positions[].")
        return detail

    c.check("fetch_positions method=account", positions_account, optional=True)

    if state["position_opened"]:
        def close_position():
            o = ex.create_order(S, "market", "sell", float(amount), None, {"reduceOnly": True})
            sent = urllib.parse.parse_qs(ex.trace[-1]["request_body"] or "")
            require(sent.get("reduceOnly") == ["true"], f"ccxt sent reduceOnly {sent.get('reduceOnly')}")
            final = o if o["status"] != "open" else ex.fetch_order(o["id"], S)
            require(final["status"] == "closed", f"status {final['status']}")
            ps = [p for p in ex.fetch_positions([S]) if p["contracts"]]
            require(not ps, f"still open: {ps}")
            return f"reduceOnly market sell {amount} filled; no position left"

        c.check("close position (reduceOnly market)", close_position, optional=True)

    # ---------------------------------------------------------------- user data stream, safety
    def listen_key():
        k = ex.fapiPrivatePostListenKey()
        require(isinstance(k, dict) and k.get("listenKey"), f"POST answer {k}")
        k2 = ex.fapiPrivatePutListenKey()
        require(k2 == {} or k2.get("listenKey") == k["listenKey"], f"PUT answer {k2}")
        d = ex.fapiPrivateDeleteListenKey()
        require(d == {}, f"DELETE answer {d}")
        return f"POST/PUT/DELETE /fapi/v1/listenKey ({len(k['listenKey'])}-char key)"

    c.check("listenKey (implicit API)", listen_key, optional=True)

    def countdown():
        r = ex.fapiPrivatePostCountdownCancelAll({"symbol": "BTCUSDT", "countdownTime": 120000})
        require(r.get("symbol") == "BTCUSDT" and str(r.get("countdownTime")) == "120000", f"answer {r}")
        r0 = ex.fapiPrivatePostCountdownCancelAll({"symbol": "BTCUSDT", "countdownTime": 0})
        require(str(r0.get("countdownTime")) == "0", f"answer {r0}")
        return f"POST /fapi/v1/countdownCancelAll → {r}"

    c.check("countdownCancelAll (implicit API)", countdown, optional=True)

    # ---------------------------------------------------------------- negative: authentication
    def wrong_secret():
        bad = loopback_exchange(sim.root, secret=API_SECRET[::-1], cert=sim.cert)
        bad.markets, bad.markets_by_id = ex.markets, ex.markets_by_id
        return expect_error(lambda: bad.fetch_open_orders(S), -1022, ccxt.AuthenticationError, bad)

    c.check("wrong secret → AuthenticationError", wrong_secret)

    def wrong_key():
        bad = loopback_exchange(sim.root, api_key="unknownKey" + API_KEY[10:], cert=sim.cert)
        bad.markets, bad.markets_by_id = ex.markets, ex.markets_by_id
        return expect_error(lambda: bad.fetch_open_orders(S), -2015, ccxt.AuthenticationError, bad)

    c.check("unknown API key → AuthenticationError", wrong_key)

    def clock_ahead():
        ahead = loopback_exchange(sim.root, cert=sim.cert, timeDifference=-20000)  # nonce = now + 20 s
        ahead.markets, ahead.markets_by_id = ex.markets, ex.markets_by_id
        return expect_error(lambda: ahead.fetch_open_orders(S), -1021, ccxt.InvalidNonce, ahead)

    c.check("timestamp 20 s ahead → InvalidNonce", clock_ahead)

    def all_loopback():
        hosts = {urllib.parse.urlsplit(t["url"]).netloc for t in ex.trace}
        require(hosts == {urllib.parse.urlsplit(sim.root).netloc}, f"hosts {hosts}")
        paths = sorted({f"{t['method']} {t['path']}" for t in ex.trace})
        foreign = [p for p in paths if not p.split(" ")[1].startswith("/fapi/")]
        require(not foreign, f"non-/fapi calls: {foreign}")
        return f"{len(ex.trace)} requests, all to {sim.root}/fapi/…"

    c.check("every request stayed on the simulator's /fapi", all_loopback)
    return c, ex


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rampart", default=os.environ.get("RAMPART_BIN", str(REPO / "target/debug/rampart")),
                    help="the rampart binary (default $RAMPART_BIN or target/debug/rampart)")
    ap.add_argument("--allow-missing", action="store_true",
                    help="report endpoints the simulator answers 404/405 as 'skip', not FAIL")
    ap.add_argument("--timeout", type=float, default=float(os.environ.get("CCXT_CHECK_TIMEOUT", 120)),
                    help="overall limit in seconds (default 120)")
    ap.add_argument("--tls", action="store_true",
                    help="run `rampart sim --tls` and talk https, trusting only the printed CERT file")
    ap.add_argument("--sim-arg", action="append", default=[],
                    help="extra argument for `rampart sim` (repeatable), e.g. --sim-arg=--seed=7")
    ap.add_argument("--verbose", action="store_true", help="print every request and the simulator's output")
    args = ap.parse_args()

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
    print(f"ccxt {ccxt.__version__}, simulator {args.rampart}", flush=True)
    checker = None
    ex = None
    try:
        if not Path(args.rampart).is_file():
            print(f"FAIL start simulator — {args.rampart} does not exist (cargo build -p rampart-cli)")
            print("ccxt: 0 passed, 1 failed")
            return 1
        try:
            sim = Sim(args.rampart, (["--tls"] if args.tls else []) + args.sim_arg, start_timeout=20)
        except Exception as e:  # noqa: BLE001
            print(f"FAIL start simulator — {short(e, 600)}")
            print("ccxt: 0 passed, 1 failed")
            return 1
        print(f"simulator REST {sim.rest}" + (f" (trusting {sim.cert})" if sim.cert else ""), flush=True)
        checker, ex = run_checks(sim, args, holder)
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
    for note in checker.notes:
        print(f"note: {note}")
    if checker.skipped:
        print(f"skipped: {checker.skipped} (endpoints not served yet; --allow-missing)")
    print(f"ccxt: {checker.passed} passed, {checker.failed} failed", flush=True)
    return 1 if checker.failed else 0


if __name__ == "__main__":
    sys.exit(main())
