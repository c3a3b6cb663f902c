// How long an order took, as the page saw it: from the event that sent it (the click or the
// key) to the answer, on the page's monotonic clock, with the exchange's share of it (the
// engine's round trip, which comes with the answer). The wall-clock times of the event and of
// the hand-over to the connector are kept too: the click-to-wire benchmark reads them.

/** When `event` happened on the page's clock (ms since the page's time origin); now without one. */
export function eventTime(event?: Event | null): number {
  const stamp = event?.timeStamp;
  // A DOMHighResTimeStamp relative to the time origin; an engine still giving epoch
  // milliseconds (or none) is not comparable, so the handler's own time stands in.
  if (typeof stamp === "number" && stamp > 0 && stamp <= performance.now()) {
    return stamp;
  }
  return performance.now();
}

/** An order's timing from its event to its answer. */
export interface OrderTiming {
  /** Event to answer, on the page's monotonic clock (µs). */
  pageUs: number;
  /** The exchange's share: from the hand-over to the connector to its answer (µs). */
  roundTripUs: number;
  /** When the event happened, on the wall clock (µs since the epoch; the page's clock is as
   *  coarse as the engine makes it, 1 ms in WebKit). */
  clickedAtUs: number;
  /** When the engine handed the order to the connector, on the app's wall clock (µs). */
  sentAtUs: number;
}

/**
 * The timing of an order whose event happened at `startedAt` and whose answer came at
 * `answeredAt` (both page times, see eventTime), with what the engine reported.
 */
export function orderTiming(
  startedAt: number,
  answeredAt: number,
  placed: { roundTripUs: number; sentAtUs: number },
  timeOrigin: number = performance.timeOrigin,
): OrderTiming {
  return {
    pageUs: Math.max(0, Math.round((answeredAt - startedAt) * 1000)),
    roundTripUs: Math.max(0, Math.round(placed.roundTripUs)),
    clickedAtUs: Math.round((timeOrigin + startedAt) * 1000),
    sentAtUs: placed.sentAtUs,
  };
}

/** "1.2 ms" (one decimal under 100 ms, whole above). */
export function formatMs(us: number): string {
  const ms = us / 1000;
  return ms < 100 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

/** A message rate as the status bar shows it: "850", "5.0k", "12k". */
export function formatRate(perSecond: number): string {
  if (perSecond < 1000) {
    return String(perSecond);
  }
  const k = perSecond / 1000;
  return k < 10 ? `${k.toFixed(1)}k` : `${Math.round(k)}k`;
}

/**
 * Leaves a user-timing mark (`performance.mark`) once the screen just mounted has been drawn:
 * the frame after the one that painted it. Startup is measured from these marks.
 */
export function markShown(name: string): void {
  requestAnimationFrame(() => requestAnimationFrame(() => performance.mark(name)));
}
