#!/usr/bin/env python3
"""ccxt.pro's okx (WebSocket side) against `rampart sim --venue okx` on loopback.

Starts the simulator as check_okx.py does, points ccxt's REST and WebSocket URLs at it (ccxt
4.5.90's okx opens `<ws>/ws/v5/public`, `<ws>/ws/v5/business` for candles and
`<ws>/ws/v5/private`, logging in there with `op: login`), and runs each watch_* call with a
bounded timeout, asserting content. One PASS/FAIL line per check, then exactly
`ccxt: N passed, M failed`.

Before trading, the check makes sure the private subscriptions are live: the `account`
channel's first push (watch_balance) comes after the `orders` subscription on the same
connection, and the simulator answers a connection's requests in order.
"""

import argparse
import asyncio
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
from check_okx import PASSPHRASE, sim_args  # noqa: E402

S = "BTC/USDT:USDT"
STEP = 10.0  # seconds each watch may take


async def run(sim):
    ws_root = sim.root.replace("https://", "wss://").replace("http://", "ws://")
    ex = ccxt.pro.okx({
        "apiKey": API_KEY, "secret": API_SECRET, "password": PASSPHRASE, "enableRateLimit": False,
        "options": {"defaultType": "swap"},
    })
    ex.urls["api"]["rest"] = sim.root
    ex.urls["api"]["ws"] = ws_root + "/ws/v5"
    if sim.cert:
        ex.ssl_context = ssl.create_default_context(cafile=sim.cert)
    for url in (ex.urls["api"]["rest"], ex.urls["api"]["ws"]):
        assert urllib.parse.urlsplit(url).hostname in LOOPBACK, url
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
        book = await ex.watch_order_book(S)
        first = book["nonce"]
        require(book["bids"] and book["asks"] and book["bids"][0][0] < book["asks"][0][0],
                f"book {book['bids'][:1]} / {book['asks'][:1]}")
        # Updates follow (prices move every 250 ms): ccxt checks each prevSeqId itself.
        updates = 0
        while updates < 2:
            book = await ex.watch_order_book(S)
            if book["nonce"] != first:
                updates += 1
                first = book["nonce"]
        require(book["bids"][0][0] < book["asks"][0][0], "crossed after updates")
        require(len(book["bids"]) == 200, f"{len(book['bids'])} bids held")
        return f"snapshot + 2 updates, best {book['bids'][0]} / {book['asks'][0]}, seqId {book['nonce']}"

    async def ticker():
        t = await ex.watch_ticker(S)
        require(t["symbol"] == S and t["bid"] and t["ask"] and t["last"], f"{t}")
        return f"last {t['last']} bid {t['bid']} ask {t['ask']}"

    async def trades():
        got = await ex.watch_trades(S)
        require(got and got[-1]["symbol"] == S and got[-1]["amount"] > 0, f"{got}")
        return f"{len(got)} trade(s), last {got[-1]['amount']} @ {got[-1]['price']}"

    async def ohlcv():
        got = await ex.watch_ohlcv(S, "1m")
        require(got and len(got[-1]) == 6, f"{got}")
        return f"candle {got[-1]}"

    await check("watch_order_book", order_book)
    await check("watch_ticker", ticker)
    await check("watch_trades", trades)
    await check("watch_ohlcv (business endpoint)", ohlcv)

    cid = f"ccxtws{os.getpid()}"
    amount = Decimal(1)
    snapshot = await asyncio.wait_for(ex.watch_positions([S]), STEP)
    before = [p for p in snapshot if p["symbol"] == S and p["contracts"]]
    orders_task = asyncio.ensure_future(ex.watch_orders(S))
    await asyncio.sleep(0)
    try:
        bal = await asyncio.wait_for(ex.watch_balance(), STEP)
    except Exception as e:  # noqa: BLE001
        orders_task.cancel()
        results.append(False)
        print(f"FAIL private subscriptions live before trading — {type(e).__name__}: {short(e, 300)}", flush=True)
        await ex.close()
        return results
    results.append(True)
    print(f"PASS watch_balance (login, account channel) — USDT total {bal.get('USDT', {}).get('total')}", flush=True)
    positions_task = asyncio.ensure_future(ex.watch_positions([S]))
    await asyncio.sleep(0.2)
    order = await ex.create_order(S, "market", "buy", float(amount), params={"clOrdId": cid})

    async def orders():
        got = await orders_task
        for _ in range(10):
            if any(o["clientOrderId"] == cid and o["status"] == "closed" for o in got):
                break
            got = await ex.watch_orders(S)
        mine = [o for o in got if o["clientOrderId"] == cid]
        require(mine, f"order {cid} not seen: {[o['clientOrderId'] for o in got]}")
        require(mine[-1]["id"] == order["id"], f"id {mine[-1]['id']} vs {order['id']}")
        require(mine[-1]["status"] == "closed" and Decimal(str(mine[-1]["filled"])) == amount,
                f"{mine[-1]['status']} filled {mine[-1]['filled']}")
        return f"{cid} {mine[-1]['status']}, filled {mine[-1]['filled']} @ {mine[-1]['average']}"

    async def positions():
        require(not before, f"a {S} position before the order: {before}")
        got = await positions_task
        mine = [p for p in got if p["symbol"] == S]
        for _ in range(5):
            if mine and Decimal(str(mine[-1]["contracts"])) == amount:
                break
            got = await ex.watch_positions([S])
            mine = [p for p in got if p["symbol"] == S] or mine
        require(mine, f"no {S} position after the fill: {got}")
        p = mine[-1]
        require(p["side"] == "long" and Decimal(str(p["contracts"])) == amount,
                f"{p['side']} {p['contracts']}: {p['info']}")
        rest = [r for r in await ex.fetch_positions([S]) if r["contracts"]]
        require(len(rest) == 1 and rest[0]["side"] == "long", f"REST positions {rest}")
        return f"{p['symbol']} {p['side']} {p['contracts']} @ {p['entryPrice']} (as fetch_positions)"

    await check("watch_orders", orders)
    await check("watch_positions", positions)
    for t in (orders_task, positions_task):
        t.cancel()
    await ex.close()
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rampart", default=os.environ.get("RAMPART_BIN", str(REPO / "target/debug/rampart")))
    ap.add_argument("--tls", action="store_true")
    ap.add_argument("--timeout", type=float, default=120)
    args, _ = ap.parse_known_args()
    print(f"ccxt.pro {ccxt.__version__} okx, simulator {args.rampart}", flush=True)
    sim = None
    try:
        sim = Sim(args.rampart, sim_args(args.tls), start_timeout=20)
        results = asyncio.run(asyncio.wait_for(run(sim), args.timeout))
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
