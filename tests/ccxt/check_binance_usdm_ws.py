#!/usr/bin/env python3
"""ccxt.pro's binanceusdm (WebSocket side) against `rampart sim` on loopback.

Starts the simulator as check_binance_usdm.py does, points every ccxt REST and WebSocket URL at
it (ccxt 4.5.90's linear streams use `<ws>/ws/<stream>` and `<ws>/ws/<listenKey>`, the unrouted
form the simulator still serves), and runs each watch_* call with a bounded timeout, asserting
content. One PASS/FAIL line per check, then exactly `ccxt: N passed, M failed`.
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

S = "BTC/USDT:USDT"
STEP = 10.0  # seconds each watch may take


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
        book = await ex.watch_order_book(S)
        for _ in range(20):
            if book["bids"] and book["asks"]:
                break
            book = await ex.watch_order_book(S)
        bid, ask = Decimal(str(book["bids"][0][0])), Decimal(str(book["asks"][0][0]))
        require(bid < ask, f"best bid {bid} < best ask {ask}")
        rest = await ex.fetch_order_book(S, 1000)
        nonce = book["nonce"]
        # The book moves: compare once both are at the same update id (bounded).
        for _ in range(40):
            if book["nonce"] == rest["nonce"]:
                break
            if book["nonce"] < rest["nonce"]:
                book = await ex.watch_order_book(S)
            else:
                rest = await ex.fetch_order_book(S, 1000)
        require(book["nonce"] == rest["nonce"], f"never at one update id ({book['nonce']} vs {rest['nonce']})")
        require(book["bids"][:20] == rest["bids"][:20] and book["asks"][:20] == rest["asks"][:20],
                "top 20 levels differ from GET /fapi/v1/depth")
        return f"best {bid}/{ask}, matches REST at update id {book['nonce']} (first {nonce})"

    async def bids_asks():
        t = await ex.watch_bids_asks([S])
        row = t[S]
        require(Decimal(str(row["bid"])) < Decimal(str(row["ask"])), f"{row['bid']} < {row['ask']}")
        return f"bookTicker bid {row['bid']} ask {row['ask']}"

    async def ticker():
        t = await ex.watch_ticker(S)
        require(t["last"] is not None, "no last price")
        return f"last {t['last']}"

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

    # Trades and the user streams: subscribe first, then trade.
    cid = f"ccxtws{os.getpid()}"
    trades_task = asyncio.ensure_future(ex.watch_trades(S))
    orders_task = asyncio.ensure_future(ex.watch_orders(S))
    mine_task = asyncio.ensure_future(ex.watch_my_trades(S))
    balance_task = asyncio.ensure_future(ex.watch_balance())
    positions_task = asyncio.ensure_future(ex.watch_positions([S]))
    await asyncio.sleep(1.0)  # no signal to wait on in ccxt's API: the subscriptions go out
    order = await ex.create_order(S, "market", "buy", 0.002, params={"newClientOrderId": cid})

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
        got = await positions_task
        mine = [p for p in got if p["symbol"] == S]
        require(mine and mine[-1]["contracts"], f"{got}")
        return f"{mine[-1]['side']} {mine[-1]['contracts']}"

    await check("watch_trades", trades)
    await check("watch_orders", orders)
    await check("watch_my_trades", my_trades)
    await check("watch_balance", balance)
    await check("watch_positions", positions)
    for t in (trades_task, orders_task, mine_task, balance_task, positions_task):
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
