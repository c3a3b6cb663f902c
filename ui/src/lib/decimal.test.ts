import { describe, expect, it } from "vitest";
import { dec, fixed, isPlainDecimal, plain } from "./decimal";

describe("decimal", () => {
  it("adds without float artefacts", () => {
    expect(plain(dec("0.1").plus(dec("0.2")))).toBe("0.3");
    expect(plain(dec("64250.1").times(dec("0.003")))).toBe("192.7503");
  });

  it("takes plain decimal strings only", () => {
    expect(isPlainDecimal("-12.5")).toBe(true);
    expect(isPlainDecimal(".5")).toBe(true);
    expect(isPlainDecimal("1e3")).toBe(false);
    expect(isPlainDecimal("NaN")).toBe(false);
    expect(isPlainDecimal("")).toBe(false);
    expect(() => dec("Infinity")).toThrow("not a plain decimal");
  });

  it("writes normal notation, never exponent, never minus zero", () => {
    expect(plain(dec("0.00000001").div(dec("1000")))).toBe("0.00000000001");
    expect(plain(dec("1000000000000000000000000"))).toBe("1000000000000000000000000");
    expect(plain(dec("-0"))).toBe("0");
    expect(plain(dec("2.500"))).toBe("2.5");
    expect(fixed(dec("-0.001"), 2)).toBe("0.00");
    expect(fixed(dec("-0.005"), 2)).toBe("-0.01");
    expect(fixed(dec("0.125"), 2)).toBe("0.13");
  });

  it("truncates inexact divisions toward zero", () => {
    expect(plain(dec("2").div(dec("3")).toDecimalPlaces(10))).toBe("0.6666666666");
  });
});
