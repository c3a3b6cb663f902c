// The workspace's pure rules: when an order needs a confirmation, what a failed order means for
// the trader, the orders that close positions, what a bulk action will do (named exactly, for its
// confirmation), the persisted preferences, and which key does what. Money stays decimal strings.
import type { AccountView } from "./bindings/AccountView";
import type { Candle } from "./bindings/Candle";
import type { OrderState } from "./bindings/OrderState";
import type { OrderTicket } from "./bindings/OrderTicket";
import type { Position } from "./bindings/Position";
import { dec, isPlainDecimal, plain } from "./decimal";
import { IpcError } from "./ipc";

// ---------------------------------------------------------------------------------------------
// Preferences (localStorage; never a secret)

export interface Preferences {
  /** Skip the confirmation for orders worth less than `skipUnder` (quote currency). */
  skipConfirm: boolean;
  /** A plain decimal; "" means no threshold chosen yet. */
  skipUnder: string;
  /** The account the workspace opens on ("all" for every account). */
  account: string | null;
  symbol: string | null;
  /** Pane sizes in pixels. */
  ticketWidth: number;
  bookWidth: number;
  tablesHeight: number;
}

export const DEFAULT_PREFERENCES: Preferences = {
  skipConfirm: false,
  skipUnder: "",
  account: null,
  symbol: null,
  ticketWidth: 320,
  bookWidth: 260,
  tablesHeight: 260,
};

export const PREFERENCES_KEY = "rampart.workspace.v1";

/** Pane bounds in pixels, so a stored size can never hide a pane. */
export const PANE_BOUNDS = {
  ticketWidth: [260, 520],
  bookWidth: [200, 420],
  tablesHeight: [140, 600],
} as const;

export function clampPane(name: keyof typeof PANE_BOUNDS, value: number): number {
  const [low, high] = PANE_BOUNDS[name];
  return Number.isFinite(value) ? Math.min(high, Math.max(low, Math.round(value))) : DEFAULT_PREFERENCES[name];
}

/** Reads the stored preferences, keeping only well-formed values. */
export function parsePreferences(text: string | null): Preferences {
  const out: Preferences = { ...DEFAULT_PREFERENCES };
  if (text === null) {
    return out;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return out;
  }
  if (typeof raw !== "object" || raw === null) {
    return out;
  }
  const r = raw as Record<string, unknown>;
  if (typeof r["skipConfirm"] === "boolean") {
    out.skipConfirm = r["skipConfirm"];
  }
  if (typeof r["skipUnder"] === "string" && (r["skipUnder"] === "" || isPlainDecimal(r["skipUnder"]))) {
    out.skipUnder = r["skipUnder"];
  }
  if (typeof r["account"] === "string") {
    out.account = r["account"];
  }
  if (typeof r["symbol"] === "string") {
    out.symbol = r["symbol"];
  }
  for (const pane of ["ticketWidth", "bookWidth", "tablesHeight"] as const) {
    if (typeof r[pane] === "number") {
      out[pane] = clampPane(pane, r[pane]);
    }
  }
  return out;
}

/** Whether an order worth `notional` asks for a confirmation under these preferences. */
export function needsConfirmation(notional: string, prefs: Pick<Preferences, "skipConfirm" | "skipUnder">): boolean {
  if (!prefs.skipConfirm || !isPlainDecimal(prefs.skipUnder) || !isPlainDecimal(notional)) {
    return true;
  }
  return !dec(notional).lt(dec(prefs.skipUnder));
}

// ---------------------------------------------------------------------------------------------
// Accounts

/** How an account trades, as the ticket and the confirmation name it. */
export function environmentBadge(account: Pick<AccountView, "venue" | "environment">): "DEMO" | "LIVE" | "TESTNET" {
  if (account.venue === "demo" || account.environment === "demo" || account.environment === "simulator") {
    return "DEMO";
  }
  return account.environment === "testnet" ? "TESTNET" : "LIVE";
}

/** The account the workspace opens on: the stored one if it still exists, else the first Demo one. */
export function initialAccount(accounts: AccountView[], stored: string | null): string | null {
  if (stored === "all" && accounts.length > 0) {
    return "all";
  }
  if (stored !== null && accounts.some((a) => a.id === stored)) {
    return stored;
  }
  return (accounts.find((a) => a.venue === "demo" || a.environment === "simulator") ?? accounts[0])?.id ?? null;
}

// ---------------------------------------------------------------------------------------------
// Orders

/** What became of an order the trader sent, as a toast shows it. */
export type Outcome =
  | { kind: "pending"; text: string }
  | { kind: "accepted"; text: string }
  | { kind: "filled"; text: string }
  | { kind: "checking"; text: string }
  | { kind: "rejected"; text: string };

/** A failed place call, in the trader's words; Unknown outcomes are "checking with the exchange". */
export function failureOutcome(err: unknown): Outcome {
  const e = err instanceof IpcError ? err : new IpcError("internal", String(err));
  switch (e.code) {
    case "checking_with_exchange":
      return { kind: "checking", text: `Checking with the exchange: ${e.message}` };
    case "not_sent":
      return { kind: "rejected", text: `Not sent: ${e.message}` };
    case "order_rejected":
      return { kind: "rejected", text: `Rejected by the exchange: ${e.message}` };
    case "invalid_order":
      return { kind: "rejected", text: `Refused before sending: ${e.message}` };
    default:
      return { kind: "rejected", text: e.message };
  }
}

/** The reduce-only market order that closes `position` (one-way or hedge side). */
export function closeTicket(position: Position): OrderTicket | null {
  if (!isPlainDecimal(position.qty) || dec(position.qty).isZero()) {
    return null;
  }
  const qty = dec(position.qty);
  return {
    symbol: position.symbol,
    side: qty.gt(0) ? "sell" : "buy",
    orderType: "market",
    qty: plain(qty.abs()),
    price: null,
    triggerPrice: null,
    timeInForce: null,
    reduceOnly: true,
    triggerBy: null,
    marginMode: null,
    positionSide: position.positionSide,
  };
}

/** The order that closes a position at a limit: reduce-only, the opposite side, GTC at `price`. */
export function closeLimitTicket(position: Position, price: string): OrderTicket | null {
  const market = closeTicket(position);
  if (market === null) {
    return null;
  }
  return { ...market, orderType: "limit", price, timeInForce: "gtc" };
}

/** "long" / "short" for a signed size. */
export function direction(qty: string): "long" | "short" | "flat" {
  if (!isPlainDecimal(qty) || dec(qty).isZero()) {
    return "flat";
  }
  return dec(qty).gt(0) ? "long" : "short";
}

/** One account's part of a bulk action. */
export interface ScopeAccount {
  account: Pick<AccountView, "id" | "label" | "venue" | "environment">;
  orders: OrderState[];
  positions: Position[];
}

function countBySymbol(symbols: string[]): string {
  const counts = new Map<string, number>();
  for (const s of symbols) {
    counts.set(s, (counts.get(s) ?? 0) + 1);
  }
  return [...counts.entries()].map(([s, n]) => (n === 1 ? s : `${s} ×${n}`)).join(", ");
}

function accountName(a: ScopeAccount["account"]): string {
  return `${a.label} (${environmentBadge(a)})`;
}

/** Line by line, what "cancel all" will do: each account, how many orders, on which symbols. */
export function describeCancelAll(scope: ScopeAccount[]): string[] {
  const lines = scope
    .filter((s) => s.orders.length > 0)
    .map(
      (s) =>
        `Cancel ${s.orders.length} open order${s.orders.length === 1 ? "" : "s"} on ${accountName(s.account)}: ${countBySymbol(s.orders.map((o) => o.symbol))}`,
    );
  return lines.length > 0 ? lines : ["No open orders to cancel."];
}

/** Line by line, what "close all" will send: one reduce-only market order per position. */
export function describeCloseAll(scope: ScopeAccount[]): string[] {
  const lines: string[] = [];
  for (const s of scope) {
    for (const p of s.positions) {
      const ticket = closeTicket(p);
      if (ticket !== null) {
        lines.push(
          `${accountName(s.account)}: ${ticket.side === "sell" ? "Sell" : "Buy"} ${ticket.qty} ${p.symbol} at market, reduce-only (closes the ${direction(p.qty)})`,
        );
      }
    }
  }
  return lines.length > 0 ? lines : ["No open positions to close."];
}

/** What "close at limit" will send, in the words of describeCloseAll. */
export function describeCloseLimit(account: ScopeAccount["account"], position: Position, price: string, shownPrice: string): string {
  const ticket = closeLimitTicket(position, price);
  if (ticket === null) {
    return "No open position to close.";
  }
  return `${accountName(account)}: ${ticket.side === "sell" ? "Sell" : "Buy"} ${ticket.qty} ${position.symbol} at limit ${shownPrice}, reduce-only, GTC (closes the ${direction(position.qty)})`;
}

// ---------------------------------------------------------------------------------------------
// Chart

/** A candle as lightweight-charts takes it. */
export interface Bar {
  /** Seconds since the epoch (the chart's UTCTimestamp). */
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
}

/**
 * A locale Intl accepts: the system's own, or en-US when it is not a language tag (a POSIX "C"
 * locale reaches the page as navigator.language "C", and Intl throws on it).
 */
export function chartLocale(language: string | undefined): string {
  if (language === undefined || language === "") {
    return "en-US";
  }
  try {
    return Intl.getCanonicalLocales(language)[0] ?? "en-US";
  } catch {
    return "en-US";
  }
}

/** A price line on the chart: the position's entry or an open order. */
export interface ChartLine {
  /** A plain decimal string. */
  price: string;
  title: string;
  kind: "entry" | "buy" | "sell";
}

/**
 * A candle for the chart. The chart's API takes JS numbers: this converts display values only,
 * never a figure an order or a total is computed from.
 */
export function candleBar(candle: Candle): Bar {
  return {
    time: Math.floor(candle.openTimeMs / 1000),
    open: Number(candle.open),
    high: Number(candle.high),
    low: Number(candle.low),
    close: Number(candle.close),
  };
}

// ---------------------------------------------------------------------------------------------
// Keyboard

export interface Shortcut {
  keys: string;
  does: string;
}

/** Every shortcut, as the ? overlay lists them. */
export const SHORTCUTS: readonly Shortcut[] = [
  { keys: "B", does: "Buy: set the ticket to buy and put the cursor in its quantity" },
  { keys: "S", does: "Sell: set the ticket to sell and put the cursor in its quantity" },
  { keys: "Enter", does: "In the ticket: submit (opens the confirmation, or sends below your threshold); in the confirmation: send" },
  { keys: "Esc", does: "Close the confirmation or this list without sending; in the ticket: leave the field" },
  { keys: "/", does: "Search instruments" },
  { keys: "?", does: "Show this list" },
  { keys: "Ctrl+L", does: "Lock Rampart" },
];

export type KeyAction = "buy" | "sell" | "search" | "help" | null;

/** Whether keystrokes go into a text field (then no single-key shortcut fires). */
export function isTextEntry(target: { tagName?: string; isContentEditable?: boolean; type?: string } | null): boolean {
  if (target === null) {
    return false;
  }
  if (target.isContentEditable === true) {
    return true;
  }
  const tag = (target.tagName ?? "").toUpperCase();
  if (tag === "TEXTAREA" || tag === "SELECT") {
    return true;
  }
  if (tag !== "INPUT") {
    return false;
  }
  return !["checkbox", "radio", "button", "submit", "reset"].includes((target.type ?? "text").toLowerCase());
}

/** The single-key shortcut a key press means, or null (typing, modifiers or an unknown key). */
export function keyAction(
  event: { key: string; ctrlKey: boolean; metaKey: boolean; altKey: boolean; repeat: boolean },
  typing: boolean,
): KeyAction {
  if (typing || event.ctrlKey || event.metaKey || event.altKey || event.repeat) {
    return null;
  }
  switch (event.key) {
    case "b":
    case "B":
      return "buy";
    case "s":
    case "S":
      return "sell";
    case "/":
      return "search";
    case "?":
      return "help";
    default:
      return null;
  }
}
