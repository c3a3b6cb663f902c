import { describe, expect, it } from "vitest";
import { eventTime, formatMs, formatRate, orderTiming } from "./timing";

describe("order timing", () => {
  it("times an order from its event to its answer, with the exchange's share and both wall-clock times", () => {
    expect(orderTiming(100, 102.5, { roundTripUs: 400.2, sentAtUs: 1_700_000_000_101_200 }, 1_700_000_000_000)).toEqual({
      pageUs: 2500,
      roundTripUs: 400,
      clickedAtUs: 1_700_000_000_100_000,
      sentAtUs: 1_700_000_000_101_200,
    });
  });

  it("never reports a negative time when the page's clock is coarser than the answer", () => {
    expect(orderTiming(100, 99, { roundTripUs: -1, sentAtUs: 0 }, 0)).toMatchObject({ pageUs: 0, roundTripUs: 0 });
  });

  it("takes the event's own time when it is on the page's clock, else now", () => {
    const now = performance.now();
    expect(eventTime({ timeStamp: now - 5 } as Event)).toBe(now - 5);
    // An epoch-millisecond stamp (far in the future of the page's clock) is not used.
    const epoch = eventTime({ timeStamp: Date.now() } as Event);
    expect(epoch).toBeLessThanOrEqual(performance.now());
    expect(eventTime(null)).toBeLessThanOrEqual(performance.now());
  });

  it("formats milliseconds with one decimal below 100 ms", () => {
    expect(formatMs(1234)).toBe("1.2 ms");
    expect(formatMs(99_940)).toBe("99.9 ms");
    expect(formatMs(250_400)).toBe("250 ms");
  });
});

describe("message rate", () => {
  it("shows thousands with a k", () => {
    expect(formatRate(0)).toBe("0");
    expect(formatRate(850)).toBe("850");
    expect(formatRate(4_960)).toBe("5.0k");
    expect(formatRate(12_400)).toBe("12k");
  });
});
