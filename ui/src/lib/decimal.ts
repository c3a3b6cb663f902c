// Decimal arithmetic for money. Prices, sizes, notionals and fees travel as strings (as Rust sends
// them) and are computed with decimal.js here; a JS `number` never holds one.
import DecimalJs from "decimal.js";

/**
 * The one decimal context the UI computes in: 64 significant digits (a price times a size times a
 * contract size stays exact), inexact divisions truncated toward zero so a conversion rounded down
 * afterwards can never come out above the exact value, and never exponent notation.
 */
const D = DecimalJs.clone({
  precision: 64,
  rounding: DecimalJs.ROUND_DOWN,
  toExpNeg: -9e15,
  toExpPos: 9e15,
});

export type Decimal = DecimalJs;

export const ROUND_DOWN = DecimalJs.ROUND_DOWN;
export const ROUND_FLOOR = DecimalJs.ROUND_FLOOR;
export const ROUND_CEIL = DecimalJs.ROUND_CEIL;
export const ROUND_HALF_UP = DecimalJs.ROUND_HALF_UP;

/** A plain decimal as Rust writes it: optional minus, digits, optional fraction. No exponent. */
const PLAIN = /^-?(\d+(\.\d*)?|\.\d+)$/;

/** Whether `text` is a plain decimal string (`-12.5`, `0.001`), the only form `dec` accepts. */
export function isPlainDecimal(text: string): boolean {
  return PLAIN.test(text);
}

/** A decimal from a plain decimal string; throws on anything else (`1e3`, `NaN`, ``). */
export function dec(text: string): Decimal {
  if (!PLAIN.test(text)) {
    throw new TypeError(`not a plain decimal: ${JSON.stringify(text)}`);
  }
  return new D(text);
}

/** The value in normal notation without trailing zeros (`"0.5"`, `"64250"`); never `"-0"`. */
export function plain(value: Decimal): string {
  return value.isZero() ? "0" : value.toFixed();
}

/** The value with exactly `dp` decimals, rounded half up (away from zero); never `"-0.00"`. */
export function fixed(value: Decimal, dp: number): string {
  const text = value.toFixed(dp, ROUND_HALF_UP);
  return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text;
}

/** The smaller / larger of two decimals. */
export function min(a: Decimal, b: Decimal): Decimal {
  return a.lte(b) ? a : b;
}
export function max(a: Decimal, b: Decimal): Decimal {
  return a.gte(b) ? a : b;
}
