// The workspace's live state: the accounts' tables and the watched market as Rust pushes them
// (follow_live), merged into what the screens read; the book's spread, a position's distance to
// liquidation and the exposure per asset across accounts. Every figure is a decimal string;
// arithmetic goes through ./decimal.
import type { AccountLive } from "./bindings/AccountLive";
import type { InstrumentRules } from "./bindings/InstrumentRules";
import type { LiveChanges } from "./bindings/LiveChanges";
import type { MarketLive } from "./bindings/MarketLive";
import type { OrderBook } from "./bindings/OrderBook";
import type { Position } from "./bindings/Position";
import { ROUND_HALF_UP, dec, isPlainDecimal, plain } from "./decimal";
import { qtyToCoin, qtyToNotional } from "./ticket";

/** Each followed account's tables, by account id. */
export type LiveAccounts = Record<string, AccountLive>;

/** Decimals kept in a percentage the tables show (spread, distance to liquidation). */
const PERCENT_DP = 4;

/**
 * The accounts after one push: the changed ones replaced whole (unless the push is older than
 * what is shown), the others kept, and every account no longer followed dropped.
 */
export function mergeAccounts(previous: LiveAccounts, changes: LiveChanges): LiveAccounts {
  const followed = new Set(changes.followed);
  const next: LiveAccounts = {};
  for (const id of changes.followed) {
    const kept = previous[id];
    if (kept !== undefined) {
      next[id] = kept;
    }
  }
  for (const account of changes.changed) {
    if (!followed.has(account.accountId)) {
      continue;
    }
    const shown = next[account.accountId];
    if (shown === undefined || account.version >= shown.version) {
      next[account.accountId] = account;
    }
  }
  return next;
}

/** The watched market after one push: replaced when it changed (null: no longer watched). */
export function mergeMarket(previous: MarketLive | null, changes: LiveChanges): MarketLive | null {
  return changes.marketChanged ? changes.market : previous;
}

/** Positions that hold something (a venue may list flat ones). */
export function openPositions(positions: Position[]): Position[] {
  return positions.filter((p) => isPlainDecimal(p.qty) && !dec(p.qty).isZero());
}

/** The signed net size held in `symbol` ("0" when flat). */
export function netPosition(positions: Position[], symbol: string): string {
  let total = dec("0");
  for (const p of positions) {
    if (p.symbol === symbol && isPlainDecimal(p.qty)) {
      total = total.plus(dec(p.qty));
    }
  }
  return plain(total);
}

export interface Spread {
  bestBid: string;
  bestAsk: string;
  /** Ask − bid. */
  spread: string;
  /** The spread in percent of the mid price. */
  percent: string;
  mid: string;
}

/** The top of the book and its spread; null while either side is empty. */
export function bookSpread(book: OrderBook | null): Spread | null {
  const bid = book?.bids[0];
  const ask = book?.asks[0];
  if (bid === undefined || ask === undefined) {
    return null;
  }
  const b = dec(bid.price);
  const a = dec(ask.price);
  const mid = a.plus(b).div(2);
  const spread = a.minus(b);
  return {
    bestBid: bid.price,
    bestAsk: ask.price,
    spread: plain(spread),
    percent: mid.isZero() ? "0" : plain(spread.div(mid).times(100).toDecimalPlaces(PERCENT_DP, ROUND_HALF_UP)),
    mid: plain(mid),
  };
}

/** The largest level size on either side (for depth bars); "0" for an empty book. */
export function largestLevel(book: OrderBook | null): string {
  let largest = dec("0");
  for (const level of [...(book?.bids ?? []), ...(book?.asks ?? [])]) {
    const q = dec(level.qty);
    if (q.gt(largest)) {
      largest = q;
    }
  }
  return plain(largest);
}

/** `part` as a percentage of `whole` (0–100, whole numbers), for a bar's width; 0 when whole is 0. */
export function barPercent(part: string, whole: string): number {
  const w = dec(whole);
  if (w.lte(0)) {
    return 0;
  }
  // A bar width, not money: a JS number is what the style takes.
  return Math.min(100, Math.round(dec(part).div(w).times(100).toNumber()));
}

/**
 * How far the mark is from the liquidation price, in percent of the mark (always ≥ 0); null when
 * the venue reports no liquidation price (or a zero one, as Binance does for a fully funded
 * position).
 */
export function liquidationDistance(position: Position): string | null {
  const liq = position.liquidationPrice;
  if (liq === null || !isPlainDecimal(liq) || dec(liq).isZero() || !isPlainDecimal(position.markPrice)) {
    return null;
  }
  const mark = dec(position.markPrice);
  if (mark.isZero()) {
    return null;
  }
  return plain(mark.minus(dec(liq)).abs().div(mark).times(100).toDecimalPlaces(PERCENT_DP, ROUND_HALF_UP));
}

/** The position's unrealised PnL in percent of its entry value (its move, without leverage). */
export function pnlPercent(position: Position, rules: InstrumentRules | undefined): string | null {
  if (!isPlainDecimal(position.entryPrice) || dec(position.entryPrice).isZero()) {
    return null;
  }
  const qty = dec(position.qty).abs();
  const entryValue = rules
    ? dec(qtyToNotional(rules, plain(qty), position.entryPrice))
    : qty.times(dec(position.entryPrice));
  if (entryValue.isZero()) {
    return null;
  }
  return plain(dec(position.unrealizedPnl).div(entryValue).times(100).toDecimalPlaces(2, ROUND_HALF_UP));
}

/** One account's position, as the All view lists it. */
export interface AccountPosition {
  accountId: string;
  position: Position;
}

/** What all accounts hold of one asset. */
export interface Exposure {
  asset: string;
  /** Signed sum of the sizes in the asset itself: contracts are turned into coins (OKX's
   *  contract value, an inverse contract's USD at the mark), so venues that count differently
   *  add up. In the instrument's own unit only where its rules are not known. */
  netQty: string;
  /** Sum of the long positions' value at the mark, in `valueAsset`. */
  long: string;
  /** Sum of the short positions' value at the mark (positive), in `valueAsset`. */
  short: string;
  /** long − short. */
  net: string;
  valueAsset: string;
  /** How many positions make it up. */
  positions: number;
  /** The net delta in the asset across venues: a future's or perpetual's size in coins, plus
   *  each option position's delta as its venue reports it. Options add to nothing else here:
   *  their size is not exposure in the asset. */
  delta: string;
  /** Option positions whose venue reported no delta (not in `delta`). */
  deltaUnknown: number;
}

/** Quote assets worth a US dollar each: values in them are summed as one. */
const DOLLARS = new Set(["USD", "USDT", "USDC"]);

/** The asset a sum of values in `a` and `b` is counted in: the same one, or USD for dollars of
 *  different kinds (USDT margined on one venue, inverse USD contracts on another). */
function commonValueAsset(a: string, b: string): string {
  if (a === "" || a === b) {
    return b;
  }
  return DOLLARS.has(a) && DOLLARS.has(b) ? "USD" : `${a}+${b}`;
}

/**
 * Exposure summed per base asset across accounts and venues, valued at each position's mark,
 * with the net delta per underlying (options included, by their reported delta).
 * `rulesOf` gives an instrument's rules when known (for its base asset and contract size);
 * without them the symbol stands for the asset and the size is valued as qty × mark.
 */
export function exposureByAsset(
  rows: AccountPosition[],
  rulesOf: (accountId: string, symbol: string) => InstrumentRules | undefined,
): Exposure[] {
  interface Sum {
    netQty: ReturnType<typeof dec>;
    long: ReturnType<typeof dec>;
    short: ReturnType<typeof dec>;
    valueAsset: string;
    positions: number;
    delta: ReturnType<typeof dec>;
    deltaUnknown: number;
  }
  const sums = new Map<string, Sum>();
  const empty = (valueAsset: string): Sum => ({
    netQty: dec("0"),
    long: dec("0"),
    short: dec("0"),
    valueAsset,
    positions: 0,
    delta: dec("0"),
    deltaUnknown: 0,
  });
  for (const { accountId, position } of rows) {
    if (!isPlainDecimal(position.qty) || dec(position.qty).isZero() || !isPlainDecimal(position.markPrice)) {
      continue;
    }
    const rules = rulesOf(accountId, position.symbol);
    const asset = rules?.baseAsset ?? position.symbol;
    if (rules?.category === "option") {
      const sum = sums.get(asset) ?? empty("");
      const delta = position.greeks?.delta;
      if (delta !== undefined && isPlainDecimal(delta)) {
        sum.delta = sum.delta.plus(dec(delta));
      } else {
        sum.deltaUnknown += 1;
      }
      sum.positions += 1;
      sums.set(asset, sum);
      continue;
    }
    const valueAsset = rules?.quoteAsset ?? "";
    const qty = rules ? dec(qtyToCoin(rules, position.qty, position.markPrice)) : dec(position.qty);
    const value = rules
      ? dec(qtyToNotional(rules, plain(dec(position.qty).abs()), position.markPrice))
      : qty.abs().times(dec(position.markPrice));
    const sum = sums.get(asset) ?? empty(valueAsset);
    sum.netQty = sum.netQty.plus(qty);
    sum.delta = sum.delta.plus(qty);
    if (qty.gt(0)) {
      sum.long = sum.long.plus(value);
    } else {
      sum.short = sum.short.plus(value);
    }
    sum.valueAsset = commonValueAsset(sum.valueAsset, valueAsset);
    sum.positions += 1;
    sums.set(asset, sum);
  }
  return [...sums.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([asset, s]) => ({
      asset,
      netQty: plain(s.netQty),
      long: plain(s.long),
      short: plain(s.short),
      net: plain(s.long.minus(s.short)),
      valueAsset: s.valueAsset,
      positions: s.positions,
      delta: plain(s.delta),
      deltaUnknown: s.deltaUnknown,
    }));
}
