import { describe, expect, it } from "vitest";
import { formatBands, parseBands } from "./bands";

describe("per-instrument bands", () => {
  it("reads and writes SYMBOL warn/block pairs", () => {
    const bands = parseBands(" ethusdt 3/8 ; BTCUSDT 1/5;");
    expect(bands).toEqual({ ETHUSDT: { warnPct: "3", blockPct: "8" }, BTCUSDT: { warnPct: "1", blockPct: "5" } });
    expect(formatBands(bands)).toBe("BTCUSDT 1/5; ETHUSDT 3/8");
    expect(parseBands("")).toEqual({});
    expect(parseBands(formatBands({ SOLUSDT: { warnPct: "1.5", blockPct: "4" } }))).toEqual({ SOLUSDT: { warnPct: "1.5", blockPct: "4" } });
  });

  it("names what it cannot read", () => {
    expect(() => parseBands("BTCUSDT 1-5")).toThrow('"BTCUSDT 1-5" is not an instrument with its bands, such as "BTCUSDT 1/5".');
    expect(() => parseBands("BTCUSDT -1/5")).toThrow("is not an instrument");
    expect(() => parseBands("BTCUSDT 1/5; btcusdt 2/6")).toThrow("BTCUSDT is listed twice.");
    expect(() => parseBands("<img> 1/5")).toThrow("is not an instrument");
  });
});
