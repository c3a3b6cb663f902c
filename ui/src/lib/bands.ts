// Per-instrument price bands as the settings page writes them: "BTCUSDT 1/5; ETHUSDT 3/8", each
// an instrument with its warning and blocking band in % of the mark.
import type { Band } from "./bindings/Band";

const NUMBER = /^\d+(\.\d+)?$/;
const SYMBOL = /^[A-Za-z0-9_.-]{1,40}$/;

/** The overrides in the settings page's words, instruments in alphabetical order. */
export function formatBands(bands: { [symbol: string]: Band }): string {
  return Object.entries(bands)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([s, band]) => `${s} ${band.warnPct}/${band.blockPct}`)
    .join("; ");
}

/** Reads "SYMBOL warn/block; …"; throws an Error naming the part it cannot read. */
export function parseBands(text: string): { [symbol: string]: Band } {
  const out: { [symbol: string]: Band } = {};
  for (const part of text.split(";").map((p) => p.trim()).filter((p) => p !== "")) {
    const [, name = "", warn = "", block = ""] = /^(\S+)\s+(\S+)\/(\S+)$/.exec(part) ?? [];
    if (!SYMBOL.test(name) || !NUMBER.test(warn) || !NUMBER.test(block)) {
      throw new Error(`"${part}" is not an instrument with its bands, such as "BTCUSDT 1/5".`);
    }
    const symbol = name.toUpperCase();
    if (symbol in out) {
      throw new Error(`${symbol} is listed twice.`);
    }
    out[symbol] = { warnPct: warn, blockPct: block };
  }
  return out;
}
