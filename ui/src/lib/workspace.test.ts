import { describe, expect, it } from "vitest";
import type { AccountView } from "./bindings/AccountView";
import type { OrderState } from "./bindings/OrderState";
import type { Position } from "./bindings/Position";
import { IpcError } from "./ipc";
import {
  DEFAULT_PREFERENCES,
  candleBar,
  chartLocale,
  closeLimitTicket,
  closeTicket,
  describeCancelAll,
  describeCloseLimit,
  describeCloseAll,
  environmentBadge,
  failureOutcome,
  initialAccount,
  isTextEntry,
  keyAction,
  needsConfirmation,
  parsePreferences,
} from "./workspace";

const demo: AccountView = {
  id: "d1",
  venue: "demo",
  label: "Demo",
  environment: "demo",
  maskedKey: "abcd…wxyz",
  fingerprint: "f",
  createdAt: 0,
};
const live: AccountView = { ...demo, id: "l1", venue: "binance_usdm", label: "Main", environment: "live" };
const testnet: AccountView = { ...live, id: "t1", label: "Test", environment: "testnet" };

function position(symbol: string, qty: string): Position {
  return {
    symbol,
    positionSide: "net",
    marginMode: null,
    qty,
    entryPrice: "1",
    markPrice: "1",
    unrealizedPnl: "0",
    leverage: null,
    liquidationPrice: null,
    greeks: null,
  };
}

function order(symbol: string): OrderState {
  return {
    symbol,
    venueOrderId: "1",
    clientOrderId: "rmp1",
    side: "buy",
    orderType: "limit",
    status: "open",
    qty: "1",
    filledQty: "0",
    price: "1",
    triggerPrice: null,
    avgFillPrice: null,
    reduceOnly: false,
    positionSide: "net",
    updatedMs: 0,
  };
}

describe("preferences", () => {
  it("keeps only well-formed stored values and clamps pane sizes", () => {
    expect(parsePreferences(null)).toEqual(DEFAULT_PREFERENCES);
    expect(parsePreferences("{not json")).toEqual(DEFAULT_PREFERENCES);
    const prefs = parsePreferences(
      JSON.stringify({ skipConfirm: true, skipUnder: "1e3", account: "d1", ticketWidth: 5000, bookWidth: "x" }),
    );
    expect(prefs.skipConfirm).toBe(true);
    expect(prefs.skipUnder).toBe("");
    expect(prefs.account).toBe("d1");
    expect(prefs.ticketWidth).toBe(520);
    expect(prefs.bookWidth).toBe(DEFAULT_PREFERENCES.bookWidth);
  });

  it("confirms unless skipping is on and the order is worth less than the threshold", () => {
    expect(needsConfirmation("50", { skipConfirm: false, skipUnder: "100" })).toBe(true);
    expect(needsConfirmation("50", { skipConfirm: true, skipUnder: "100" })).toBe(false);
    expect(needsConfirmation("100", { skipConfirm: true, skipUnder: "100" })).toBe(true);
    expect(needsConfirmation("50", { skipConfirm: true, skipUnder: "" })).toBe(true);
  });
});

describe("accounts", () => {
  it("names how an account trades", () => {
    expect(environmentBadge(demo)).toBe("DEMO");
    expect(environmentBadge(live)).toBe("LIVE");
    expect(environmentBadge(testnet)).toBe("TESTNET");
    expect(environmentBadge({ venue: "bybit", environment: "simulator" })).toBe("DEMO");
    expect(environmentBadge({ venue: "okx", environment: "simulator" })).toBe("DEMO");
  });

  it("opens on the stored account if it exists, else on Demo", () => {
    expect(initialAccount([live, demo], null)).toBe("d1");
    expect(initialAccount([live, demo], "l1")).toBe("l1");
    expect(initialAccount([live, demo], "gone")).toBe("d1");
    expect(initialAccount([live, demo], "all")).toBe("all");
    expect(initialAccount([], "all")).toBeNull();
  });
});

describe("orders", () => {
  it("says what a failed order means; Unknown is checking with the exchange", () => {
    expect(failureOutcome(new IpcError("checking_with_exchange", "no answer yet")).kind).toBe("checking");
    const rejected = failureOutcome(new IpcError("order_rejected", "Margin is insufficient."));
    expect(rejected).toEqual({ kind: "rejected", text: "Rejected by the exchange: Margin is insufficient." });
    expect(failureOutcome(new Error("boom")).kind).toBe("rejected");
  });

  it("closes a position with a reduce-only market order on the other side", () => {
    expect(closeTicket(position("BTCUSDT", "-0.25"))).toMatchObject({
      symbol: "BTCUSDT",
      side: "buy",
      orderType: "market",
      qty: "0.25",
      reduceOnly: true,
    });
    expect(closeTicket(position("BTCUSDT", "0.5"))?.side).toBe("sell");
    expect(closeTicket(position("BTCUSDT", "0"))).toBeNull();
  });

  it("closes a position at a limit: reduce-only, the opposite side, GTC at the price", () => {
    expect(closeLimitTicket(position("BTCUSDT", "0.5"), "65000.1")).toMatchObject({
      symbol: "BTCUSDT",
      side: "sell",
      orderType: "limit",
      qty: "0.5",
      price: "65000.1",
      timeInForce: "gtc",
      reduceOnly: true,
    });
    expect(closeLimitTicket(position("BTCUSDT", "-0.25"), "1")?.side).toBe("buy");
    expect(closeLimitTicket(position("BTCUSDT", "0"), "1")).toBeNull();
    expect(describeCloseLimit(demo, position("BTCUSDT", "0.5"), "65000.1", "65,000.1")).toBe(
      "Demo (DEMO): Sell 0.5 BTCUSDT at limit 65,000.1, reduce-only, GTC (closes the long)",
    );
  });

  it("names exactly what cancel all and close all will do, per account", () => {
    const scope = [
      { account: demo, orders: [order("BTCUSDT"), order("BTCUSDT"), order("ETHUSDT")], positions: [position("BTCUSDT", "0.5")] },
      { account: live, orders: [], positions: [position("ETHUSDT", "-2"), position("SOLUSDT", "0")] },
    ];
    expect(describeCancelAll(scope)).toEqual(["Cancel 3 open orders on Demo (DEMO): BTCUSDT ×2, ETHUSDT"]);
    expect(describeCloseAll(scope)).toEqual([
      "Demo (DEMO): Sell 0.5 BTCUSDT at market, reduce-only (closes the long)",
      "Main (LIVE): Buy 2 ETHUSDT at market, reduce-only (closes the short)",
    ]);
    expect(describeCancelAll([])).toEqual(["No open orders to cancel."]);
    expect(describeCloseAll([])).toEqual(["No open positions to close."]);
  });
});

describe("chart", () => {
  it("turns a candle into the chart's bar (seconds)", () => {
    expect(
      candleBar({ openTimeMs: 1_700_000_060_000, open: "1.5", high: "2", low: "1", close: "1.75", volume: "3", closed: false }),
    ).toEqual({ time: 1_700_000_060, open: 1.5, high: 2, low: 1, close: 1.75 });
  });
});

describe("chart locale", () => {
  it("keeps a valid language tag and falls back to en-US otherwise", () => {
    expect(chartLocale("de-DE")).toBe("de-DE");
    expect(chartLocale("C")).toBe("en-US");
    expect(chartLocale(undefined)).toBe("en-US");
  });
});

describe("keyboard", () => {
  const key = (k: string, extra: Partial<{ ctrlKey: boolean; repeat: boolean }> = {}) => ({
    key: k,
    ctrlKey: false,
    metaKey: false,
    altKey: false,
    repeat: false,
    ...extra,
  });

  it("maps single keys, never while typing, with a modifier or on auto-repeat", () => {
    expect(keyAction(key("b"), false)).toBe("buy");
    expect(keyAction(key("S"), false)).toBe("sell");
    expect(keyAction(key("?"), false)).toBe("help");
    expect(keyAction(key("b"), true)).toBeNull();
    expect(keyAction(key("b", { ctrlKey: true }), false)).toBeNull();
    expect(keyAction(key("b", { repeat: true }), false)).toBeNull();
    expect(keyAction(key("x"), false)).toBeNull();
  });

  it("treats text inputs, selects and text areas as typing, not checkboxes or buttons", () => {
    expect(isTextEntry({ tagName: "INPUT", type: "text" })).toBe(true);
    expect(isTextEntry({ tagName: "input" })).toBe(true);
    expect(isTextEntry({ tagName: "INPUT", type: "checkbox" })).toBe(false);
    expect(isTextEntry({ tagName: "SELECT" })).toBe(true);
    expect(isTextEntry({ tagName: "BUTTON" })).toBe(false);
    expect(isTextEntry({ tagName: "DIV", isContentEditable: true })).toBe(true);
    expect(isTextEntry(null)).toBe(false);
  });
});
