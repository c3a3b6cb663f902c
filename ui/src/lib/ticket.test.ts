import { describe, expect, it } from "vitest";
import type { InstrumentRules } from "./bindings/InstrumentRules";
import {
  type TicketContext,
  type TicketDraft,
  beyondBand,
  checkLeverage,
  checkPrice,
  checkQty,
  formatCompact,
  formatDecimal,
  formatPercent,
  formatPrice,
  formatQty,
  markDistance,
  parseDecimal,
  qtyToCoin,
  qtyToNotional,
  quoteToQty,
  resultingPosition,
  sizeUnit,
  summarize,
  tickAt,
  validateTicket,
} from "./ticket";

// Binance USDⓈ-M BTCUSDT-like: sizes in BTC, PRICE_FILTER / LOT_SIZE / MARKET_LOT_SIZE / MIN_NOTIONAL.
const binance: InstrumentRules = {
  symbol: "BTCUSDT",
  category: "linear",
  kind: "perpetual",
  baseAsset: "BTC",
  quoteAsset: "USDT",
  settleAsset: "USDT",
  trading: true,
  tickSize: "0.1",
  tickSteps: [],
  minPrice: "556.8",
  maxPrice: "4529764",
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

// Deribit BTC-PERPETUAL-like inverse: 10 USD contracts, tick 0.5, no bounds.
const deribitPerp: InstrumentRules = {
  symbol: "BTC-PERPETUAL",
  category: "inverse",
  kind: "perpetual",
  baseAsset: "BTC",
  quoteAsset: "USD",
  settleAsset: "BTC",
  trading: true,
  tickSize: "0.5",
  tickSteps: [],
  minPrice: "0",
  maxPrice: "0",
  stepSize: "1",
  minQty: "1",
  maxQty: "0",
  maxMarketQty: "0",
  minNotional: "0",
  contractSize: "10",
  expiryMs: null,
  option: null,
  maxLeverage: "50",
};

// Deribit BTC option-like: tick 0.0001 below 0.005 BTC, 0.0005 from there up.
const deribitOption: InstrumentRules = {
  symbol: "BTC-25DEC26-100000-C",
  category: "option",
  kind: "dated",
  baseAsset: "BTC",
  quoteAsset: "BTC",
  settleAsset: "BTC",
  trading: true,
  tickSize: "0.0001",
  tickSteps: [{ fromPrice: "0.005", tick: "0.0005" }],
  minPrice: "0",
  maxPrice: "0",
  stepSize: "0.1",
  minQty: "0.1",
  maxQty: "0",
  maxMarketQty: "0",
  minNotional: "0",
  contractSize: "1",
  expiryMs: 1_798_185_600_000,
  option: { underlying: "BTC", strike: "100000", right: "call", premiumCurrency: "BTC" },
  maxLeverage: null,
};

// OKX BTC-USDT-SWAP-like: linear, counted in contracts of 0.01 BTC (ctVal).
const okx: InstrumentRules = {
  symbol: "BTC-USDT-SWAP",
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
  stepSize: "0.01",
  minQty: "0.01",
  maxQty: "100000",
  maxMarketQty: "12000",
  minNotional: "0",
  contractSize: "0.01",
  expiryMs: null,
  option: null,
  maxLeverage: "100",
};

function refusal(result: ReturnType<typeof parseDecimal>) {
  if (result.ok) {
    throw new Error(`expected a refusal, got ${result.value}`);
  }
  return result.error;
}

describe("parseDecimal", () => {
  it("reads plain decimals, trimming spaces and normalising", () => {
    expect(parseDecimal(" 64250.5 ", "price")).toEqual({ ok: true, value: "64250.5" });
    expect(parseDecimal("007.50", "qty")).toEqual({ ok: true, value: "7.5" });
    expect(parseDecimal("5.", "qty")).toEqual({ ok: true, value: "5" });
    expect(parseDecimal(".5", "qty")).toEqual({ ok: true, value: "0.5" });
    expect(parseDecimal("0000000000000001", "qty")).toEqual({ ok: true, value: "1" });
    expect(parseDecimal("0.1000000000000000000000", "qty")).toEqual({ ok: true, value: "0.1" });
  });

  it("takes thousands separators only in groups of three", () => {
    expect(parseDecimal("64,250.5", "price")).toEqual({ ok: true, value: "64250.5" });
    expect(parseDecimal("1,234,567", "qty")).toEqual({ ok: true, value: "1234567" });
    expect(refusal(parseDecimal("12,34,567", "qty")).code).toBe("not_a_number");
    expect(refusal(parseDecimal("1,234,56.5", "qty")).code).toBe("not_a_number");
  });

  it("refuses a decimal comma instead of guessing", () => {
    expect(refusal(parseDecimal("0,5", "qty"))).toEqual({
      field: "qty",
      code: "decimal_comma",
      message: "Use a point for decimals: 0.5, not 0,5.",
      nearest: null,
    });
    expect(refusal(parseDecimal("0,500", "qty")).message).toBe("Use a point for decimals: 0.500, not 0,500.");
    expect(refusal(parseDecimal("1,2345", "price")).code).toBe("decimal_comma");
  });

  it("refuses empty input", () => {
    expect(refusal(parseDecimal("", "price"))).toEqual({
      field: "price",
      code: "empty",
      message: "Enter a price.",
      nearest: null,
    });
    expect(refusal(parseDecimal("   ", "triggerPrice")).message).toBe("Enter a trigger price.");
  });

  it("refuses negatives with the reason", () => {
    expect(refusal(parseDecimal("-1", "qty"))).toEqual({
      field: "qty",
      code: "negative",
      message: "Quantity cannot be negative; the Buy or Sell button sets the direction.",
      nearest: null,
    });
    expect(refusal(parseDecimal("−1", "price")).code).toBe("negative");
    expect(refusal(parseDecimal("-0.001", "price")).code).toBe("negative");
  });

  it("refuses zero unless allowed", () => {
    expect(refusal(parseDecimal("0", "price")).message).toBe("Price must be more than 0.");
    expect(refusal(parseDecimal("0.000", "qty")).code).toBe("zero");
    expect(refusal(parseDecimal("-0", "qty")).code).toBe("zero");
    expect(parseDecimal("0", "qty", { allowZero: true })).toEqual({ ok: true, value: "0" });
  });

  it("refuses NaN, Infinity, letters, several points and signs", () => {
    const message = "Price must be a number written with digits and at most one point, like 0.5.";
    for (const text of ["NaN", "Infinity", "-Infinity", "abc", "12a", "0x10", "1.2.3", "1_000", "1 000", "+5", ".", "-", "٣"]) {
      expect(refusal(parseDecimal(text, "price")), text).toEqual({
        field: "price",
        code: "not_a_number",
        message,
        nearest: null,
      });
    }
  });

  it("refuses exponent notation", () => {
    for (const text of ["1e3", "1E-3", "-1e3", "2.5e+2", ".5e1"]) {
      expect(refusal(parseDecimal(text, "qty")), text).toEqual({
        field: "qty",
        code: "exponent",
        message: "Write the quantity in full digits, without exponent notation (1000, not 1e3).",
        nearest: null,
      });
    }
  });

  it("refuses absurdly long, huge and over-precise input", () => {
    expect(refusal(parseDecimal("1".repeat(41), "qty"))).toEqual({
      field: "qty",
      code: "too_long",
      message: "Quantity is too long: at most 40 characters.",
      nearest: null,
    });
    expect(refusal(parseDecimal("9999999999999999", "price")).message).toBe("Price is too large to be an order.");
    expect(parseDecimal("999999999999999", "price")).toEqual({ ok: true, value: "999999999999999" });
    expect(refusal(parseDecimal("0.0000000000000000001", "price")).message).toBe("Price has too many decimals.");
  });
});

describe("tickAt", () => {
  it("uses tickSize below the first step and each step's tick from its price up", () => {
    expect(tickAt(deribitOption, "0.0049")).toBe("0.0001");
    expect(tickAt(deribitOption, "0.005")).toBe("0.0005");
    expect(tickAt(deribitOption, "0.125")).toBe("0.0005");
    expect(tickAt(binance, "64250")).toBe("0.1");
  });
});

describe("checkPrice", () => {
  it("accepts prices on the tick within bounds", () => {
    expect(checkPrice(binance, "64250.1")).toEqual({ ok: true, value: "64250.1" });
    expect(checkPrice(binance, "64,250.10")).toEqual({ ok: true, value: "64250.1" });
    expect(checkPrice(binance, "556.8")).toEqual({ ok: true, value: "556.8" });
    expect(checkPrice(deribitPerp, "64250.5")).toEqual({ ok: true, value: "64250.5" });
    expect(checkPrice(deribitOption, "0.0049")).toEqual({ ok: true, value: "0.0049" });
    expect(checkPrice(deribitOption, "0.0055")).toEqual({ ok: true, value: "0.0055" });
  });

  it("refuses too many decimals with the nearest prices both sides", () => {
    expect(refusal(checkPrice(binance, "64250.15"))).toEqual({
      field: "price",
      code: "too_many_decimals",
      message: "Price takes at most 1 decimal here (tick 0.1): nearest are 64,250.1 and 64,250.2.",
      nearest: { below: "64250.1", above: "64250.2" },
    });
  });

  it("refuses off-tick prices with the nearest prices both sides", () => {
    expect(refusal(checkPrice(deribitPerp, "64250.3", "triggerPrice"))).toEqual({
      field: "triggerPrice",
      code: "off_tick",
      message: "Trigger price must be a multiple of the tick 0.5: nearest are 64,250.0 and 64,250.5.",
      nearest: { below: "64250", above: "64250.5" },
    });
    expect(refusal(checkPrice(deribitPerp, "64250.25")).nearest).toEqual({ below: "64250", above: "64250.5" });
  });

  it("uses the tick at the price on a Deribit ladder", () => {
    expect(refusal(checkPrice(deribitOption, "0.0052"))).toEqual({
      field: "price",
      code: "off_tick",
      message: "Price must be a multiple of the tick 0.0005: nearest are 0.0050 and 0.0055.",
      nearest: { below: "0.005", above: "0.0055" },
    });
    expect(refusal(checkPrice(deribitOption, "0.00512"))).toEqual({
      field: "price",
      code: "too_many_decimals",
      message: "Price takes at most 4 decimals here (tick 0.0005): nearest are 0.0050 and 0.0055.",
      nearest: { below: "0.005", above: "0.0055" },
    });
    // Just under the step: the small tick below, the step's first price above.
    expect(refusal(checkPrice(deribitOption, "0.00495")).nearest).toEqual({ below: "0.0049", above: "0.005" });
    // Below the smallest tick: nothing valid below.
    expect(refusal(checkPrice(deribitOption, "0.00005"))).toEqual({
      field: "price",
      code: "too_many_decimals",
      message: "Price takes at most 4 decimals here (tick 0.0001): nearest is 0.0001.",
      nearest: { below: null, above: "0.0001" },
    });
  });

  it("crosses segments when a step starts off the larger tick", () => {
    const ladder: InstrumentRules = { ...deribitPerp, tickSize: "1", tickSteps: [{ fromPrice: "12", tick: "5" }] };
    expect(refusal(checkPrice(ladder, "13")).nearest).toEqual({ below: "11", above: "15" });
    expect(refusal(checkPrice(ladder, "12")).nearest).toEqual({ below: "11", above: "15" });
    expect(refusal(checkPrice(ladder, "11.5")).nearest).toEqual({ below: "11", above: "15" });
    expect(checkPrice(ladder, "11")).toEqual({ ok: true, value: "11" });
    expect(checkPrice(ladder, "15")).toEqual({ ok: true, value: "15" });
  });

  it("refuses prices outside minPrice/maxPrice with the nearest valid bound", () => {
    expect(refusal(checkPrice(binance, "500"))).toEqual({
      field: "price",
      code: "below_min",
      message: "Price must be at least 556.8.",
      nearest: { below: null, above: "556.8" },
    });
    expect(refusal(checkPrice(binance, "5000000"))).toEqual({
      field: "price",
      code: "above_max",
      message: "Price must be at most 4,529,764.0.",
      nearest: { below: "4529764", above: null },
    });
    // Off the tick and just above the bound: the nearest above would break the bound.
    expect(refusal(checkPrice({ ...binance, maxPrice: "70000" }, "69999.95")).nearest).toEqual({
      below: "69999.9",
      above: "70000",
    });
    expect(refusal(checkPrice({ ...binance, minPrice: "556.8" }, "556.85")).nearest).toEqual({
      below: "556.8",
      above: "556.9",
    });
  });

  it("treats a zero bound as no bound", () => {
    expect(checkPrice(deribitPerp, "999999999999999")).toEqual({ ok: true, value: "999999999999999" });
    expect(checkPrice(deribitPerp, "0.5")).toEqual({ ok: true, value: "0.5" });
  });

  it("passes parse refusals through", () => {
    expect(refusal(checkPrice(binance, "1e5")).code).toBe("exponent");
    expect(refusal(checkPrice(binance, "0")).code).toBe("zero");
    expect(refusal(checkPrice(binance, "-64250")).code).toBe("negative");
  });
});

describe("markDistance and beyondBand", () => {
  it("measures signed percent from the mark and which side is through", () => {
    expect(markDistance("buy", "64900", "64250")).toEqual({ percent: "1.0117", through: true });
    expect(markDistance("sell", "64900", "64250")).toEqual({ percent: "1.0117", through: false });
    expect(markDistance("sell", "63000", "64250")).toEqual({ percent: "-1.9455", through: true });
    expect(markDistance("buy", "63000", "64250")).toEqual({ percent: "-1.9455", through: false });
    expect(markDistance("buy", "64250", "64250")).toEqual({ percent: "0", through: false });
  });

  it("flags only limits further through the mark than the band", () => {
    expect(beyondBand("buy", "67500", "64250", "5")).toBe(true);
    expect(beyondBand("buy", "61000", "64250", "5")).toBe(false);
    expect(beyondBand("sell", "61000", "64250", "5")).toBe(true);
    expect(beyondBand("sell", "67500", "64250", "5")).toBe(false);
    // Exactly at the band is allowed.
    expect(beyondBand("buy", "67200", "64000", "5")).toBe(false);
    expect(beyondBand("buy", "67200.1", "64000", "5")).toBe(true);
  });
});

describe("checkQty", () => {
  const limit = { orderType: "limit", reduceOnly: false, price: "64250" } as const;

  it("accepts sizes on the step worth the minimum notional", () => {
    expect(checkQty(binance, "0.002", limit)).toEqual({ ok: true, value: "0.002" });
    expect(checkQty(binance, "1000", limit)).toEqual({ ok: true, value: "1000" });
    expect(checkQty(binance, "121", limit)).toEqual({ ok: true, value: "121" });
  });

  it("refuses sizes under the minimum notional, offering the smallest that is enough", () => {
    expect(refusal(checkQty(binance, "0.001", limit))).toEqual({
      field: "qty",
      code: "below_min_notional",
      message:
        "Order value 64.25 USDT is below the minimum 100.00 USDT: use at least 0.002 BTC (reduce-only orders are exempt).",
      nearest: { below: null, above: "0.002" },
    });
    // 100 / 50000 = 0.002 exactly: that is enough.
    expect(checkQty(binance, "0.002", { ...limit, price: "50000" })).toEqual({ ok: true, value: "0.002" });
    expect(refusal(checkQty(binance, "0.001", { ...limit, price: "50000" })).nearest).toEqual({
      below: null,
      above: "0.002",
    });
  });

  it("exempts reduce-only orders from the minimum notional", () => {
    expect(checkQty(binance, "0.001", { ...limit, reduceOnly: true })).toEqual({ ok: true, value: "0.001" });
  });

  it("needs a price to check the minimum notional of a linear contract", () => {
    expect(refusal(checkQty(binance, "0.01", { orderType: "market", reduceOnly: false, price: null }))).toEqual({
      field: "qty",
      code: "no_reference_price",
      message: "Waiting for a price to check the order's value against the minimum.",
      nearest: null,
    });
  });

  it("refuses sizes below minQty", () => {
    expect(refusal(checkQty(binance, "0.0005", limit))).toEqual({
      field: "qty",
      code: "below_min",
      message: "Quantity must be at least 0.001 BTC.",
      nearest: { below: null, above: "0.002" },
    });
    expect(refusal(checkQty(binance, "0.0005", { ...limit, reduceOnly: true })).nearest).toEqual({
      below: null,
      above: "0.001",
    });
  });

  it("caps limit orders at maxQty and market orders at maxMarketQty", () => {
    expect(refusal(checkQty(binance, "1001", limit))).toEqual({
      field: "qty",
      code: "above_max",
      message: "Quantity must be at most 1,000.000 BTC.",
      nearest: { below: "1000", above: null },
    });
    const market = { orderType: "market", reduceOnly: false, price: "64250" } as const;
    expect(refusal(checkQty(binance, "121", market))).toEqual({
      field: "qty",
      code: "above_max",
      message: "Quantity must be at most 120.000 BTC for a market order; use a limit order for more.",
      nearest: { below: "120", above: null },
    });
    expect(refusal(checkQty(binance, "121", { ...market, orderType: "stop_market" })).code).toBe("above_max");
    expect(checkQty(binance, "120", market)).toEqual({ ok: true, value: "120" });
  });

  it("refuses sizes off the step with both nearest sizes", () => {
    expect(refusal(checkQty(binance, "1.2345", limit))).toEqual({
      field: "qty",
      code: "too_many_decimals",
      message: "Quantity takes at most 3 decimals (step 0.001): nearest are 1.234 BTC and 1.235 BTC.",
      nearest: { below: "1.234", above: "1.235" },
    });
    // The size below is worth less than the minimum notional: only the one above is offered.
    expect(refusal(checkQty(binance, "0.0015", limit)).nearest).toEqual({ below: null, above: "0.002" });
    const halves: InstrumentRules = { ...okx, stepSize: "0.5", minQty: "0.5" };
    expect(refusal(checkQty(halves, "1.2", limit))).toEqual({
      field: "qty",
      code: "off_step",
      message: "Quantity must be a multiple of the step 0.5: nearest are 1.0 contracts and 1.5 contracts.",
      nearest: { below: "1", above: "1.5" },
    });
    expect(refusal(checkQty(deribitPerp, "2.5", limit))).toEqual({
      field: "qty",
      code: "too_many_decimals",
      message: "Quantity takes at most 0 decimals (step 1): nearest are 2 contracts and 3 contracts.",
      nearest: { below: "2", above: "3" },
    });
  });

  it("refuses every bad input with its reason", () => {
    const codes = ["", "0", "-1", "NaN", "Infinity", "1e3", "1.2.3", "abc", "9".repeat(50)].map(
      (text) => refusal(checkQty(binance, text, limit)).code,
    );
    expect(codes).toEqual([
      "empty",
      "zero",
      "negative",
      "not_a_number",
      "not_a_number",
      "exponent",
      "not_a_number",
      "not_a_number",
      "too_long",
    ]);
  });

  it("values inverse sizes without a price", () => {
    const inverse: InstrumentRules = { ...deribitPerp, minNotional: "100" };
    expect(refusal(checkQty(inverse, "5", { orderType: "market", reduceOnly: false, price: null }))).toEqual({
      field: "qty",
      code: "below_min_notional",
      message:
        "Order value 50.00 USD is below the minimum 100.00 USD: use at least 10 contracts (reduce-only orders are exempt).",
      nearest: { below: null, above: "10" },
    });
  });
});

describe("conversions", () => {
  it("converts a quote amount to a size rounded down to the step", () => {
    expect(quoteToQty(binance, "1000", "64250")).toBe("0.015");
    expect(quoteToQty(binance, "100", "64250")).toBe("0.001");
    expect(quoteToQty(binance, "128.5", "64250")).toBe("0.002");
    expect(quoteToQty(binance, "128.49", "64250")).toBe("0.001");
    expect(quoteToQty(binance, "1", "64250")).toBe("0");
    expect(quoteToQty(binance, "1000", null)).toBe(null);
    expect(quoteToQty(binance, "1000", "0")).toBe(null);
  });

  it("counts linear contracts with their contract size", () => {
    expect(quoteToQty(okx, "1000", "64250")).toBe("1.55");
    expect(quoteToQty(okx, "642.5", "64250")).toBe("1");
    expect(sizeUnit(okx)).toBe("contracts");
    expect(sizeUnit(binance)).toBe("BTC");
  });

  it("counts inverse contracts in USD, whatever the price", () => {
    expect(quoteToQty(deribitPerp, "1005", null)).toBe("100");
    expect(quoteToQty(deribitPerp, "9.99", "64250")).toBe("0");
    expect(sizeUnit(deribitPerp)).toBe("contracts");
  });

  it("values a size in the quote currency", () => {
    expect(qtyToNotional(binance, "0.015", "64250")).toBe("963.75");
    expect(qtyToNotional(okx, "1.55", "64250")).toBe("995.875");
    expect(qtyToNotional(deribitPerp, "100", "64250")).toBe("1000");
    expect(qtyToNotional(binance, "0.3", "0.1")).toBe("0.03");
  });

  it("gives a size in coins", () => {
    expect(qtyToCoin(binance, "0.015", "64250")).toBe("0.015");
    expect(qtyToCoin(okx, "1.55", "64250")).toBe("0.0155");
    expect(qtyToCoin(deribitPerp, "100", "64250")).toBe("0.0155642");
    expect(qtyToCoin(deribitPerp, "1", "3")).toBe("3.33333333");
  });
});

describe("resultingPosition", () => {
  it("adds the signed order size", () => {
    expect(resultingPosition("0.01", "buy", "0.015", false)).toBe("0.025");
    expect(resultingPosition("0.5", "sell", "0.8", false)).toBe("-0.3");
    expect(resultingPosition("0", "sell", "1", false)).toBe("-1");
  });

  it("never lets reduce-only flip or grow a position", () => {
    expect(resultingPosition("0.5", "sell", "0.8", true)).toBe("0");
    expect(resultingPosition("0.5", "sell", "0.2", true)).toBe("0.3");
    expect(resultingPosition("0.5", "buy", "0.2", true)).toBe("0.5");
    expect(resultingPosition("-0.3", "buy", "0.1", true)).toBe("-0.2");
    expect(resultingPosition("0", "sell", "1", true)).toBe("0");
  });
});

describe("summarize", () => {
  it("gives a limit order's notional, fee, distance and resulting position", () => {
    expect(
      summarize(binance, {
        side: "buy",
        orderType: "limit",
        qty: "0.015",
        price: "64900",
        triggerPrice: null,
        mark: "64250",
        feeRate: "0.0005",
        position: "0.01",
        reduceOnly: false,
      }),
    ).toEqual({
      notional: "973.5",
      notionalAsset: "USDT",
      fee: "0.48675",
      feeAsset: "USDT",
      distanceFromMark: { percent: "1.0117", through: true },
      resultingPosition: "0.025",
      usdValue: null,
    });
  });

  it("values a market order at the mark and an inverse fee in the coin", () => {
    expect(
      summarize(deribitPerp, {
        side: "sell",
        orderType: "market",
        qty: "100",
        price: null,
        triggerPrice: null,
        mark: "64250",
        feeRate: "0.0005",
        position: "-50",
        reduceOnly: false,
      }),
    ).toEqual({
      notional: "1000",
      notionalAsset: "USD",
      fee: "0.00000778",
      feeAsset: "BTC",
      distanceFromMark: null,
      resultingPosition: "-150",
      usdValue: null,
    });
  });

  it("prices an option's premium in BTC, shows its USD value and caps its fee at 12.5 % of the premium", () => {
    const buy = {
      side: "buy",
      orderType: "limit",
      qty: "2.5",
      price: "0.0475",
      triggerPrice: null,
      mark: "0.047",
      feeRate: "0.0003",
      position: "0",
      reduceOnly: false,
      underlyingPrice: "60123.45",
    } as const;
    expect(summarize(deribitOption, buy)).toEqual({
      notional: "0.11875",
      notionalAsset: "BTC",
      // 0.0003 BTC a contract: 0.00075 BTC, under the cap of 0.0148438 BTC.
      fee: "0.00075",
      feeAsset: "BTC",
      distanceFromMark: { percent: "1.0638", through: true },
      resultingPosition: "2.5",
      usdValue: "7139.66",
    });
    // A cheap option: 12.5 % of a 0.0001 BTC premium is less than 0.0003 BTC a contract.
    const cheap = summarize(deribitOption, { ...buy, qty: "1", price: "0.0001" });
    expect(cheap?.fee).toBe("0.0000125");
    expect(cheap?.usdValue).toBe("6.01");
    expect(summarize(deribitOption, { ...buy, underlyingPrice: null })?.usdValue).toBe(null);
  });

  it("values a stop-market order at its trigger and cannot value a market order without a mark", () => {
    const stop = {
      side: "sell",
      orderType: "stop_market",
      qty: "0.01",
      price: null,
      triggerPrice: "63000",
      mark: "64250",
      feeRate: "0.0005",
      position: null,
      reduceOnly: false,
    } as const;
    expect(summarize(binance, stop)).toEqual({
      notional: "630",
      notionalAsset: "USDT",
      fee: "0.315",
      feeAsset: "USDT",
      distanceFromMark: { percent: "-1.9455", through: true },
      resultingPosition: null,
      usdValue: null,
    });
    expect(summarize(binance, { ...stop, orderType: "market", mark: null })).toBe(null);
  });
});

describe("formatting", () => {
  it("groups thousands and keeps the precision's trailing zeros", () => {
    expect(formatDecimal("1234567.891", 2)).toBe("1,234,567.89");
    expect(formatDecimal("1234", 0)).toBe("1,234");
    expect(formatDecimal("999", 2)).toBe("999.00");
    expect(formatPrice(binance, "64250")).toBe("64,250.0");
    expect(formatPrice(deribitOption, "0.005")).toBe("0.0050");
    expect(formatPrice(deribitPerp, "64250.5")).toBe("64,250.5");
    expect(formatQty(binance, "1")).toBe("1.000");
    expect(formatQty(deribitPerp, "1200")).toBe("1,200");
    expect(formatQty(okx, "1.5")).toBe("1.50");
  });

  it("has no float artefacts and no exponent", () => {
    expect(formatDecimal(qtyToNotional(binance, "0.3", "0.1"), 2)).toBe("0.03");
    expect(formatQty(binance, "0.3")).toBe("0.300");
    expect(formatDecimal("0.00000001", 8)).toBe("0.00000001");
    expect(formatDecimal("123456789012345678901234.5", 1)).toBe("123,456,789,012,345,678,901,234.5");
    expect(formatDecimal("1e3", 2)).toBe("—");
    expect(formatDecimal("NaN", 2)).toBe("—");
  });

  it("rounds half up to the instrument's precision", () => {
    expect(formatPrice(binance, "64250.15")).toBe("64,250.2");
    expect(formatPrice(binance, "64250.149")).toBe("64,250.1");
    expect(formatDecimal("-0.125", 2)).toBe("-0.13");
  });

  it("shows negative values with a minus and positive ones with a plus on request", () => {
    expect(formatDecimal("-1234.5", 2)).toBe("-1,234.50");
    expect(formatDecimal("1234.5", 2, { sign: true })).toBe("+1,234.50");
    expect(formatDecimal("-1234.5", 2, { sign: true })).toBe("-1,234.50");
    expect(formatDecimal("0", 2, { sign: true })).toBe("0.00");
    expect(formatDecimal("-0.004", 2)).toBe("0.00");
    expect(formatQty(binance, "-0.5")).toBe("-0.500");
  });

  it("abbreviates large amounts", () => {
    expect(formatCompact("999")).toBe("999.00");
    expect(formatCompact("1240")).toBe("1.24 K");
    expect(formatCompact("1239999")).toBe("1.24 M");
    expect(formatCompact("999999")).toBe("1.00 M");
    expect(formatCompact("-1500000")).toBe("-1.50 M");
    expect(formatCompact("2500000000")).toBe("2.50 B");
    expect(formatCompact("1234567890123456")).toBe("1,234.57 T");
    expect(formatCompact("1240", 1)).toBe("1.2 K");
    expect(formatCompact("0")).toBe("0.00");
    expect(formatCompact("abc")).toBe("—");
  });

  it("shows percent with its sign", () => {
    expect(formatPercent("1.0117")).toBe("+1.01%");
    expect(formatPercent("-1.9455")).toBe("-1.95%");
    expect(formatPercent("0")).toBe("0.00%");
    expect(formatPercent("-0.001")).toBe("0.00%");
    expect(formatPercent("12.5", 1)).toBe("+12.5%");
  });
});

describe("checkLeverage", () => {
  it("takes 1× up to the instrument's maximum, at most 2 decimals", () => {
    expect(checkLeverage(binance, "20")).toEqual({ ok: true, value: "20" });
    expect(checkLeverage(binance, "12.5")).toEqual({ ok: true, value: "12.5" });
    expect(refusal(checkLeverage(binance, "0.5"))).toEqual({
      field: "leverage",
      code: "below_min",
      message: "Leverage must be at least 1×.",
      nearest: { below: null, above: "1" },
    });
    expect(refusal(checkLeverage(binance, "126"))).toEqual({
      field: "leverage",
      code: "above_max",
      message: "Leverage on BTCUSDT is at most 125×.",
      nearest: { below: "125", above: null },
    });
    expect(refusal(checkLeverage(binance, "10.555")).nearest).toEqual({ below: "10.55", above: "10.56" });
    expect(refusal(checkLeverage(binance, "")).message).toBe("Enter a leverage.");
    expect(checkLeverage(deribitOption, "1000")).toEqual({ ok: true, value: "1000" });
  });
});

describe("validateTicket", () => {
  const draft: TicketDraft = {
    side: "buy",
    orderType: "limit",
    qtyText: "0.015",
    qtyUnit: "size",
    priceText: "64000",
    triggerPriceText: "",
    triggerBy: null,
    timeInForce: "gtc",
    postOnly: false,
    reduceOnly: false,
    leverageText: "",
    marginMode: "cross",
    positionSide: "net",
  };
  const context: TicketContext = { rules: binance, mark: "64250", position: "0", feeRate: "0.0005", band: null };

  function ready(result: ReturnType<typeof validateTicket>) {
    if (!result.ok) {
      throw new Error(JSON.stringify(result.errors));
    }
    return result;
  }
  function refused(result: ReturnType<typeof validateTicket>) {
    if (result.ok) {
      throw new Error(`expected errors, got ${JSON.stringify(result.ticket)}`);
    }
    return result;
  }

  it("returns the order ticket and its confirmation when every check passes", () => {
    expect(validateTicket(draft, context)).toEqual({
      ok: true,
      ticket: {
        symbol: "BTCUSDT",
        side: "buy",
        orderType: "limit",
        qty: "0.015",
        price: "64000",
        triggerPrice: null,
        timeInForce: "gtc",
        reduceOnly: false,
        triggerBy: null,
        marginMode: "cross",
        positionSide: "net",
      },
      leverage: null,
      summary: {
        notional: "960",
        notionalAsset: "USDT",
        fee: "0.48",
        feeAsset: "USDT",
        distanceFromMark: { percent: "-0.3891", through: false },
        resultingPosition: "0.015",
        usdValue: null,
      },
      warnings: [],
    });
  });

  it("lists every field's error with the nearest values, and no ticket", () => {
    const result = validateTicket({ ...draft, qtyText: "abc", priceText: "64000.05", leverageText: "200" }, context);
    expect(result).toEqual({
      ok: false,
      errors: [
        {
          field: "price",
          code: "too_many_decimals",
          message: "Price takes at most 1 decimal here (tick 0.1): nearest are 64,000.0 and 64,000.1.",
          nearest: { below: "64000", above: "64000.1" },
        },
        {
          field: "qty",
          code: "not_a_number",
          message: "Quantity must be a number written with digits and at most one point, like 0.5.",
          nearest: null,
        },
        {
          field: "leverage",
          code: "above_max",
          message: "Leverage on BTCUSDT is at most 125×.",
          nearest: { below: "125", above: null },
        },
      ],
      warnings: [],
    });
    expect("ticket" in result).toBe(false);
  });

  it("refuses each bad quantity and price input", () => {
    for (const text of ["", "0", "-1", "NaN", "1e3", "1.2.3", "0.0015", "99999999999"]) {
      expect(refused(validateTicket({ ...draft, qtyText: text }, context)).errors.map((e) => e.field), text).toEqual([
        "qty",
      ]);
      expect(refused(validateTicket({ ...draft, priceText: text }, context)).errors.map((e) => e.field), text).toEqual([
        "price",
      ]);
    }
  });

  it("converts a quote amount at the limit price, rounding down", () => {
    const result = ready(validateTicket({ ...draft, qtyUnit: "quote", qtyText: "1,000" }, context));
    expect(result.ticket.qty).toBe("0.015");
    expect(result.summary.notional).toBe("960");
  });

  it("refuses a quote amount worth less than one step", () => {
    expect(refused(validateTicket({ ...draft, qtyUnit: "quote", qtyText: "50" }, context)).errors).toEqual([
      {
        field: "qty",
        code: "amount_too_small",
        message: "50.00 USDT is less than one step (0.001 BTC, worth 64.00 USDT).",
        nearest: null,
      },
    ]);
  });

  it("refuses a quote amount while the price it converts at is invalid", () => {
    expect(
      refused(validateTicket({ ...draft, qtyUnit: "quote", qtyText: "1000", priceText: "" }, context)).errors.map(
        (e) => e.code,
      ),
    ).toEqual(["empty", "no_reference_price"]);
  });

  it("values market orders at the mark and refuses them without one", () => {
    const market = { ...draft, orderType: "market", priceText: "garbage", timeInForce: "ioc" } as const;
    const result = ready(validateTicket(market, context));
    expect(result.ticket.price).toBe(null);
    expect(result.ticket.timeInForce).toBe(null);
    expect(result.summary).toEqual({
      notional: "963.75",
      notionalAsset: "USDT",
      fee: "0.481875",
      feeAsset: "USDT",
      distanceFromMark: null,
      resultingPosition: "0.015",
      usdValue: null,
    });
    expect(refused(validateTicket(market, { ...context, mark: null })).errors.map((e) => [e.field, e.code])).toEqual([
      ["instrument", "no_reference_price"],
    ]);
    expect(refused(validateTicket({ ...market, qtyText: "121" }, context)).errors[0]?.nearest).toEqual({
      below: "120",
      above: null,
    });
  });

  it("allows post-only on limit orders only, and not with IOC or FOK", () => {
    expect(ready(validateTicket({ ...draft, postOnly: true }, context)).ticket.timeInForce).toBe("post_only");
    expect(ready(validateTicket({ ...draft, timeInForce: "post_only" }, context)).ticket.timeInForce).toBe("post_only");
    expect(refused(validateTicket({ ...draft, orderType: "market", postOnly: true }, context)).errors).toEqual([
      {
        field: "postOnly",
        code: "post_only_not_limit",
        message: "Post-only applies to limit orders only.",
        nearest: null,
      },
    ]);
    expect(
      refused(
        validateTicket({ ...draft, orderType: "stop_limit", triggerPriceText: "64500", postOnly: true }, context),
      ).errors.map((e) => e.code),
    ).toEqual(["post_only_not_limit"]);
    expect(refused(validateTicket({ ...draft, postOnly: true, timeInForce: "ioc" }, context)).errors).toEqual([
      {
        field: "timeInForce",
        code: "post_only_conflict",
        message: "A post-only order rests on the book; it cannot also be IOC.",
        nearest: null,
      },
    ]);
  });

  it("needs a trigger for stop and take-profit orders, on the side that has not fired yet", () => {
    const stop = { ...draft, side: "sell", orderType: "stop_market", triggerPriceText: "63000" } as const;
    const placed = ready(validateTicket({ ...stop, triggerBy: "mark" }, context));
    expect(placed.ticket).toMatchObject({ price: null, triggerPrice: "63000", triggerBy: "mark", timeInForce: null });
    expect(placed.summary.notional).toBe("945");
    expect(refused(validateTicket({ ...stop, triggerPriceText: "" }, context)).errors[0]).toEqual({
      field: "triggerPrice",
      code: "empty",
      message: "Enter a trigger price.",
      nearest: null,
    });
    expect(refused(validateTicket({ ...stop, triggerPriceText: "65000", triggerBy: "mark" }, context)).errors).toEqual([
      {
        field: "triggerPrice",
        code: "trigger_fires_now",
        message: "The mark (64,250.0) has already reached the trigger 65,000.0: the order would trigger at once.",
        nearest: null,
      },
    ]);
    // Triggered by the last price, which the ticket does not know: a warning only.
    expect(ready(validateTicket({ ...stop, triggerPriceText: "65000", triggerBy: "last" }, context)).warnings).toEqual([
      {
        field: "triggerPrice",
        code: "trigger_fires_now",
        message: "The mark (64,250.0) has already reached the trigger 65,000.0: the order would trigger at once.",
      },
    ]);
    const takeProfit = { ...stop, orderType: "take_profit_market", triggerPriceText: "65000", triggerBy: "mark" } as const;
    expect(ready(validateTicket(takeProfit, context)).ticket.triggerPrice).toBe("65000");
    const tpLimit = { ...draft, orderType: "take_profit_limit", triggerPriceText: "63000", priceText: "63010" } as const;
    expect(ready(validateTicket(tpLimit, context)).ticket).toMatchObject({
      orderType: "take_profit_limit",
      price: "63010",
      triggerPrice: "63000",
      timeInForce: "gtc",
    });
  });

  it("warns about or refuses a limit beyond the band, as the caller chooses", () => {
    const far = { ...draft, priceText: "67500" };
    const message = "The limit is +5.06% from the mark (64,250.0), beyond the 5% allowed.";
    expect(refused(validateTicket(far, { ...context, band: { maxPercent: "5", action: "refuse" } })).errors).toEqual([
      { field: "price", code: "beyond_band", message, nearest: null },
    ]);
    expect(ready(validateTicket(far, { ...context, band: { maxPercent: "5", action: "warn" } })).warnings).toEqual([
      { field: "price", code: "beyond_band", message },
      { field: "price", code: "executes_at_once", message: "A buy limit through the mark fills at once, as a taker." },
    ]);
    expect(ready(validateTicket(far, { ...context, band: { maxPercent: "6", action: "refuse" } })).warnings).toEqual([
      { field: "price", code: "executes_at_once", message: "A buy limit through the mark fills at once, as a taker." },
    ]);
    expect(ready(validateTicket({ ...far, postOnly: true }, context)).warnings).toEqual([
      {
        field: "price",
        code: "post_only_would_cancel",
        message: "Post-only through the mark: the venue will cancel it rather than let it take.",
      },
    ]);
  });

  it("refuses reduce-only without a position to reduce, and caps it at the position", () => {
    expect(refused(validateTicket({ ...draft, reduceOnly: true }, context)).errors).toEqual([
      {
        field: "reduceOnly",
        code: "reduce_only_no_position",
        message: "Reduce-only needs an open position to reduce.",
        nearest: null,
      },
    ]);
    expect(
      refused(validateTicket({ ...draft, reduceOnly: true }, { ...context, position: "0.01" })).errors[0]?.message,
    ).toBe("A reduce-only buy reduces a short position; this one is long.");
    // Capped to the 0.001 BTC position, worth 64 USDT: under the minimum notional, but exempt.
    const result = ready(
      validateTicket({ ...draft, side: "sell", priceText: "64500", reduceOnly: true }, { ...context, position: "0.001" }),
    );
    expect(result.ticket.qty).toBe("0.001");
    expect(result.ticket.reduceOnly).toBe(true);
    expect(result.summary.resultingPosition).toBe("0");
    expect(result.warnings).toEqual([
      { field: "qty", code: "reduce_only_capped", message: "Reduce-only: lowered to the position's 0.001 BTC." },
    ]);
  });

  it("refuses any order while the instrument is not trading", () => {
    expect(refused(validateTicket(draft, { ...context, rules: { ...binance, trading: false } })).errors).toEqual([
      {
        field: "instrument",
        code: "trading_paused",
        message: "BTCUSDT is not accepting new orders right now.",
        nearest: null,
      },
    ]);
  });

  it("sizes an inverse order from USD and charges its fee in the coin", () => {
    const result = ready(
      validateTicket(
        { ...draft, side: "sell", qtyUnit: "quote", qtyText: "1005", priceText: "64250.5", leverageText: "10" },
        { ...context, rules: deribitPerp, position: null },
      ),
    );
    expect(result.ticket).toMatchObject({ symbol: "BTC-PERPETUAL", qty: "100", price: "64250.5" });
    expect(result.leverage).toBe("10");
    expect(result.summary).toEqual({
      notional: "1000",
      notionalAsset: "USD",
      fee: "0.00000778",
      feeAsset: "BTC",
      distanceFromMark: { percent: "0.0008", through: false },
      resultingPosition: null,
      usdValue: null,
    });
  });

  it("takes an option order in contracts at a BTC price and refuses stops on options", () => {
    const optionContext = { ...context, rules: deribitOption, mark: "0.047", position: null, feeRate: "0.0003", underlyingPrice: "60000" };
    const result = ready(validateTicket({ ...draft, qtyText: "3", priceText: "0.0475" }, optionContext));
    expect(result.ticket).toMatchObject({ symbol: "BTC-25DEC26-100000-C", qty: "3", price: "0.0475", orderType: "limit" });
    expect(result.summary).toMatchObject({ notional: "0.1425", notionalAsset: "BTC", fee: "0.0009", feeAsset: "BTC", usdValue: "8550" });
    expect(refused(validateTicket({ ...draft, qtyText: "3", priceText: "0.0052" }, optionContext)).errors.map((e) => e.code)).toEqual([
      "off_tick",
    ]);
    const stop = refused(
      validateTicket({ ...draft, orderType: "stop_market", qtyText: "3", triggerPriceText: "0.04" }, optionContext),
    );
    expect(stop.errors.map((e) => [e.field, e.code])).toContainEqual(["instrument", "no_triggers_on_options"]);
  });

  it("sizes an OKX contract order and caps its market size", () => {
    const okxContext = { ...context, rules: okx };
    const result = ready(validateTicket({ ...draft, qtyUnit: "quote", qtyText: "1000" }, okxContext));
    expect(result.ticket.qty).toBe("1.56");
    expect(result.summary.notional).toBe("998.4");
    expect(
      refused(validateTicket({ ...draft, orderType: "market", qtyText: "12001" }, okxContext)).errors[0]?.message,
    ).toBe("Quantity must be at most 12,000.00 contracts for a market order; use a limit order for more.");
  });
});
