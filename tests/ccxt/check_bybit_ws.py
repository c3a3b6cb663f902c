#!/usr/bin/env python3
"""ccxt.pro's bybit (WebSocket side) against `rampart sim --venue bybit` on loopback.

Starts the simulator (prices moving every 250 ms) as check_bybit.py does, points every ccxt
REST and WebSocket URL at it (`<ws>/v5/public/linear` for market data, `<ws>/v5/private` with
Bybit's `auth` op for the account), and runs each watch_* call with a bounded timeout, asserting
content. One PASS/FAIL line per check, then exactly `ccxt: N passed, M failed`.

ccxt's API gives no signal that a subscription is live on the server: the private checks place
an order and wait for it on the stream, placing another (bounded tries) when the first went out
before the subscription was taken.

Usage:
    python3 tests/ccxt/check_bybit_ws.py [--rampart PATH] [--tls]
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
STEP = 15.0  # seconds each check may take


def on_sim(tree, root_http, root_ws):
    """Every URL in ccxt's url tree moved onto the simulator (path kept)."""
    if isinstance(tree, dict):
        return {k: on_sim(v, root_http, root_ws) for k, v in tree.items()}
    if isinstance(tree, str) and "://" in tree:
        u = urllib.parse.urlsplit(tree)
        root = root_ws if u.scheme in ("ws", "wss") else root_http
        return root + u.path
    if isinstance(tree, str) and tree.startswith("https://api."):
        return root_http
    return tree


async def run(sim):
    ws_root = sim.root.replace("https://", "wss://").replace("http://", "ws://")
    print(f"simulator REST {sim.root}, WS {ws_root}" + (f" (trusting {sim.cert})" if sim.cert else ""),
          flush=True)
    ex = ccxt.pro.bybit({
        "apiKey": API_KEY, "secret": API_SECRET, "enableRateLimit": False,
        "options": {"defaultType": "swap", "fetchMarkets": {"types": ["linear", "inverse"]}},
    })
    api = ex.urls["api"]
    for name in ("spot", "futures", "v2", "public", "private"):
        api[name] = sim.root
    api["ws"] = on_sim(api["ws"], sim.root, ws_root)
    if sim.cert:
        ex.ssl_context = ssl.create_default_context(cafile=sim.cert)
        ex.verify = sim.cert
    urls = []

    def walk(tree):
        if isinstance(tree, dict):
            for v in tree.values():
                walk(v)
        elif isinstance(tree, str):
            urls.append(tree)

    walk(api)
    for url in urls:
        host = urllib.parse.urlsplit(url.replace("{hostname}", "x")).hostname
        assert host in LOOPBACK, f"ccxt URL off loopback: {url}"
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
        require(book["bids"] and book["asks"], "empty book")
        require(book["bids"][0][0] < book["asks"][0][0], "crossed book")
        first_bid = book["bids"][0][0]
        for _ in range(100):
            book = await ex.watch_order_book(S)
            if book["bids"][0][0] != first_bid:
                break
        require(book["bids"][0][0] != first_bid, "the book never moved")
        require(book["bids"][0][0] < book["asks"][0][0], "crossed after deltas")
        require(len(book["bids"]) >= 25, f"{len(book['bids'])} bid levels after deltas")
        return f"snapshot then deltas: best bid {first_bid} → {book['bids'][0][0]} ({len(book['bids'])} levels)"

    await check("watch_order_book (snapshot, then deltas)", order_book)

    async def trades():
        got = await ex.watch_trades(S)
        require(got and got[-1]["price"] > 0 and got[-1]["amount"] > 0, f"{got[-1:]}")
        return f"{len(got)} trade(s), last {got[-1]['side']} {got[-1]['amount']} @ {got[-1]['price']}"

    await check("watch_trades", trades)

    async def ticker():
        t = await ex.watch_ticker(S)
        require(t["last"] and t["markPrice"], f"{t}")
        return f"last {t['last']} mark {t['markPrice']} bid {t['bid']} ask {t['ask']}"

    await check("watch_ticker", ticker)

    state = {}

    async def orders():
        mark = Decimal(str((await ex.fetch_ticker(S))["markPrice"]))
        price = float((mark * Decimal("0.8")).quantize(Decimal("0.1")))
        for attempt in range(5):
            watch = asyncio.ensure_future(ex.watch_orders(S))
            await asyncio.sleep(0.3)
            placed = await ex.create_order(S, "limit", "buy", 0.001, price - attempt,
                                           {"clientOrderId": f"ws-check-{attempt}"})
            try:
                got = await asyncio.wait_for(watch, 2.0)
            except asyncio.TimeoutError:
                continue
            mine = [o for o in got if o["id"] == placed["id"]]
            require(mine, f"orders pushed {[o['id'] for o in got]}, not {placed['id']}")
            require(mine[0]["clientOrderId"] == f"ws-check-{attempt}", f"{mine[0]['clientOrderId']}")
            require(mine[0]["status"] == "open", f"status {mine[0]['status']}")
            await ex.cancel_order(placed["id"], S)
            cancelled = await ex.watch_orders(S)
            require(any(o["id"] == placed["id"] and o["status"] == "canceled" for o in cancelled),
                    f"no cancel pushed: {[(o['id'], o['status']) for o in cancelled]}")
            return f"new then canceled pushed for {placed['id']} (attempt {attempt + 1})"
        raise AssertionError("no order pushed in 5 attempts")

    await check("watch_orders (auth, order topic)", orders)

    async def positions_and_my_trades():
        # ccxt's first watch_positions answers its REST snapshot (GET /v5/position/list); the
        # next one subscribes to the `position` topic.
        snapshot = await ex.watch_positions([S])
        require(not any(p["contracts"] for p in snapshot), f"a position before trading: {snapshot}")
        positions_task = asyncio.ensure_future(ex.watch_positions([S]))
        trades_task = asyncio.ensure_future(ex.watch_my_trades(S))
        ids = []
        for attempt in range(5):
            await asyncio.sleep(0.3)
            placed = await ex.create_order(S, "market", "buy", 0.001)
            ids.append(placed["id"])
            done, _ = await asyncio.wait({positions_task, trades_task}, timeout=2.0,
                                         return_when=asyncio.ALL_COMPLETED)
            if len(done) == 2:
                break
        require(positions_task.done() and trades_task.done(), "no position or execution push in 5 attempts")
        positions, trades = positions_task.result(), trades_task.result()
        mine = [p for p in positions if p["symbol"] == S and p["contracts"]]
        require(mine and mine[0]["side"] == "long", f"positions {positions}")
        fills = [t for t in trades if t["order"] in ids]
        require(fills and fills[0]["side"] == "buy" and fills[0]["takerOrMaker"] == "taker", f"{trades}")
        require(fills[0]["fee"]["currency"] == "USDT" and fills[0]["fee"]["cost"] > 0, f"fee {fills[0]['fee']}")
        return (f"position long {mine[0]['contracts']} @ {mine[0]['entryPrice']}; "
                f"fill {fills[0]['amount']} @ {fills[0]['price']} (attempt {attempt + 1})")

    await check("watch_positions and watch_my_trades", positions_and_my_trades)

    await ex.close()
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rampart", default=os.environ.get("RAMPART_BIN", str(REPO / "target/debug/rampart")))
    ap.add_argument("--tls", action="store_true", help="run `rampart sim --venue bybit --tls`")
    args = ap.parse_args()
    print(f"ccxt {ccxt.__version__} (pro), simulator {args.rampart} --venue bybit", flush=True)
    if not Path(args.rampart).is_file():
        print(f"FAIL start simulator — {args.rampart} does not exist (cargo build -p rampart-cli)")
        print("ccxt: 0 passed, 1 failed")
        return 1
    sim = None
    try:
        sim = Sim(args.rampart, ["--venue", "bybit"] + (["--tls"] if args.tls else []), start_timeout=20)
        results = asyncio.run(asyncio.wait_for(run(sim), 120))
    except Exception as e:  # noqa: BLE001
        print(f"FAIL run — {type(e).__name__}: {short(e, 600)}")
        print("ccxt: 0 passed, 1 failed")
        return 1
    finally:
        if sim is not None:
            sim.stop()
    passed = sum(results)
    failed = len(results) - passed
    print(f"ccxt: {passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
