// The order ticket's pure logic: reading what the trader types, checking it against the
// instrument's rules (tick, step, bounds, min notional), converting a quote amount into a size,
// the confirmation's figures, and number formatting. Every price, size, notional and fee is a
// decimal string in and out; arithmetic goes through ./decimal, never through JS numbers.
//
// Input convention: surrounding spaces are ignored; "," is accepted only as a thousands separator
// in well-formed groups of three ("64,250.5"), and removed. "0,5" or "1,25" are refused as a
// decimal comma (the point is the decimal separator) rather than guessed.
import type { InstrumentRules } from "./bindings/InstrumentRules";
import type { MarginMode } from "./bindings/MarginMode";
import type { OrderTicket } from "./bindings/OrderTicket";
import type { OrderType } from "./bindings/OrderType";
import type { PositionSide } from "./bindings/PositionSide";
import type { Side } from "./bindings/Side";
import type { TimeInForce } from "./bindings/TimeInForce";
import type { TriggerBy } from "./bindings/TriggerBy";
import {
  type Decimal,
  ROUND_CEIL,
  ROUND_DOWN,
  ROUND_FLOOR,
  ROUND_HALF_UP,
  dec,
  fixed,
  isPlainDecimal,
  max,
  min,
  plain,
} from "./decimal";

/** Longest text a numeric field takes (after trimming). */
export const MAX_INPUT_LENGTH = 40;
/** Most digits before the point: 10^15 is beyond any price, size or amount a venue takes. */
export const MAX_INTEGER_DIGITS = 15;
/** Most digits after the point (without trailing zeros) before tick or step even apply. */
export const MAX_DECIMALS = 18;
/** Decimals kept where a division is inexact (coin values, inverse fees). */
export const COIN_DECIMALS = 8;
/** Decimals kept in a distance from the mark, in percent. */
export const PERCENT_DECIMALS = 4;

// ---------------------------------------------------------------------------------------------
// Errors

/** The ticket's inputs, as errors and warnings name them. */
export type Field =
  | "instrument"
  | "qty"
  | "price"
  | "triggerPrice"
  | "timeInForce"
  | "postOnly"
  | "reduceOnly"
  | "leverage";

export type ErrorCode =
  /** Nothing typed. */
  | "empty"
  /** Letters, several points, NaN, Infinity, a lone sign. */
  | "not_a_number"
  /** `1e3` style. */
  | "exponent"
  /** `0,5`: a comma where a point was meant. */
  | "decimal_comma"
  | "negative"
  | "zero"
  | "too_long"
  | "too_large"
  /** More decimals than the tick or step has. */
  | "too_many_decimals"
  /** A price between two ticks. */
  | "off_tick"
  /** A size between two steps. */
  | "off_step"
  | "below_min"
  | "above_max"
  | "below_min_notional"
  /** A quote amount worth less than one step. */
  | "amount_too_small"
  /** The mark (or a valid price) is needed to value or convert the order and is missing. */
  | "no_reference_price"
  /** A limit further through the mark than the caller's band allows. */
  | "beyond_band"
  /** A stop or take-profit whose trigger the mark has already reached. */
  | "trigger_fires_now"
  | "trading_paused"
  | "post_only_not_limit"
  | "post_only_conflict"
  | "reduce_only_no_position"
  | "reduce_only_wrong_side"
  /** A stop or take-profit on an option (venues take limit and market orders on options). */
  | "no_triggers_on_options";

export type WarningCode =
  | "beyond_band"
  | "trigger_fires_now"
  /** A limit through the mark: it will take liquidity at once. */
  | "executes_at_once"
  /** A post-only limit through the mark: the venue will cancel it rather than let it take. */
  | "post_only_would_cancel"
  /** A reduce-only size above the position, lowered to the position's size. */
  | "reduce_only_capped";

/** The nearest valid values on either side of a refused one (plain decimal strings). */
export interface Nearest {
  below: string | null;
  above: string | null;
}

/** Why a field cannot be sent, in a sentence a trader can act on, with values to pick instead. */
export interface FieldError {
  field: Field;
  code: ErrorCode;
  message: string;
  nearest: Nearest | null;
}

export interface FieldWarning {
  field: Field;
  code: WarningCode;
  message: string;
}

/** A checked field: its canonical plain decimal value, or why it is refused. */
export type Checked = { ok: true; value: string } | { ok: false; error: FieldError };

const LABELS: Record<Field, string> = {
  instrument: "Instrument",
  qty: "Quantity",
  price: "Price",
  triggerPrice: "Trigger price",
  timeInForce: "Time in force",
  postOnly: "Post-only",
  reduceOnly: "Reduce-only",
  leverage: "Leverage",
};

function refuse(field: Field, code: ErrorCode, message: string, nearest: Nearest | null = null): Checked {
  return { ok: false, error: { field, code, message, nearest } };
}

// ---------------------------------------------------------------------------------------------
// Parsing

const GROUPED = /^[1-9]\d{0,2}(,\d{3})+(\.\d*)?$/;
const COMMA_DECIMAL = /^\d+,\d+$/;
const DIGITS = /^(\d+\.?\d*|\.\d+)$/;
const EXPONENT = /^(\d+\.?\d*|\.\d+)[eE][+-]?\d+$/;

/**
 * Reads a positive decimal typed into `field`. Refuses empty text, signs, exponent notation,
 * NaN/Infinity, letters, several points, a decimal comma, more than MAX_INPUT_LENGTH characters,
 * MAX_INTEGER_DIGITS integer digits or MAX_DECIMALS decimals, and zero unless `allowZero`.
 */
export function parseDecimal(text: string, field: Field, options: { allowZero?: boolean } = {}): Checked {
  const label = LABELS[field];
  const trimmed = text.trim();
  if (trimmed === "") {
    return refuse(field, "empty", `Enter a ${label.toLowerCase()}.`);
  }
  if (trimmed.length > MAX_INPUT_LENGTH) {
    return refuse(field, "too_long", `${label} is too long: at most ${MAX_INPUT_LENGTH} characters.`);
  }
  const negative = /^[-−]/.test(trimmed);
  let body = negative ? trimmed.slice(1) : trimmed;
  if (EXPONENT.test(body)) {
    return refuse(field, "exponent", `Write the ${label.toLowerCase()} in full digits, without exponent notation (1000, not 1e3).`);
  }
  if (body.includes(",")) {
    if (GROUPED.test(body)) {
      body = body.replaceAll(",", "");
    } else if (COMMA_DECIMAL.test(body)) {
      return refuse(field, "decimal_comma", `Use a point for decimals: ${body.replace(",", ".")}, not ${body}.`);
    }
  }
  if (!DIGITS.test(body)) {
    return refuse(field, "not_a_number", `${label} must be a number written with digits and at most one point, like 0.5.`);
  }
  const value = dec(body);
  if (negative && !value.isZero()) {
    return refuse(field, "negative", `${label} cannot be negative; the Buy or Sell button sets the direction.`);
  }
  const [whole = "", fraction = ""] = body.split(".");
  if (whole.replace(/^0+/, "").length > MAX_INTEGER_DIGITS) {
    return refuse(field, "too_large", `${label} is too large to be an order.`);
  }
  if (fraction.replace(/0+$/, "").length > MAX_DECIMALS) {
    return refuse(field, "too_many_decimals", `${label} has too many decimals.`);
  }
  if (value.isZero() && options.allowZero !== true) {
    return refuse(field, "zero", `${label} must be more than 0.`);
  }
  return { ok: true, value: plain(value) };
}

// ---------------------------------------------------------------------------------------------
// Grids: ticks and steps

interface Segment {
  from: Decimal;
  tick: Decimal;
}

/** The tick ladder from 0 upward: `tickSize`, then each of `tickSteps` from its `fromPrice`. */
function segments(rules: InstrumentRules): Segment[] {
  const ladder: Segment[] = [{ from: dec("0"), tick: dec(rules.tickSize) }];
  for (const step of rules.tickSteps) {
    ladder.push({ from: dec(step.fromPrice), tick: dec(step.tick) });
  }
  return ladder;
}

function segmentIndex(ladder: Segment[], price: Decimal): number {
  let index = 0;
  ladder.forEach((segment, i) => {
    if (price.gte(segment.from)) {
      index = i;
    }
  });
  return index;
}

function segmentAt(ladder: Segment[], index: number): Segment {
  const segment = ladder[index];
  if (segment === undefined) {
    throw new RangeError("no tick segment");
  }
  return segment;
}

/** The largest price on the tick ladder that is ≤ `price` (0 when none is above 0). */
function floorTick(ladder: Segment[], price: Decimal): Decimal {
  let index = segmentIndex(ladder, price);
  let cap = price;
  let inclusive = true;
  for (;;) {
    const { from, tick } = segmentAt(ladder, index);
    let candidate = cap.toNearest(tick, ROUND_FLOOR);
    if (!inclusive && candidate.eq(cap)) {
      candidate = candidate.minus(tick);
    }
    if (candidate.gte(from) || index === 0) {
      return max(candidate, dec("0"));
    }
    cap = from;
    inclusive = false;
    index -= 1;
  }
}

/** The smallest price on the tick ladder that is ≥ `price`. */
function ceilTick(ladder: Segment[], price: Decimal): Decimal {
  let index = segmentIndex(ladder, price);
  let floor = price;
  for (;;) {
    const { tick } = segmentAt(ladder, index);
    const candidate = floor.toNearest(tick, ROUND_CEIL);
    const next = ladder[index + 1];
    if (next === undefined || candidate.lt(next.from)) {
      return candidate;
    }
    floor = next.from;
    index += 1;
  }
}

/** The tick that applies at `price` (Deribit's ticks grow with the price). */
export function tickAt(rules: InstrumentRules, price: string): string {
  const ladder = segments(rules);
  return plain(segmentAt(ladder, segmentIndex(ladder, dec(price))).tick);
}

/** Decimals a price is shown with: the most any of the instrument's ticks has. */
export function pricePrecision(rules: InstrumentRules): number {
  return Math.max(...segments(rules).map((segment) => segment.tick.decimalPlaces()));
}

/** Decimals a size is shown with: the step's. */
export function qtyPrecision(rules: InstrumentRules): number {
  return dec(rules.stepSize).decimalPlaces();
}

/** What sizes count: the base asset (`BTC`) or `contracts`. */
export function sizeUnit(rules: InstrumentRules): string {
  return rules.contractSize === null && rules.category !== "inverse" ? rules.baseAsset : "contracts";
}

function positive(text: string): Decimal | null {
  const value = dec(text);
  return value.gt(0) ? value : null;
}

function nearestText(values: Nearest, show: (value: string) => string): string {
  const shown = [values.below, values.above].filter((v): v is string => v !== null).map(show);
  if (shown.length === 0) {
    return "";
  }
  return shown.length === 1 ? `: nearest is ${shown[0]}` : `: nearest are ${shown[0]} and ${shown[1]}`;
}

/**
 * Checks a typed price (or trigger price): positive, within minPrice..maxPrice (0 = no bound) and
 * on the tick at that price; otherwise refuses it with the nearest valid prices below and above
 * (each within the bounds, null where there is none).
 */
export function checkPrice(rules: InstrumentRules, text: string, field: Field = "price"): Checked {
  const parsed = parseDecimal(text, field);
  if (!parsed.ok) {
    return parsed;
  }
  const label = LABELS[field];
  const price = dec(parsed.value);
  const ladder = segments(rules);
  const low = positive(rules.minPrice);
  const high = positive(rules.maxPrice);
  const lowest = low !== null ? ceilTick(ladder, low) : ceilTick(ladder, segmentAt(ladder, 0).tick);
  const highest = high !== null ? floorTick(ladder, high) : null;
  const show = (value: string) => formatPrice(rules, value);
  if (low !== null && price.lt(low)) {
    return refuse(field, "below_min", `${label} must be at least ${show(plain(low))}.`, {
      below: null,
      above: highest === null || lowest.lte(highest) ? plain(lowest) : null,
    });
  }
  if (high !== null && highest !== null && price.gt(high)) {
    return refuse(field, "above_max", `${label} must be at most ${show(plain(high))}.`, {
      below: highest.gte(lowest) ? plain(highest) : null,
      above: null,
    });
  }
  const below = floorTick(ladder, price);
  if (below.eq(price)) {
    return parsed;
  }
  const above = ceilTick(ladder, price);
  const nearest: Nearest = {
    below: below.gte(lowest) ? plain(below) : null,
    above: highest === null || above.lte(highest) ? plain(above) : null,
  };
  const tick = segmentAt(ladder, segmentIndex(ladder, price)).tick;
  const hint = nearestText(nearest, show);
  if (price.decimalPlaces() > tick.decimalPlaces()) {
    const places = tick.decimalPlaces();
    return refuse(
      field,
      "too_many_decimals",
      `${label} takes at most ${places} decimal${places === 1 ? "" : "s"} here (tick ${plain(tick)})${hint}.`,
      nearest,
    );
  }
  return refuse(field, "off_tick", `${label} must be a multiple of the tick ${plain(tick)}${hint}.`, nearest);
}

/** A limit's distance from the mark, in percent of the mark, signed (above the mark is +). */
export interface MarkDistance {
  percent: string;
  /** Whether the price is on the far side of the mark for this side: above it for a buy, below for a sell. */
  through: boolean;
}

/** How far `price` is from `mark` (percent rounded half up to PERCENT_DECIMALS), and whether through it. */
export function markDistance(side: Side, price: string, mark: string): MarkDistance {
  const p = dec(price);
  const m = dec(mark);
  const percent = p.minus(m).div(m).times(100);
  const through = side === "buy" ? p.gt(m) : p.lt(m);
  return { percent: plain(percent.toDecimalPlaces(PERCENT_DECIMALS, ROUND_HALF_UP)), through };
}

/** Whether a limit is more than `maxPercent` % through `reference` (the caller picks the band). */
export function beyondBand(side: Side, price: string, reference: string, maxPercent: string): boolean {
  const p = dec(price);
  const r = dec(reference);
  const percent = p.minus(r).div(r).times(100).abs();
  const through = side === "buy" ? p.gt(r) : p.lt(r);
  return through && percent.gt(dec(maxPercent));
}

// ---------------------------------------------------------------------------------------------
// Sizes

/** Market, stop-market and take-profit-market orders fill at the market. */
export function isMarketType(orderType: OrderType): boolean {
  return orderType === "market" || orderType === "stop_market" || orderType === "take_profit_market";
}

/** Order types that carry a limit price. */
export function hasLimitPrice(orderType: OrderType): boolean {
  return orderType === "limit" || orderType === "stop_limit" || orderType === "take_profit_limit";
}

/** Order types that wait for a trigger price. */
export function hasTrigger(orderType: OrderType): boolean {
  return orderType !== "market" && orderType !== "limit";
}

/** The largest size allowed for this order type; null when unbounded. */
function maxSize(rules: InstrumentRules, orderType: OrderType): Decimal | null {
  const bound = isMarketType(orderType) ? positive(rules.maxMarketQty) : null;
  return bound ?? positive(rules.maxQty);
}

export interface QtyOptions {
  orderType: OrderType;
  /** Reduce-only orders are exempt from the minimum notional (Binance USDⓈ-M documents this). */
  reduceOnly: boolean;
  /**
   * The price the order is valued at for the minimum notional: the limit price, the trigger of a
   * stop/take-profit market order, the mark for a market order. Null when not known yet.
   */
  price: string | null;
}

/**
 * Checks a size already parsed (plain decimal): on the step, ≥ minQty, ≤ maxQty (maxMarketQty for
 * market types), and worth at least minNotional unless reduce-only; otherwise refuses it with the
 * nearest valid sizes.
 */
export function checkQtyValue(rules: InstrumentRules, qty: string, options: QtyOptions): Checked {
  const field: Field = "qty";
  const value = dec(qty);
  const step = dec(rules.stepSize);
  const unit = sizeUnit(rules);
  const show = (v: string) => `${formatQty(rules, v)} ${unit}`;
  const low = positive(rules.minQty);
  const high = maxSize(rules, options.orderType);
  const highest = high === null ? null : high.toNearest(step, ROUND_FLOOR);
  // The minimum notional, when it applies and can be counted: inverse sizes are worth a fixed
  // USD amount, linear ones need the price.
  const minimum = options.reduceOnly ? null : positive(rules.minNotional);
  const valued = rules.category === "inverse" || options.price !== null;
  const price = options.price ?? "1";
  let worthMinimum: Decimal | null = null;
  if (minimum !== null && valued) {
    // The smallest size on the step worth the minimum (the division is truncated, so check it).
    const needed = minimum.div(dec(qtyToNotional(rules, "1", price))).toNearest(step, ROUND_CEIL);
    worthMinimum = dec(qtyToNotional(rules, plain(needed), price)).gte(minimum) ? needed : needed.plus(step);
  }
  const lowest = max((low ?? step).toNearest(step, ROUND_CEIL), worthMinimum ?? step);
  const fits = (v: Decimal) => v.gte(lowest) && (highest === null || v.lte(highest));
  if (value.lte(0)) {
    return refuse(field, "zero", "Quantity must be more than 0.");
  }
  if (low !== null && value.lt(low)) {
    return refuse(field, "below_min", `Quantity must be at least ${show(plain(low))}.`, {
      below: null,
      above: fits(lowest) ? plain(lowest) : null,
    });
  }
  if (high !== null && highest !== null && value.gt(high)) {
    const market = isMarketType(options.orderType) && positive(rules.maxMarketQty) !== null;
    const tail = market ? " for a market order; use a limit order for more" : "";
    return refuse(field, "above_max", `Quantity must be at most ${show(plain(high))}${tail}.`, {
      below: fits(highest) ? plain(highest) : null,
      above: null,
    });
  }
  const below = value.toNearest(step, ROUND_FLOOR);
  if (!below.eq(value)) {
    const above = value.toNearest(step, ROUND_CEIL);
    const nearest: Nearest = {
      below: fits(below) ? plain(below) : null,
      above: fits(above) ? plain(above) : null,
    };
    const hint = nearestText(nearest, show);
    if (value.decimalPlaces() > step.decimalPlaces()) {
      const places = step.decimalPlaces();
      return refuse(
        field,
        "too_many_decimals",
        `Quantity takes at most ${places} decimal${places === 1 ? "" : "s"} (step ${plain(step)})${hint}.`,
        nearest,
      );
    }
    return refuse(field, "off_step", `Quantity must be a multiple of the step ${plain(step)}${hint}.`, nearest);
  }
  if (minimum === null) {
    return { ok: true, value: plain(value) };
  }
  if (!valued) {
    return refuse(field, "no_reference_price", "Waiting for a price to check the order's value against the minimum.");
  }
  const notional = dec(qtyToNotional(rules, plain(value), price));
  if (notional.gte(minimum)) {
    return { ok: true, value: plain(value) };
  }
  const quote = rules.quoteAsset;
  return refuse(
    field,
    "below_min_notional",
    `Order value ${formatDecimal(plain(notional), 2)} ${quote} is below the minimum ${formatDecimal(plain(minimum), 2)} ${quote}: use at least ${show(plain(lowest))} (reduce-only orders are exempt).`,
    { below: null, above: fits(lowest) ? plain(lowest) : null },
  );
}

/** Parses a typed size, then checks it with checkQtyValue. */
export function checkQty(rules: InstrumentRules, text: string, options: QtyOptions): Checked {
  const parsed = parseDecimal(text, "qty");
  return parsed.ok ? checkQtyValue(rules, parsed.value, options) : parsed;
}

// ---------------------------------------------------------------------------------------------
// Conversions

function unitSize(rules: InstrumentRules): Decimal {
  return rules.contractSize === null ? dec("1") : dec(rules.contractSize);
}

/**
 * A quote-currency amount (USD for inverse) as a size in the instrument's unit, rounded DOWN to
 * the step so the order is never worth more than asked: quote / price without a contract size,
 * quote / (price × contractSize) for linear contracts, usd / contractSize for inverse ones (where
 * `price` is not used). Null when a linear conversion has no positive price.
 */
export function quoteToQty(rules: InstrumentRules, quote: string, price: string | null): string | null {
  const step = dec(rules.stepSize);
  const amount = dec(quote);
  if (rules.category === "inverse") {
    return plain(amount.div(unitSize(rules)).toNearest(step, ROUND_FLOOR));
  }
  if (price === null || dec(price).lte(0)) {
    return null;
  }
  return plain(amount.div(dec(price).times(unitSize(rules))).toNearest(step, ROUND_FLOOR));
}

/**
 * What a size is worth in the quote currency: qty × price (× contractSize) for linear contracts,
 * qty × contractSize USD for inverse ones (`price` unused there).
 */
export function qtyToNotional(rules: InstrumentRules, qty: string, price: string): string {
  const size = dec(qty).times(unitSize(rules));
  return plain(rules.category === "inverse" ? size : size.times(dec(price)));
}

/**
 * A size in the underlying coin: qty (× contractSize) base units for linear contracts, and
 * qty × contractSize / price coins for inverse ones (rounded half up to COIN_DECIMALS).
 */
export function qtyToCoin(rules: InstrumentRules, qty: string, price: string): string {
  const size = dec(qty).times(unitSize(rules));
  if (rules.category !== "inverse") {
    return plain(size);
  }
  return plain(size.div(dec(price)).toDecimalPlaces(COIN_DECIMALS, ROUND_HALF_UP));
}

// ---------------------------------------------------------------------------------------------
// Confirmation

/**
 * The position after the order fills: current (signed) + the signed order size. A reduce-only
 * order only fills against an opposite position and at most its size, so it never flips it.
 */
export function resultingPosition(current: string, side: Side, qty: string, reduceOnly: boolean): string {
  const position = dec(current);
  let size = dec(qty);
  if (reduceOnly) {
    const reduces = side === "buy" ? position.lt(0) : position.gt(0);
    size = reduces ? min(size, position.abs()) : dec("0");
  }
  return plain(side === "buy" ? position.plus(size) : position.minus(size));
}

export interface SummaryInput {
  side: Side;
  orderType: OrderType;
  qty: string;
  /** The limit price (limit types), else null. */
  price: string | null;
  /** The trigger price (stop and take-profit types), else null. */
  triggerPrice: string | null;
  mark: string | null;
  /** Fee rate as a fraction (taker 0.0005 = 0.05 %). */
  feeRate: string;
  /** The signed position the order acts on; null when unknown. */
  position: string | null;
  reduceOnly: boolean;
  /** An option's underlying price in USD (its index), to show the premium's USD value. */
  underlyingPrice?: string | null;
}

/** The confirmation's figures. */
export interface Summary {
  /** In the quote currency (USD for inverse). */
  notional: string;
  notionalAsset: string;
  /**
   * Notional × fee rate, in the settle asset (the coin for inverse: rounded half up to
   * COIN_DECIMALS). An option's is the rate of its underlying per contract, capped at 12.5 % of
   * the premium (Deribit's fee schedule).
   */
  fee: string;
  feeAsset: string;
  /** The limit price's (conditional orders: the trigger's) distance from the mark; null for market orders or without a mark. */
  distanceFromMark: MarkDistance | null;
  /** Signed; null when the current position is unknown. */
  resultingPosition: string | null;
  /** An option's premium in USD (notional × the underlying price); null for other instruments or without that price. */
  usdValue: string | null;
}

/** The share of an option's premium its fee never exceeds (Deribit: "capped at 12.5% of the options price"). */
const OPTION_FEE_CAP = "0.125";

/** Decimals a PnL in the instrument's settle asset is shown with: cents for stablecoins, satoshi-scale for coins (inverse contracts, options). */
export function pnlDecimals(rules: InstrumentRules): number {
  return rules.category === "linear" ? 2 : 6;
}

/** Whether the instrument is an option (premium priced in the venue's units, e.g. BTC). */
export function isOption(rules: InstrumentRules): boolean {
  return rules.category === "option";
}

/** An option's premium (in its coin) in USD at the underlying price; null without a valid price. */
export function premiumUsd(premium: string, underlying: string | null): string | null {
  if (underlying === null || !isPlainDecimal(premium) || !isPlainDecimal(underlying)) {
    return null;
  }
  return plain(dec(premium).times(dec(underlying)));
}

/** Decimals a value in the instrument's quote currency is shown with: an option's premium (in BTC) at its price precision, else cents. */
export function valueDecimals(rules: InstrumentRules): number {
  return isOption(rules) ? Math.max(pricePrecision(rules), 4) : 2;
}

/**
 * The confirmation's notional, estimated fee, distance from the mark and resulting position. The
 * order is valued at its limit price, at the trigger for stop/take-profit market orders and at
 * the mark for market orders; null when that price is missing.
 */
export function summarize(rules: InstrumentRules, input: SummaryInput): Summary | null {
  const valuation = hasLimitPrice(input.orderType)
    ? input.price
    : hasTrigger(input.orderType)
      ? input.triggerPrice
      : input.mark;
  if (valuation === null) {
    return null;
  }
  const notional = qtyToNotional(rules, input.qty, valuation);
  const rate = dec(input.feeRate);
  let fee: Decimal;
  if (isOption(rules)) {
    const perContract = dec(input.qty).times(unitSize(rules)).times(rate);
    fee = min(perContract, dec(notional).times(dec(OPTION_FEE_CAP))).toDecimalPlaces(COIN_DECIMALS, ROUND_HALF_UP);
  } else if (rules.category === "inverse") {
    fee = dec(notional).times(rate).div(dec(valuation)).toDecimalPlaces(COIN_DECIMALS, ROUND_HALF_UP);
  } else {
    fee = dec(notional).times(rate);
  }
  const usd = isOption(rules) ? premiumUsd(notional, input.underlyingPrice ?? null) : null;
  const measured = input.orderType === "limit" ? input.price : hasTrigger(input.orderType) ? input.triggerPrice : null;
  return {
    notional,
    notionalAsset: rules.quoteAsset,
    fee: plain(fee),
    feeAsset: rules.category === "inverse" ? rules.settleAsset : rules.quoteAsset,
    distanceFromMark:
      measured !== null && input.mark !== null ? markDistance(input.side, measured, input.mark) : null,
    resultingPosition:
      input.position === null ? null : resultingPosition(input.position, input.side, input.qty, input.reduceOnly),
    usdValue: usd === null ? null : plain(dec(usd).toDecimalPlaces(2, ROUND_HALF_UP)),
  };
}

// ---------------------------------------------------------------------------------------------
// Formatting (never exponent notation; "—" for text that is not a plain decimal)

function group(integer: string): string {
  return integer.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/**
 * `value` with exactly `dp` decimals (rounded half up), thousands separators and, with
 * `sign: true`, a "+" on positive values. Zero never carries a sign.
 */
export function formatDecimal(value: string, dp: number, options: { sign?: boolean } = {}): string {
  if (!isPlainDecimal(value)) {
    return "—";
  }
  const text = fixed(dec(value), dp);
  const negative = text.startsWith("-");
  const [whole = "", fraction] = (negative ? text.slice(1) : text).split(".");
  const body = group(whole) + (fraction === undefined ? "" : `.${fraction}`);
  if (negative) {
    return `-${body}`;
  }
  const zero = /^[0.]+$/.test(text);
  return options.sign === true && !zero ? `+${body}` : body;
}

/** A price at the instrument's tick precision with thousands separators (`64,250.5`). */
export function formatPrice(rules: InstrumentRules, price: string): string {
  return formatDecimal(price, pricePrecision(rules));
}

/** A size (signed for positions) at the step's precision with thousands separators. */
export function formatQty(rules: InstrumentRules, qty: string): string {
  return formatDecimal(qty, qtyPrecision(rules));
}

const UNITS = ["K", "M", "B", "T"] as const;

/** An abbreviated amount: `1.24 K`, `1.24 M`, `1.24 B`, `1.24 T`; below 1,000 as is, at `dp` decimals. */
export function formatCompact(value: string, dp = 2): string {
  if (!isPlainDecimal(value)) {
    return "—";
  }
  let scaled = dec(value);
  let unit = "";
  for (const next of UNITS) {
    if (dec(fixed(scaled.abs(), dp)).lt(1000)) {
      break;
    }
    scaled = scaled.div(1000);
    unit = next;
  }
  const text = formatDecimal(plain(scaled), dp);
  return unit === "" ? text : `${text} ${unit}`;
}

/** A percentage with its sign (`+1.25%`, `-0.50%`, `0.00%`). */
export function formatPercent(percent: string, dp = 2): string {
  const text = formatDecimal(percent, dp, { sign: true });
  return text === "—" ? text : `${text}%`;
}

// ---------------------------------------------------------------------------------------------
// Leverage

/** Leverage: at least 1, at most the instrument's maxLeverage when known, at most 2 decimals. */
export function checkLeverage(rules: InstrumentRules, text: string): Checked {
  const parsed = parseDecimal(text, "leverage");
  if (!parsed.ok) {
    return parsed;
  }
  const value = dec(parsed.value);
  const ceiling = rules.maxLeverage === null ? null : positive(rules.maxLeverage);
  if (value.lt(1)) {
    return refuse("leverage", "below_min", "Leverage must be at least 1×.", { below: null, above: "1" });
  }
  if (ceiling !== null && value.gt(ceiling)) {
    return refuse("leverage", "above_max", `Leverage on ${rules.symbol} is at most ${plain(ceiling)}×.`, {
      below: plain(ceiling),
      above: null,
    });
  }
  if (value.decimalPlaces() > 2) {
    const below = value.toDecimalPlaces(2, ROUND_DOWN);
    const above = value.toDecimalPlaces(2, ROUND_CEIL);
    return refuse("leverage", "too_many_decimals", "Leverage takes at most 2 decimals.", {
      below: plain(below),
      above: ceiling === null || above.lte(ceiling) ? plain(above) : null,
    });
  }
  return parsed;
}

// ---------------------------------------------------------------------------------------------
// The whole ticket

/** What the ticket's inputs hold, as typed. */
export interface TicketDraft {
  side: Side;
  orderType: OrderType;
  /** The size as typed, in `qtyUnit`. */
  qtyText: string;
  /** `size`: in the instrument's unit (sizeUnit); `quote`: an amount of the quote currency (USD for inverse). */
  qtyUnit: "size" | "quote";
  /** Read for limit, stop-limit and take-profit-limit orders only. */
  priceText: string;
  /** Read for stop and take-profit orders only. */
  triggerPriceText: string;
  triggerBy: TriggerBy | null;
  /** `post_only` here means the same as `postOnly`; not read for market types. */
  timeInForce: TimeInForce;
  postOnly: boolean;
  reduceOnly: boolean;
  /** Empty: leave the account's leverage as it is. */
  leverageText: string;
  marginMode: MarginMode | null;
  positionSide: PositionSide;
}

/** What the ticket is checked against. */
export interface TicketContext {
  rules: InstrumentRules;
  /** The instrument's mark price; null until the first one arrives. */
  mark: string | null;
  /** The signed size of the position the order acts on; null when unknown. */
  position: string | null;
  /** For the estimated fee (e.g. taker 0.0005). */
  feeRate: string;
  /** A limit more than `maxPercent` % through the mark is warned about or refused; null: no band. */
  band: { maxPercent: string; action: "warn" | "refuse" } | null;
  /** An option's underlying price (USD), for the premium's USD value; null or absent otherwise. */
  underlyingPrice?: string | null;
}

/** A ticket ready to send (every check passed), or everything that stops it. */
export type TicketResult =
  | { ok: true; ticket: OrderTicket; leverage: string | null; summary: Summary; warnings: FieldWarning[] }
  | { ok: false; errors: FieldError[]; warnings: FieldWarning[] };

function triggerFiresNow(orderType: OrderType, side: Side, trigger: Decimal, mark: Decimal): boolean {
  const stop = orderType === "stop_market" || orderType === "stop_limit";
  // A buy stop waits for the price to rise to it, a sell stop to fall; take-profits the other way.
  const waitsAbove = stop === (side === "buy");
  return waitsAbove ? trigger.lte(mark) : trigger.gte(mark);
}

/**
 * Checks a whole ticket. The `OrderTicket` exists only when every field passed; otherwise the
 * result lists each field's error with the nearest valid values. Warnings come with either.
 */
export function validateTicket(draft: TicketDraft, context: TicketContext): TicketResult {
  const { rules, mark } = context;
  const errors: FieldError[] = [];
  const warnings: FieldWarning[] = [];
  const fail = (checked: Checked): string | null => {
    if (checked.ok) {
      return checked.value;
    }
    errors.push(checked.error);
    return null;
  };
  const add = (field: Field, code: ErrorCode, message: string) => errors.push({ field, code, message, nearest: null });
  const warn = (field: Field, code: WarningCode, message: string) => warnings.push({ field, code, message });
  const showPrice = (value: string) => formatPrice(rules, value);

  if (!rules.trading) {
    add("instrument", "trading_paused", `${rules.symbol} is not accepting new orders right now.`);
  }
  const { orderType, side } = draft;
  const limitPriced = hasLimitPrice(orderType);
  const triggered = hasTrigger(orderType);
  const postOnly = draft.postOnly || draft.timeInForce === "post_only";
  if (postOnly && orderType !== "limit") {
    add("postOnly", "post_only_not_limit", "Post-only applies to limit orders only.");
  } else if (postOnly && (draft.timeInForce === "ioc" || draft.timeInForce === "fok")) {
    add(
      "timeInForce",
      "post_only_conflict",
      `A post-only order rests on the book; it cannot also be ${draft.timeInForce.toUpperCase()}.`,
    );
  }

  if (triggered && isOption(rules)) {
    add(
      "instrument",
      "no_triggers_on_options",
      `${rules.symbol} is an option: the venue takes limit and market orders on options, not stop or take-profit orders.`,
    );
  }
  const price = limitPriced ? fail(checkPrice(rules, draft.priceText, "price")) : null;
  const trigger = triggered ? fail(checkPrice(rules, draft.triggerPriceText, "triggerPrice")) : null;
  if (orderType === "market" && mark === null) {
    add("instrument", "no_reference_price", "Waiting for the mark price: a market order is valued at it.");
  }
  if (trigger !== null && mark !== null && triggerFiresNow(orderType, side, dec(trigger), dec(mark))) {
    const message = `The mark (${showPrice(mark)}) has already reached the trigger ${showPrice(trigger)}: the order would trigger at once.`;
    if (draft.triggerBy === "mark") {
      add("triggerPrice", "trigger_fires_now", message);
    } else {
      warn("triggerPrice", "trigger_fires_now", message);
    }
  }

  // The price the order is valued and converted at.
  const valuation = limitPriced ? price : triggered ? trigger : mark;
  let qty: string | null = null;
  if (draft.qtyUnit === "quote") {
    const amount = fail(parseDecimal(draft.qtyText, "qty"));
    if (amount !== null) {
      const converted = quoteToQty(rules, amount, valuation);
      if (converted === null) {
        if (orderType !== "market" || mark !== null) {
          add("qty", "no_reference_price", "Enter a valid price first: the amount is converted at it.");
        }
      } else if (dec(converted).isZero()) {
        const oneStep = qtyToNotional(rules, rules.stepSize, valuation ?? "1");
        errors.push({
          field: "qty",
          code: "amount_too_small",
          message: `${formatDecimal(amount, 2)} ${rules.quoteAsset} is less than one step (${formatQty(rules, rules.stepSize)} ${sizeUnit(rules)}, worth ${formatDecimal(oneStep, 2)} ${rules.quoteAsset}).`,
          nearest: null,
        });
      } else {
        qty = converted;
      }
    }
  } else {
    qty = fail(parseDecimal(draft.qtyText, "qty"));
  }

  if (draft.reduceOnly && context.position !== null) {
    const position = dec(context.position);
    if (position.isZero()) {
      add("reduceOnly", "reduce_only_no_position", "Reduce-only needs an open position to reduce.");
    } else if (side === "buy" ? position.gt(0) : position.lt(0)) {
      const held = position.gt(0) ? "long" : "short";
      const needs = side === "buy" ? "short" : "long";
      add("reduceOnly", "reduce_only_wrong_side", `A reduce-only ${side} reduces a ${needs} position; this one is ${held}.`);
    } else if (qty !== null && dec(qty).gt(position.abs())) {
      const capped = plain(position.abs());
      warn(
        "qty",
        "reduce_only_capped",
        `Reduce-only: lowered to the position's ${formatQty(rules, capped)} ${sizeUnit(rules)}.`,
      );
      qty = capped;
    }
  }
  if (qty !== null) {
    const checked = checkQtyValue(rules, qty, { orderType, reduceOnly: draft.reduceOnly, price: valuation });
    // Without a valid price the minimum notional cannot be checked; the price's own error says why.
    const priceFailed = errors.some((e) => e.field === "price" || e.field === "triggerPrice" || e.field === "instrument");
    if (!checked.ok && checked.error.code === "no_reference_price" && priceFailed) {
      qty = null;
    } else {
      qty = fail(checked);
    }
  }

  if (price !== null) {
    const reference = orderType === "limit" ? mark : trigger;
    if (context.band !== null && reference !== null && beyondBand(side, price, reference, context.band.maxPercent)) {
      const distance = markDistance(side, price, reference);
      const what = orderType === "limit" ? "mark" : "trigger";
      const message = `The limit is ${formatPercent(distance.percent)} from the ${what} (${showPrice(reference)}), beyond the ${plain(dec(context.band.maxPercent))}% allowed.`;
      if (context.band.action === "refuse") {
        add("price", "beyond_band", message);
      } else {
        warn("price", "beyond_band", message);
      }
    }
    if (orderType === "limit" && mark !== null && markDistance(side, price, mark).through) {
      if (postOnly) {
        warn("price", "post_only_would_cancel", "Post-only through the mark: the venue will cancel it rather than let it take.");
      } else {
        warn("price", "executes_at_once", `A ${side} limit through the mark fills at once, as a taker.`);
      }
    }
  }

  let leverage: string | null = null;
  if (draft.leverageText.trim() !== "") {
    leverage = fail(checkLeverage(rules, draft.leverageText));
  }

  if (errors.length > 0 || qty === null) {
    return { ok: false, errors, warnings };
  }
  const summary = summarize(rules, {
    side,
    orderType,
    qty,
    price,
    triggerPrice: trigger,
    mark,
    feeRate: context.feeRate,
    position: context.position,
    reduceOnly: draft.reduceOnly,
    underlyingPrice: context.underlyingPrice ?? null,
  });
  if (summary === null) {
    add("instrument", "no_reference_price", "Waiting for a price to value the order.");
    return { ok: false, errors, warnings };
  }
  const ticket: OrderTicket = {
    symbol: rules.symbol,
    side,
    orderType,
    qty,
    price,
    triggerPrice: trigger,
    timeInForce: limitPriced ? (postOnly ? "post_only" : draft.timeInForce) : null,
    reduceOnly: draft.reduceOnly,
    triggerBy: triggered ? draft.triggerBy : null,
    marginMode: draft.marginMode,
    positionSide: draft.positionSide,
  };
  return { ok: true, ticket, leverage, summary, warnings };
}
