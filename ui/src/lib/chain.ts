// The options chain's arithmetic: which underlyings an account lists options on, the strike
// nearest the money, which side of it each option is, how an expiry is named, and what a click
// on a quote puts in the ticket.
import type { ChainExpiry } from "./bindings/ChainExpiry";
import type { InstrumentRules } from "./bindings/InstrumentRules";
import type { OptionQuote } from "./bindings/OptionQuote";
import type { Side } from "./bindings/Side";
import { dec, isPlainDecimal } from "./decimal";

/** The underlyings with at least one listed option, BTC first, then alphabetical. */
export function underlyingsOf(rules: readonly InstrumentRules[]): string[] {
  const found = new Set<string>();
  for (const r of rules) {
    if (r.option !== null) {
      found.add(r.option.underlying.toUpperCase());
    }
  }
  return [...found].sort((a, b) => (a === "BTC" ? -1 : b === "BTC" ? 1 : a.localeCompare(b)));
}

/** The strike closest to the expiry's underlying price (the lower on a tie); null without a price or strikes. */
export function atmStrike(expiry: ChainExpiry): string | null {
  const underlying = expiry.underlyingPrice;
  if (underlying === null || !isPlainDecimal(underlying) || expiry.rows.length === 0) {
    return null;
  }
  const u = dec(underlying);
  let best: { strike: string; distance: ReturnType<typeof dec> } | null = null;
  for (const row of expiry.rows) {
    const distance = dec(row.strike).minus(u).abs();
    if (best === null || distance.lt(best.distance)) {
      best = { strike: row.strike, distance };
    }
  }
  return best?.strike ?? null;
}

/** Whether the option is in the money at `underlying`: a call below it, a put above it. */
export function inTheMoney(strike: string, underlying: string | null, right: "call" | "put"): boolean {
  if (underlying === null || !isPlainDecimal(underlying)) {
    return false;
  }
  return right === "call" ? dec(strike).lt(dec(underlying)) : dec(strike).gt(dec(underlying));
}

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

/** "25DEC26 · 18d" (the date as the venue writes it in its names, in UTC, and what is left). */
export function expiryLabel(expiryMs: number, nowMs: number): string {
  const d = new Date(expiryMs);
  const date = `${d.getUTCDate()}${MONTHS[d.getUTCMonth()]}${String(d.getUTCFullYear() % 100).padStart(2, "0")}`;
  const left = expiryMs - nowMs;
  const hours = Math.max(0, Math.floor(left / 3_600_000));
  return `${date} · ${hours >= 48 ? `${Math.floor(hours / 24)}d` : `${hours}h`}`;
}

/** Which of a quote's prices was clicked. */
export type QuoteField = "bid" | "ask" | "mark";

/**
 * What a click on a quote puts in the ticket: the ask is bought and the bid sold (crossing the
 * spread), the mark keeps the ticket's side; null when that price is missing.
 */
export function pickOf(quote: OptionQuote, field: QuoteField): { symbol: string; side: Side | null; price: string } | null {
  const price = quote[field];
  if (price === null) {
    return null;
  }
  const side: Side | null = field === "ask" ? "buy" : field === "bid" ? "sell" : null;
  return { symbol: quote.symbol, side, price };
}
