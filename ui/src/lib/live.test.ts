import { describe, expect, it } from "vitest";
import type { AccountLive } from "./bindings/AccountLive";
import type { InstrumentRules } from "./bindings/InstrumentRules";
import type { LiveChanges } from "./bindings/LiveChanges";
import type { MarketLive } from "./bindings/MarketLive";
import type { Position } from "./bindings/Position";
import {
  barPercent,
  bookSpread,
  exposureByAsset,
  largestLevel,
  liquidationDistance,
  mergeAccounts,
  mergeMarket,
  netPosition,
  openPositions,
  pnlPercent,
} from "./live";

function account(id: string, version: number, positions: Position[] = []): AccountLive {
  return {
    accountId: id,
    stream: { state: "live" },
    resyncedMs: null,
    resyncError: null,
    openOrders: [],
    positions,
    balances: [],
    fills: [],
    version,
  };
}

function changes(followed: string[], changed: AccountLive[], market?: MarketLive | null): LiveChanges {
  return { followed, changed, marketChanged: market !== undefined, market: market ?? null };
}

function position(symbol: string, qty: string, mark: string, extra: Partial<Position> = {}): Position {
  return {
    symbol,
    positionSide: "net",
    marginMode: "cross",
    qty,
    entryPrice: mark,
    markPrice: mark,
    unrealizedPnl: "0",
    leverage: "10",
    liquidationPrice: null,
    greeks: null,
    ...extra,
  };
}

const btc: InstrumentRules = {
  symbol: "BTCUSDT",
  category: "linear",
  kind: "perpetual",
  baseAsset: "BTC",
  quoteAsset: "USDT",
  settleAsset: "USDT",
  trading: true,
  tickSize: "0.1",
  tickSteps: [],
  minPrice: "0",
  maxPrice: "0",
  stepSize: "0.001",
  minQty: "0.001",
  maxQty: "1000",
  maxMarketQty: "120",
  minNotional: "100",
  contractSize: null,
  expiryMs: null,
  option: null,
  maxLeverage: "125",
};

describe("live merge", () => {
  it("replaces changed accounts whole, keeps the others and drops the unfollowed", () => {
    let state = mergeAccounts({}, changes(["a", "b"], [account("a", 1), account("b", 1)]));
    expect(Object.keys(state).sort()).toEqual(["a", "b"]);
    state = mergeAccounts(state, changes(["a", "b"], [account("a", 2, [position("BTCUSDT", "1", "100")])]));
    expect(state["a"]?.version).toBe(2);
    expect(state["a"]?.positions).toHaveLength(1);
    expect(state["b"]?.version).toBe(1);
    state = mergeAccounts(state, changes(["a"], []));
    expect(Object.keys(state)).toEqual(["a"]);
  });

  it("never goes back to an older version, and ignores accounts not followed", () => {
    const state = mergeAccounts({ a: account("a", 5) }, changes(["a"], [account("a", 4), account("x", 1)]));
    expect(state["a"]?.version).toBe(5);
    expect(state["x"]).toBeUndefined();
  });

  it("replaces the market only when it changed; null when no longer watched", () => {
    const market = { symbol: "BTCUSDT" } as MarketLive;
    expect(mergeMarket(null, changes([], [], market))).toBe(market);
    expect(mergeMarket(market, changes([], []))).toBe(market);
    expect(mergeMarket(market, changes([], [], null))).toBeNull();
  });
});

describe("positions", () => {
  it("lists held positions and nets a symbol", () => {
    const all = [position("BTCUSDT", "0", "1"), position("BTCUSDT", "0.5", "1"), position("ETHUSDT", "-2", "1")];
    expect(openPositions(all).map((p) => p.symbol)).toEqual(["BTCUSDT", "ETHUSDT"]);
    expect(netPosition(all, "BTCUSDT")).toBe("0.5");
    expect(netPosition(all, "SOLUSDT")).toBe("0");
  });

  it("measures the distance to liquidation from the mark", () => {
    expect(liquidationDistance(position("BTCUSDT", "1", "100", { liquidationPrice: "90" }))).toBe("10");
    expect(liquidationDistance(position("BTCUSDT", "-1", "100", { liquidationPrice: "112.5" }))).toBe("12.5");
    expect(liquidationDistance(position("BTCUSDT", "1", "3", { liquidationPrice: "2" }))).toBe("33.3333");
    expect(liquidationDistance(position("BTCUSDT", "1", "100", { liquidationPrice: "0" }))).toBeNull();
    expect(liquidationDistance(position("BTCUSDT", "1", "100"))).toBeNull();
  });

  it("gives the PnL in percent of the entry value", () => {
    const p = position("BTCUSDT", "-0.5", "110", { entryPrice: "100", unrealizedPnl: "-5" });
    expect(pnlPercent(p, btc)).toBe("-10");
    expect(pnlPercent(p, undefined)).toBe("-10");
  });

  it("sums exposure per asset across accounts, long and short apart", () => {
    const rows = [
      { accountId: "a", position: position("BTCUSDT", "0.5", "60000.1") },
      { accountId: "b", position: position("BTCUSDT", "-0.2", "60000.1") },
      { accountId: "b", position: position("ETHUSDT", "3", "3000") },
      { accountId: "b", position: position("SOLUSDT", "0", "150") },
    ];
    const exposure = exposureByAsset(rows, (_, symbol) => (symbol === "BTCUSDT" ? btc : undefined));
    expect(exposure).toEqual([
      { asset: "BTC", netQty: "0.3", long: "30000.05", short: "12000.02", net: "18000.03", valueAsset: "USDT", positions: 2, delta: "0.3", deltaUnknown: 0 },
      { asset: "ETHUSDT", netQty: "3", long: "9000", short: "0", net: "9000", valueAsset: "", positions: 1, delta: "3", deltaUnknown: 0 },
    ]);
  });

  it("adds up venues that count in coins, in contracts and in USD contracts", () => {
    // Binance and Bybit linear count BTC; OKX's BTC-USDT-SWAP counts contracts of 0.01 BTC;
    // Bybit's inverse BTCUSD counts USD contracts of 1 USD each.
    const okxSwap = { ...btc, symbol: "BTC-USDT-SWAP", contractSize: "0.01" };
    const inverse = { ...btc, symbol: "BTCUSD", category: "inverse" as const, quoteAsset: "USD", settleAsset: "BTC", contractSize: "1" };
    const rules: Record<string, InstrumentRules> = { BTCUSDT: btc, "BTC-USDT-SWAP": okxSwap, BTCUSD: inverse };
    const rows = [
      { accountId: "binance", position: position("BTCUSDT", "0.01", "50000") },
      { accountId: "bybit", position: position("BTCUSDT", "0.02", "50000") },
      { accountId: "okx", position: position("BTC-USDT-SWAP", "3", "50000") },
      { accountId: "bybit", position: position("BTCUSD", "-1000", "50000") },
    ];
    const exposure = exposureByAsset(rows, (_, symbol) => rules[symbol]);
    // 0.01 + 0.02 + 3 × 0.01 − 1000 / 50000 = 0.04 BTC; 3,000 long, 1,000 short, in dollars.
    expect(exposure).toEqual([
      { asset: "BTC", netQty: "0.04", long: "3000", short: "1000", net: "2000", valueAsset: "USD", positions: 4, delta: "0.04", deltaUnknown: 0 },
    ]);
  });

  it("sums delta per underlying with options at their reported delta, and their size nowhere else", () => {
    const perp = { ...btc, symbol: "BTC-PERPETUAL", category: "inverse" as const, quoteAsset: "USD", settleAsset: "BTC", contractSize: "1" };
    const call = {
      ...btc,
      symbol: "BTC-26DEC26-70000-C",
      category: "option" as const,
      quoteAsset: "BTC",
      settleAsset: "BTC",
      contractSize: "1",
      option: { underlying: "BTC", strike: "70000", right: "call" as const, premiumCurrency: "BTC" },
    };
    const put = { ...call, symbol: "BTC-26DEC26-50000-P", option: { ...call.option, strike: "50000", right: "put" as const } };
    const rules: Record<string, InstrumentRules> = { BTCUSDT: btc, "BTC-PERPETUAL": perp, [call.symbol]: call, [put.symbol]: put };
    const greeks = (delta: string) => ({ delta, gamma: "0.00002", vega: "12.5", theta: "-30" });
    const rows = [
      { accountId: "binance", position: position("BTCUSDT", "0.5", "60000") },
      { accountId: "deribit", position: position("BTC-PERPETUAL", "-12000", "60000") },
      { accountId: "deribit", position: position(call.symbol, "2", "0.031", { greeks: greeks("0.84") }) },
      { accountId: "deribit", position: position(put.symbol, "-3", "0.012", { greeks: greeks("0.45") }) },
      { accountId: "deribit", position: position(put.symbol.replace("50000", "55000"), "1", "0.02") },
    ];
    rules[put.symbol.replace("50000", "55000")] = put;
    const [btcRow] = exposureByAsset(rows, (_, symbol) => rules[symbol]);
    // Futures: 0.5 − 12000 / 60000 = 0.3 BTC; options: 0.84 + 0.45 (a short put's delta as
    // reported, already signed) = 1.29; one option without greeks is counted apart.
    expect(btcRow).toMatchObject({ asset: "BTC", netQty: "0.3", delta: "1.59", deltaUnknown: 1, positions: 5 });
    expect(btcRow?.long).toBe("30000");
    expect(btcRow?.short).toBe("12000");
  });
});

describe("book", () => {
  const book = {
    symbol: "BTCUSDT",
    bids: [{ price: "99.9", qty: "2" }, { price: "99.8", qty: "5" }],
    asks: [{ price: "100.1", qty: "1" }],
    updateId: 1,
    timeMs: 0,
  };

  it("gives the spread at the top of the book", () => {
    expect(bookSpread(book)).toEqual({ bestBid: "99.9", bestAsk: "100.1", spread: "0.2", percent: "0.2", mid: "100" });
    expect(bookSpread({ ...book, asks: [] })).toBeNull();
    expect(bookSpread(null)).toBeNull();
  });

  it("sizes depth bars against the largest level", () => {
    expect(largestLevel(book)).toBe("5");
    expect(barPercent("2", "5")).toBe(40);
    expect(barPercent("2", "0")).toBe(0);
    expect(largestLevel(null)).toBe("0");
  });
});
