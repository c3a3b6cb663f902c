import { describe, expect, it } from "vitest";
import type { AccountStatus } from "./bindings/AccountStatus";
import {
  connectionText,
  credentialLabels,
  keyAge,
  environmentName,
  formatWait,
  groupsOfFour,
  isDemo,
  keyBadges,
  tradingBlocked,
  venueName,
} from "./format";

describe("format", () => {
  it("counts down in seconds, then minutes", () => {
    expect(formatWait(30)).toBe("30 s");
    expect(formatWait(0.2)).toBe("1 s");
    expect(formatWait(-5)).toBe("0 s");
    expect(formatWait(65)).toBe("1 min 05 s");
    expect(formatWait(3600)).toBe("60 min 00 s");
  });

  it("groups a base32 secret by four", () => {
    expect(groupsOfFour("ABCDEFGHIJ")).toBe("ABCD EFGH IJ");
    expect(groupsOfFour("ABCD")).toBe("ABCD");
  });

  it("names venues, environments and their credential fields", () => {
    expect(venueName("okx")).toBe("OKX");
    expect(environmentName("testnet")).toBe("Testnet");
    expect(credentialLabels("okx").passphrase).toBe(true);
    expect(credentialLabels("deribit").key).toBe("Client ID");
    expect(credentialLabels("binance_usdm").passphrase).toBe(false);
  });
});

describe("connectionText", () => {
  const base: AccountStatus = {
    accountId: "a1",
    venue: "demo",
    connection: { state: "ready" },
    clockOffsetMs: 12,
    checking: [],
    recovering: false,
    lastRoundTripUs: null,
    keyPermissions: null,
    deadMansSwitch: null,
  };

  it("says connected with the venue clock's offset", () => {
    expect(connectionText(base)).toBe("Connected · clock +12 ms");
    expect(connectionText({ ...base, clockOffsetMs: -3 })).toBe("Connected · clock -3 ms");
    expect(connectionText({ ...base, clockOffsetMs: null })).toBe("Connected");
  });

  it("shows what the key may do: red for withdrawals, amber for no IP restriction, the ticket off for read-only", () => {
    expect(keyBadges(base)).toEqual([]);
    expect(tradingBlocked(base)).toBeNull();
    const key = { canRead: true, canTrade: true, canWithdraw: false, canTransfer: false, ipRestricted: true, createdMs: null };
    expect(keyBadges({ ...base, keyPermissions: key })).toEqual([]);
    const risky = keyBadges({ ...base, keyPermissions: { ...key, canWithdraw: true, ipRestricted: false } });
    expect(risky.map((b) => [b.tone, b.text])).toEqual([
      ["danger", "Key can withdraw"],
      ["caution", "No IP restriction"],
    ]);
    const readOnly = { ...base, keyPermissions: { ...key, canTrade: false } };
    expect(keyBadges(readOnly).map((b) => b.text)).toEqual(["Read-only key"]);
    expect(tradingBlocked(readOnly)).toContain("read-only");
  });

  it("says why an account is not connected, and when it is still checking", () => {
    expect(connectionText({ ...base, connection: { state: "failed", message: "no route" } })).toBe(
      "Not connected: no route",
    );
    expect(connectionText({ ...base, connection: { state: "connecting" } })).toBe("Connecting…");
    expect(connectionText({ ...base, recovering: true })).toBe("Checking with the exchange");
  });

  it("marks the built-in simulator's accounts as Demo", () => {
    expect(isDemo({ venue: "demo", environment: "demo" })).toBe(true);
    expect(isDemo({ venue: "bybit", environment: "simulator" })).toBe(true);
    expect(isDemo({ venue: "okx", environment: "simulator" })).toBe(true);
    expect(isDemo({ venue: "binance_usdm", environment: "live" })).toBe(false);
    // A venue's own demo trading is not Rampart's simulator.
    expect(isDemo({ venue: "okx", environment: "demo" })).toBe(false);
  });
});

describe("keyAge", () => {
  const day = 86_400_000;
  it("counts whole days and flags a key at or past the limit", () => {
    expect(keyAge(0, 89 * day + day - 1, 90)).toEqual({ days: 89, old: false });
    expect(keyAge(0, 90 * day, 90)).toEqual({ days: 90, old: true });
    expect(keyAge(5 * day, 0, 90)).toEqual({ days: 0, old: false });
  });
});
