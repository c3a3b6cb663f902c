import { describe, expect, it } from "vitest";
import type { ChainExpiry } from "./bindings/ChainExpiry";
import type { InstrumentRules } from "./bindings/InstrumentRules";
import type { OptionQuote } from "./bindings/OptionQuote";
import { atmStrike, expiryLabel, inTheMoney, pickOf, underlyingsOf } from "./chain";

function option(symbol: string, underlying: string): InstrumentRules {
  return {
    symbol,
    category: "option",
    kind: "dated",
    baseAsset: underlying,
    quoteAsset: underlying,
    settleAsset: underlying,
    trading: true,
    tickSize: "0.0001",
    tickSteps: [],
    minPrice: "0",
    maxPrice: "0",
    stepSize: "0.1",
    minQty: "0.1",
    maxQty: "0",
    maxMarketQty: "0",
    minNotional: "0",
    contractSize: "1",
    expiryMs: 1_798_185_600_000,
    option: { underlying, strike: "60000", right: "call", premiumCurrency: underlying },
    maxLeverage: null,
  };
}

function quote(symbol: string, bid: string | null, ask: string | null): OptionQuote {
  return { symbol, bid, ask, mark: "0.047", markIv: "54", underlyingPrice: "60100", openInterest: null, volume: null };
}

describe("options chain", () => {
  it("lists the underlyings with options, BTC first", () => {
    const perpetual = { ...option("BTC-PERPETUAL", "BTC"), category: "inverse", option: null } as const;
    expect(underlyingsOf([option("SOL-1-C", "SOL"), option("ETH-1-C", "ETH"), perpetual, option("BTC-1-C", "BTC"), option("BTC-2-C", "BTC")])).toEqual([
      "BTC",
      "ETH",
      "SOL",
    ]);
    expect(underlyingsOf([perpetual])).toEqual([]);
  });

  it("finds the strike nearest the underlying price", () => {
    const rows = ["50000", "55000", "60000", "65000"].map((strike) => ({ strike, call: null, put: null }));
    const expiry: ChainExpiry = { expiryMs: 1, underlyingPrice: "61234.5", rows };
    expect(atmStrike(expiry)).toBe("60000");
    expect(atmStrike({ ...expiry, underlyingPrice: "62500" })).toBe("60000");
    expect(atmStrike({ ...expiry, underlyingPrice: "62500.01" })).toBe("65000");
    expect(atmStrike({ ...expiry, underlyingPrice: null })).toBe(null);
    expect(atmStrike({ ...expiry, rows: [] })).toBe(null);
  });

  it("says which options are in the money", () => {
    expect(inTheMoney("55000", "60000", "call")).toBe(true);
    expect(inTheMoney("65000", "60000", "call")).toBe(false);
    expect(inTheMoney("65000", "60000", "put")).toBe(true);
    expect(inTheMoney("60000", "60000", "put")).toBe(false);
    expect(inTheMoney("55000", null, "call")).toBe(false);
  });

  it("names an expiry as the venue does, with the time left", () => {
    const dec25 = Date.UTC(2026, 11, 25, 8);
    expect(expiryLabel(dec25, Date.UTC(2026, 11, 7, 8))).toBe("25DEC26 · 18d");
    expect(expiryLabel(dec25, Date.UTC(2026, 11, 24, 8))).toBe("25DEC26 · 24h");
    expect(expiryLabel(Date.UTC(2027, 2, 5, 8), dec25)).toBe("5MAR27 · 70d");
  });

  it("buys at the ask, sells at the bid, and keeps the side at the mark", () => {
    const q = quote("BTC-25DEC26-60000-C", "0.0465", "0.0475");
    expect(pickOf(q, "ask")).toEqual({ symbol: "BTC-25DEC26-60000-C", side: "buy", price: "0.0475" });
    expect(pickOf(q, "bid")).toEqual({ symbol: "BTC-25DEC26-60000-C", side: "sell", price: "0.0465" });
    expect(pickOf(q, "mark")).toEqual({ symbol: "BTC-25DEC26-60000-C", side: null, price: "0.047" });
    expect(pickOf(quote("X", null, "0.1"), "bid")).toBe(null);
  });
});
