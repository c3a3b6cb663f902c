#!/usr/bin/env python3
"""ccxt's binanceusdm (async, ccxt.async_support on aiohttp) placing MARKET orders against a
running `rampart sim`: the reference side of `make bench` (tests/benches/client_vs_ccxt.rs starts
the simulator and this script, and compares).

Every order is 0.002 BTC/USDT:USDT, sides alternating, one in flight; `--warm-up` orders are
not counted, then `--orders` are timed one by one around `await create_order(...)` with
time.perf_counter_ns. Prints one line: `LATENCIES_NS <n1> <n2> ...`. Every one of ccxt's API
base URLs is re-rooted on the simulator, and a request to any other host is refused.

Usage:
    bench_place.py --root http://127.0.0.1:PORT [--cert PATH] --api-key K --api-secret S
                   [--warm-up N] [--orders N]
"""

import argparse
import asyncio
import sys
import time
import urllib.parse

import ccxt.async_support as ccxt_async

LOOPBACK = {"127.0.0.1", "::1", "localhost"}
SYMBOL = "BTC/USDT:USDT"


def loopback_exchange(root, api_key, secret, cert):
    class LoopbackBinanceUsdm(ccxt_async.binanceusdm):
        def __init__(self, config):
            super().__init__(config)
            for name, url in list(self.urls["api"].items()):
                if isinstance(url, str):
                    self.urls["api"][name] = root + urllib.parse.urlsplit(url).path

        async def fetch(self, url, method="GET", headers=None, body=None):
            if urllib.parse.urlsplit(url).hostname not in LOOPBACK:
                raise AssertionError(f"ccxt tried to reach a non-loopback host: {method} {url}")
            return await super().fetch(url, method, headers, body)

    ex = LoopbackBinanceUsdm({
        "apiKey": api_key,
        "secret": secret,
        "enableRateLimit": False,
        "timeout": 10000,
        "options": {
            "defaultType": "swap",
            "fetchMarkets": {"types": ["linear"]},
            "fetchCurrencies": False,
            "fetchMargins": False,
            "adjustForTimeDifference": False,
        },
    })
    ex.aiohttp_trust_env = False
    if cert:
        ex.verify = cert
        ex.validateServerSsl = cert
    return ex


async def run(args):
    ex = loopback_exchange(args.root, args.api_key, args.api_secret, args.cert)
    if args.cert:
        # ccxt's aiohttp session takes an ssl context; trust exactly the simulator's certificate.
        import ssl
        ex.ssl_context = ssl.create_default_context(cafile=args.cert)
    try:
        await ex.load_markets()
        latencies = []
        for i in range(args.warm_up + args.orders):
            side = "buy" if i % 2 == 0 else "sell"
            started = time.perf_counter_ns()
            order = await ex.create_order(SYMBOL, "market", side, 0.002)
            took = time.perf_counter_ns() - started
            if order.get("status") not in ("closed", "open"):
                raise RuntimeError(f"unexpected order status {order.get('status')}")
            if i >= args.warm_up:
                latencies.append(took)
        print("LATENCIES_NS " + " ".join(str(n) for n in latencies), flush=True)
    finally:
        await ex.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--root", required=True)
    p.add_argument("--cert")
    p.add_argument("--api-key", required=True)
    p.add_argument("--api-secret", required=True)
    p.add_argument("--warm-up", type=int, default=200)
    p.add_argument("--orders", type=int, default=2000)
    args = p.parse_args()
    if urllib.parse.urlsplit(args.root).hostname not in LOOPBACK:
        print(f"{args.root} is not loopback", file=sys.stderr)
        return 2
    asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
