#!/usr/bin/env python3
"""ccxt.pro's binanceusdm (WebSocket side) against `rampart sim` on loopback.

Starts the simulator as check_binance_usdm.py does, points every ccxt REST and WebSocket URL at
it (ccxt 4.5.90's linear streams use Binance's routed paths: `<ws>/public/ws/<n>` and
`<ws>/market/ws/<n>` with live SUBSCRIBE requests, and `<ws>/private/ws?listenKey=<key>`), and
runs each watch_* call with a bounded timeout, asserting content. One PASS/FAIL line per check,
then exactly `ccxt: N passed, M failed`.

Before trading, the check waits until the simulator lists the subscriptions it needs: it sends
LIST_SUBSCRIPTIONS on ccxt's own connections (bounded tries and time), since ccxt's API gives no
signal that a subscription is live.
"""

import argparse
import asyncio
import itertools
import os
import ssl
import sys
import urllib.parse
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ccxt  # noqa: E402
import ccxt.pro  # noqa: E402
from check_binance_usdm import API_KEY, API_SECRET, LOOPBACK, REPO, Sim, short  # noqa: E402

S = "BTC/USDT:USDT"
STEP = 10.0  # seconds each watch may take
LIVE_WITHIN = 8.0  # seconds the subscriptions may take to be listed by the simulator
LIVE_TRIES = 30  # LIST_SUBSCRIPTIONS requests at most, per connection
LIST_EVERY = 0.15  # seconds between them (Binance allows 10 incoming messages a second)
_list_ids = itertools.count(900_000)  # request ids for LIST_SUBSCRIPTIONS, clear of ccxt's own


async def list_subscriptions(client, timeout):
    """The simulator's answer to LIST_SUBSCRIPTIONS on one of ccxt's connections.

    ccxt routes an answer carrying an `id` to `client.subscriptions[id]['method']` when one is
    registered (as it does for its WebSocket API requests); the entry is removed afterwards.
    """
    request_id = next(_list_ids)
    key = str(request_id)
    done = asyncio.get_running_loop().create_future()

    def on_answer(_client, message):
        if not done.done():
            done.set_result(message)

    client.subscriptions[key] = {"method": on_answer}
    try:
        await client.send({"method": "LIST_SUBSCRIPTIONS", "id": request_id})
        answer = await asyncio.wait_for(done, timeout)
    finally:
        client.subscriptions.pop(key, None)
    return answer.get("result") or []


async def wait_until_listed(ex, find_client, wanted_of, what):
    """Waits until ccxt has opened the connection `find_client()` returns and the simulator lists
    `wanted_of(client)` among its subscriptions; bounded by LIVE_TRIES tries and LIVE_WITHIN
    seconds. Returns how many LIST_SUBSCRIPTIONS requests it took."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + LIVE_WITHIN
    listed, wanted = [], None
    asked = 0
    for _ in range(LIVE_TRIES):
        left = deadline - loop.time()
        if left <= 0:
            break
        client = find_client()
        if client is not None and client.connected.done() and not client.connected.exception():
            asked += 1
            wanted = wanted_of(client)
            listed = await list_subscriptions(client, min(left, 2.0))
            if wanted in listed:
                return asked
        await asyncio.sleep(min(LIST_EVERY, max(0.0, deadline - loop.time())))
    raise TimeoutError(f"{what}: {wanted!r} not listed within {LIVE_WITHIN} s (last {listed})")


def on_sim(tree, root_http, root_ws):
    """Every URL in ccxt's url tree moved onto the simulator (path kept)."""
    if isinstance(tree, dict):
        return {k: on_sim(v, root_http, root_ws) for k, v in tree.items()}
    if isinstance(tree, str) and "://" in tree:
        u = urllib.parse.urlsplit(tree)
        root = root_ws if u.scheme in ("ws", "wss") else root_http
        return root + u.path
    return tree


async def run(sim, args):
    ws_root = sim.root.replace("https://", "wss://").replace("http://", "ws://")
    ex = ccxt.pro.binanceusdm({
        "apiKey": API_KEY, "secret": API_SECRET, "enableRateLimit": False,
        "options": {"fetchMarkets": {"types": ["linear"]}, "fetchCurrencies": False,
                    "fetchMargins": False,
                    # The simulator publishes <symbol>@aggTrade, not the raw @trade stream.
                    "watchTrades": {"name": "aggTrade"}},
    })
    ex.urls["api"] = on_sim(ex.urls["api"], sim.root, ws_root)
    if sim.cert:
        ex.ssl_context = ssl.create_default_context(cafile=sim.cert)
    for url in [v for v in ex.urls["api"].values() if isinstance(v, str)]:
        host = urllib.parse.urlsplit(url).hostname
        assert host in LOOPBACK, url
    results = []

    async def check(name, coro_fn):
        try:
            detail = await asyncio.wait_for(coro_fn(), STEP)
            results.append(True)
            print(f"PASS {name} — {detail}", flush=True)
        except Exception as e:  # noqa: BLE001
            results.append(False)
            print(f"FAIL {name} — {type(e).__name__}: {short(e, 300)}", flush=True)

    def require(cond, msg):
        if not cond:
            raise AssertionError(msg)

    await ex.load_markets()

    async def order_book():
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STEP - 1.0
        book = await ex.watch_order_book(S)
        for _ in range(20):
            if book["bids"] and book["asks"]:
                break
            book = await ex.watch_order_book(S)
        first_nonce, first_bid = book["nonce"], book["bids"][0][0]
        # Past the first snapshot: an update applied from the diff stream after the price moved
        # (the simulator's default clock moves prices every 250 ms); bounded in count and time.
        for _ in range(100):
            if book["nonce"] > first_nonce and book["bids"][0][0] != first_bid:
                break
            require(loop.time() < deadline, f"the book never moved from update id {first_nonce}")
            book = await ex.watch_order_book(S)
        require(book["nonce"] > first_nonce and book["bids"][0][0] != first_bid,
                f"no update after the price moved (update id {book['nonce']}, first {first_nonce})")
        moved_nonce = book["nonce"]
        bid, ask = Decimal(str(book["bids"][0][0])), Decimal(str(book["asks"][0][0]))
        require(bid < ask, f"best bid {bid} < best ask {ask}")
        # The book keeps moving: compare once the local book and GET /fapi/v1/depth stand at one
        # update id, at or after the moved one (bounded in count and time).
        rest = await ex.fetch_order_book(S, 1000)
        for _ in range(40):
            if book["nonce"] == rest["nonce"] or loop.time() >= deadline:
                break
            if book["nonce"] < rest["nonce"]:
                book = await ex.watch_order_book(S)
            else:
                rest = await ex.fetch_order_book(S, 1000)
        require(book["nonce"] == rest["nonce"], f"never at one update id ({book['nonce']} vs {rest['nonce']})")
        require(rest["nonce"] >= moved_nonce > first_nonce, f"compared at {rest['nonce']}, moved at {moved_nonce}")
        require(book["bids"][:20] == rest["bids"][:20] and book["asks"][:20] == rest["asks"][:20],
                "top 20 levels differ from GET /fapi/v1/depth")
        return (f"best {book['bids'][0][0]}/{book['asks'][0][0]} matches REST at update id {book['nonce']} "
                f"(first snapshot {first_nonce}, best bid then {first_bid})")

    async def bids_asks():
        t = await ex.watch_bids_asks([S])
        row = t[S]
        require(Decimal(str(row["bid"])) < Decimal(str(row["ask"])), f"{row['bid']} < {row['ask']}")
        return f"bookTicker bid {row['bid']} ask {row['ask']}"

    def check_24h(t, fields):
        require(t["symbol"] == S, f"symbol {t['symbol']}")
        for field in fields:
            require(t[field] is not None, f"no {field}: {t['info']}")
        require(t["low"] <= t["last"] <= t["high"], f"last {t['last']} outside {t['low']}..{t['high']}")
        require(t["quoteVolume"] > 0 and t["baseVolume"] > 0, f"24h volumes {t['baseVolume']}/{t['quoteVolume']}")

    async def ticker():
        # ccxt's default stream for watch_ticker: <symbol>@miniTicker.
        t = await ex.watch_ticker(S)
        require(t["info"].get("e") == "24hrMiniTicker", f"event {t['info']}")
        check_24h(t, ("last", "open", "high", "low", "baseVolume", "quoteVolume"))
        return f"miniTicker last {t['last']}, 24h {t['low']}..{t['high']}, volume {t['baseVolume']}"

    async def full_ticker():
        # The full 24hr ticker, <symbol>@ticker (ccxt's documented `name` parameter).
        t = await ex.watch_ticker(S, {"name": "ticker"})
        require(t["info"].get("e") == "24hrTicker", f"event {t['info']}")
        check_24h(t, ("last", "open", "high", "low", "baseVolume", "quoteVolume", "vwap", "change",
                      "percentage"))
        require(abs(t["change"] - (t["last"] - t["open"])) < 1e-6,
                f"change {t['change']} vs last {t['last']} - open {t['open']}")
        return f"ticker last {t['last']}, change {t['change']} ({t['percentage']}%), vwap {t['vwap']}"

    async def mark_price():
        if not ex.has.get("watchMarkPrice"):
            return "not offered by this ccxt"
        t = await ex.watch_mark_price(S)
        require(t["markPrice"] is not None, f"no mark price: {t}")
        return f"mark {t['markPrice']}"

    await check("watch_order_book", order_book)
    await check("watch_bids_asks", bids_asks)
    await check("watch_mark_price", mark_price)
    await check("watch_ticker", ticker)
    await check("watch_ticker (name=ticker)", full_ticker)

    # Trades and the user streams: subscribe first, then trade.
    cid = f"ccxtws{os.getpid()}"
    amount = Decimal("0.002")
    # ccxt's watch_positions first answers with a snapshot it loads by fetch_positions (options
    # watchPositions.fetchPositionsSnapshot and awaitPositionsSnapshot, both on by default) and
    # only later calls report ACCOUNT_UPDATE's positions: take the snapshot before trading.
    snapshot = await asyncio.wait_for(ex.watch_positions([S]), STEP)
    before = [p for p in snapshot if p["symbol"] == S and p["contracts"]]
    trades_task = asyncio.ensure_future(ex.watch_trades(S))
    orders_task = asyncio.ensure_future(ex.watch_orders(S))
    mine_task = asyncio.ensure_future(ex.watch_my_trades(S))
    balance_task = asyncio.ensure_future(ex.watch_balance())
    positions_task = asyncio.ensure_future(ex.watch_positions([S]))
    tasks = (trades_task, orders_task, mine_task, balance_task, positions_task)

    def client_where(cond):
        return lambda: next((c for url, c in list(ex.clients.items()) if cond(url, c)), None)

    stream = ex.market(S)["lowercaseId"] + "@aggTrade"
    trades_client = client_where(lambda url, c: "/market/ws" in url
                                 and any(k.startswith("trade::") for k in c.subscriptions))
    user_client = client_where(lambda url, c: "/private/ws" in url and "listenKey=" in url)
    try:
        asked_trades = await wait_until_listed(ex, trades_client, lambda c: stream, "trades connection")
        asked_user = await wait_until_listed(
            ex, user_client,
            lambda c: urllib.parse.parse_qs(urllib.parse.urlsplit(c.url).query)["listenKey"][0],
            "user data connection")
    except Exception as e:  # noqa: BLE001
        for t in tasks:
            t.cancel()
        results.append(False)
        print(f"FAIL subscriptions live before trading — {type(e).__name__}: {short(e, 300)}", flush=True)
        await ex.close()
        return results
    results.append(True)
    print(f"PASS subscriptions live before trading — LIST_SUBSCRIPTIONS: {stream} after {asked_trades} "
          f"request(s), the listen key after {asked_user}", flush=True)
    order = await ex.create_order(S, "market", "buy", float(amount), params={"newClientOrderId": cid})

    async def trades():
        got = await trades_task
        require(got and got[-1]["symbol"] == S and got[-1]["amount"] > 0, f"{got}")
        return f"{len(got)} trade(s), last {got[-1]['amount']} @ {got[-1]['price']}"

    async def orders():
        got = await orders_task
        for _ in range(10):
            if any(o["clientOrderId"] == cid for o in got):
                break
            got = await ex.watch_orders(S)
        mine = [o for o in got if o["clientOrderId"] == cid]
        require(mine, f"order {cid} not seen: {[o['clientOrderId'] for o in got]}")
        return f"{cid} {mine[-1]['status']}"

    async def my_trades():
        got = await mine_task
        require(got and got[-1]["order"] == order["id"], f"{got}")
        return f"fill {got[-1]['amount']} @ {got[-1]['price']}"

    async def balance():
        got = await balance_task
        require("USDT" in got and got["USDT"]["total"] is not None, f"{got.get('USDT')}")
        return f"USDT total {got['USDT']['total']}"

    async def positions():
        require(not before, f"a {S} position before the order: {before}")
        got = await positions_task
        mine = [p for p in got if p["symbol"] == S]
        # One ACCOUNT_UPDATE per fill: a fill split over levels reports the position step by
        # step, so read on (bounded) until it holds the whole order.
        for _ in range(5):
            if mine and Decimal(str(mine[-1]["contracts"])) == amount:
                break
            got = await ex.watch_positions([S])
            mine = [p for p in got if p["symbol"] == S] or mine
        require(mine, f"no {S} position after the fill: {got}")
        p = mine[-1]
        require(p["side"] == "long", f"side {p['side']}, want long: {p['info']}")
        require(Decimal(str(p["contracts"])) == amount, f"contracts {p['contracts']}, want {amount}: {p['info']}")
        require(p["entryPrice"] and p["entryPrice"] > 0, f"entry price {p['entryPrice']}")
        # The same position as GET /fapi/v3/positionRisk shows it.
        rest = [r for r in await ex.fetch_positions([S]) if r["contracts"]]
        require(len(rest) == 1 and rest[0]["side"] == "long"
                and Decimal(str(rest[0]["contracts"])) == amount, f"REST positions {rest}")
        return f"{p['symbol']} {p['side']} {p['contracts']} @ {p['entryPrice']} (as fetch_positions)"

    await check("watch_trades", trades)
    await check("watch_orders", orders)
    await check("watch_my_trades", my_trades)
    await check("watch_balance", balance)
    await check("watch_positions", positions)
    for t in tasks:
        t.cancel()
    await ex.close()
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rampart", default=os.environ.get("RAMPART_BIN", str(REPO / "target/debug/rampart")))
    ap.add_argument("--tls", action="store_true")
    ap.add_argument("--timeout", type=float, default=120)
    args = ap.parse_args()
    print(f"ccxt.pro {ccxt.__version__}, simulator {args.rampart}", flush=True)
    sim = None
    try:
        sim = Sim(args.rampart, ["--tls"] if args.tls else [], start_timeout=20)
        results = asyncio.run(asyncio.wait_for(run(sim, args), args.timeout))
    except Exception as e:  # noqa: BLE001
        print(f"FAIL ccxt.pro run — {type(e).__name__}: {short(e, 600)}")
        print("ccxt: 0 passed, 1 failed")
        return 1
    finally:
        if sim is not None:
            sim.stop()
    passed, failed = results.count(True), results.count(False)
    print(f"ccxt: {passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
