#!/usr/bin/env python3
"""ccxt.pro's deribit (WebSocket side) against `rampart sim --venue deribit` on loopback.

Starts the simulator as check_deribit.py does, points ccxt's REST and WebSocket URLs at it
(ccxt 4.5.90's deribit opens `<ws>/ws/api/v2`, authenticates there with `public/auth`
`client_signature` over `ts\\nnonce\\n`, and subscribes with `public/subscribe` /
`private/subscribe`), and runs each watch_* call with a bounded timeout, asserting content.
One PASS/FAIL line per check, then exactly `ccxt: N passed, M failed`.
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
from check_deribit import PERP, sim_args  # noqa: E402

STEP = 10.0  # seconds each watch may take


async def run(sim):
    ws_root = sim.root.replace("https://", "wss://").replace("http://", "ws://")
    ex = ccxt.pro.deribit({"apiKey": API_KEY, "secret": API_SECRET, "enableRateLimit": False})
    ex.urls["api"]["rest"] = sim.root
    ex.urls["api"]["ws"] = ws_root + "/ws/api/v2"
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

    markets = await ex.load_markets()
    calls = sorted(s for s, m in markets.items() if m["type"] == "option" and s.startswith("BTC/") and s.endswith("-60000-C"))

    async def order_book():
        book = await ex.watch_order_book(PERP)
        first = book["nonce"]
        require(book["bids"] and book["asks"] and book["bids"][0][0] < book["asks"][0][0],
                f"book {book['bids'][:1]} / {book['asks'][:1]}")
        updates = 0
        while updates < 2:
            book = await ex.watch_order_book(PERP)
            if book["nonce"] != first:
                updates += 1
                first = book["nonce"]
        require(book["bids"][0][0] < book["asks"][0][0], "crossed after changes")
        return f"snapshot + 2 changes, best {book['bids'][0]} / {book['asks'][0]}"

    async def ticker():
        t = await ex.watch_ticker(PERP)
        require(t["symbol"] == PERP and t["bid"] and t["ask"] and t["last"], f"{t}")
        o = await ex.watch_ticker(calls[-1])
        require("greeks" in o["info"] and Decimal(str(o["info"]["mark_iv"])) > 0, f"{short(o['info'], 200)}")
        return f"last {t['last']} bid {t['bid']} ask {t['ask']}; {calls[-1]} iv {o['info']['mark_iv']}"

    async def trades():
        got = await ex.watch_trades(PERP)
        require(got and got[-1]["symbol"] == PERP and got[-1]["amount"] > 0, f"{got}")
        return f"{len(got)} trade(s), last {got[-1]['amount']} @ {got[-1]['price']}"

    await check("watch_order_book", order_book)
    await check("watch_ticker (future, option)", ticker)
    await check("watch_trades", trades)

    async def balance():
        bal = await ex.watch_balance()
        # ccxt 4.5.90 stores each currency's whole parse_balance() under its code.
        btc = bal.get("BTC") or {}
        btc = btc.get("BTC", btc)
        require(btc.get("total") is not None and Decimal(str(btc["total"])) == 10, f"{short(bal.get('BTC'), 200)}")
        return f"authenticated (client_signature); BTC total {btc['total']} free {btc.get('free')}"

    balance_ok = len(results)
    await check("watch_balance (public/auth, user.portfolio)", balance)
    if not results[balance_ok]:
        await ex.close()
        return results

    orders_task = asyncio.ensure_future(ex.watch_orders(PERP))
    await asyncio.sleep(0.3)
    order = await ex.create_order(PERP, "market", "buy", 100, params={"label": f"ccxtws{os.getpid()}"})

    async def orders():
        got = await orders_task
        for _ in range(10):
            if any(o["id"] == order["id"] and o["status"] == "closed" for o in got):
                break
            got = await ex.watch_orders(PERP)
        mine = [o for o in got if o["id"] == order["id"]]
        require(mine, f"order {order['id']} not seen: {[o['id'] for o in got]}")
        require(mine[-1]["status"] == "closed" and Decimal(str(mine[-1]["filled"])) == 100,
                f"{mine[-1]['status']} filled {mine[-1]['filled']}")
        return f"{order['id']} {mine[-1]['status']}, filled {mine[-1]['filled']} @ {mine[-1]['average']}"

    await check("watch_orders (user.orders)", orders)
    orders_task.cancel()
    await ex.close()
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rampart", default=os.environ.get("RAMPART_BIN", str(REPO / "target/debug/rampart")))
    ap.add_argument("--tls", action="store_true")
    ap.add_argument("--timeout", type=float, default=120)
    args, _ = ap.parse_known_args()
    print(f"ccxt.pro {ccxt.__version__} deribit, simulator {args.rampart}", flush=True)
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
