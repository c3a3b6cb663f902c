import { describe, expect, it } from "vitest";
import type { AuditKind } from "./bindings/AuditKind";
import {
  AUDIT_KINDS,
  NO_FILTERS,
  PAGE_SIZE,
  accountName,
  appendPage,
  buildQuery,
  cleanCode,
  countText,
  detailText,
  exportedText,
  filtersActive,
  formatLocalTime,
  fromLocalInput,
  kindLabel,
  kindTone,
  pageQuery,
  stateLabel,
  toLocalInput,
} from "./audit";

// Local times: the tests hold in any time zone the machine is set to.
const local = (y: number, mo: number, d: number, h: number, mi: number, s = 0, ms = 0): number => new Date(y, mo - 1, d, h, mi, s, ms).getTime();

describe("audit labels", () => {
  it("names all thirteen kinds, in Rust's order", () => {
    expect(AUDIT_KINDS).toEqual([
      "unlock",
      "lock",
      "code_refused",
      "mfa",
      "account",
      "order_intent",
      "request",
      "answer",
      "warning",
      "breaker",
      "kill_switch",
      "settings",
      "audit",
    ]);
    expect(kindLabel("order_intent")).toBe("Order intent");
    expect(kindLabel("kill_switch")).toBe("Kill switch");
    expect(kindLabel("code_refused")).toBe("Code refused");
    expect(new Set(AUDIT_KINDS.map(kindLabel)).size).toBe(13);
  });

  it("colours refusals, the breaker and the kill switch as alarms", () => {
    expect(kindTone("code_refused")).toBe("alarm");
    expect(kindTone("kill_switch")).toBe("alarm");
    expect(kindTone("warning")).toBe("risk");
    expect(kindTone("request")).toBe("order");
  });

  it("words the verification state: green intact, red broken, amber unavailable", () => {
    expect(stateLabel("intact")).toEqual({ label: "Intact", tone: "ok" });
    expect(stateLabel("broken")).toEqual({ label: "Broken", tone: "bad" });
    expect(stateLabel("unavailable")).toEqual({ label: "Unavailable", tone: "problem" });
  });
});

describe("datetime-local fields", () => {
  it("reads a local time to the minute, spanning that minute", () => {
    expect(fromLocalInput("2026-11-27T14:05")).toEqual({ ms: local(2026, 11, 27, 14, 5), span: 60_000 });
    expect(fromLocalInput("2026-11-27T14:05:09")).toEqual({ ms: local(2026, 11, 27, 14, 5, 9), span: 1000 });
    expect(fromLocalInput("2026-11-27T14:05:09.5")).toEqual({ ms: local(2026, 11, 27, 14, 5, 9, 500), span: 1 });
  });

  it("refuses what is not a date and time", () => {
    for (const text of ["", "2026-11-27", "14:05", "2026-02-30T10:00", "2026-13-01T10:00", "2026-11-27T24:00", "2026-11-27T10:60", "yesterday"]) {
      expect(fromLocalInput(text)).toBeNull();
    }
  });

  it("writes a time back as the field holds it, to the minute", () => {
    expect(toLocalInput(local(2026, 1, 2, 3, 4, 59))).toBe("2026-01-02T03:04");
    const text = "2026-11-27T09:30";
    expect(toLocalInput(fromLocalInput(text)?.ms ?? 0)).toBe(text);
  });

  it("shows a record's time in local time with seconds", () => {
    expect(formatLocalTime(local(2026, 11, 7, 9, 5, 3, 999))).toBe("2026-11-07 09:05:03");
  });
});

describe("the audit query", () => {
  it("asks for everything when nothing is filtered", () => {
    expect(buildQuery(NO_FILTERS)).toEqual({ query: { kinds: [] } });
    expect(filtersActive(NO_FILTERS)).toBe(false);
  });

  it("takes in the whole minute the range ends on (Rust's end is exclusive)", () => {
    const built = buildQuery({ ...NO_FILTERS, from: "2026-11-27T14:00", to: "2026-11-27T14:30" });
    expect(built).toEqual({ query: { kinds: [], fromMs: local(2026, 11, 27, 14, 0), toMs: local(2026, 11, 27, 14, 31) } });
  });

  it("leaves out what is not set, so optional fields are absent rather than undefined", () => {
    const built = buildQuery({ ...NO_FILTERS, account: "acc-1" });
    expect(built).toEqual({ query: { kinds: [], account: "acc-1" } });
    expect(Object.keys("query" in built ? built.query : {})).toEqual(["kinds", "account"]);
  });

  it("lists the ticked kinds in Rust's order, and all of them as none", () => {
    expect(buildQuery({ ...NO_FILTERS, kinds: ["kill_switch", "unlock"] })).toEqual({ query: { kinds: ["unlock", "kill_switch"] } });
    expect(buildQuery({ ...NO_FILTERS, kinds: [...AUDIT_KINDS] })).toEqual({ query: { kinds: [] } });
    expect(filtersActive({ ...NO_FILTERS, kinds: ["lock"] as AuditKind[] })).toBe(true);
  });

  it("says why when the range cannot be read or runs backwards", () => {
    expect(buildQuery({ ...NO_FILTERS, from: "nonsense" })).toEqual({ error: "The start of the time range is not a date and time." });
    expect(buildQuery({ ...NO_FILTERS, to: "2026-02-30T00:00" })).toEqual({ error: "The end of the time range is not a date and time." });
    expect(buildQuery({ ...NO_FILTERS, from: "2026-11-27T15:00", to: "2026-11-27T14:00" })).toEqual({ error: "The time range ends before it starts." });
    // From and to the same minute: that minute.
    expect("query" in buildQuery({ ...NO_FILTERS, from: "2026-11-27T14:00", to: "2026-11-27T14:00" })).toBe(true);
  });

  it("pages back from the oldest record shown", () => {
    const query = { kinds: ["unlock" as AuditKind], account: "a" };
    expect(pageQuery(query, [])).toEqual({ kinds: ["unlock"], account: "a", limit: PAGE_SIZE });
    expect(pageQuery(query, [{ seq: 40 }, { seq: 12 }, { seq: 25 }])).toEqual({ kinds: ["unlock"], account: "a", limit: PAGE_SIZE, beforeSeq: 12 });
    expect(query).toEqual({ kinds: ["unlock"], account: "a" });
  });

  it("adds an older page without repeating a record", () => {
    const shown = [{ seq: 9 }, { seq: 8 }];
    expect(appendPage(shown, [{ seq: 8 }, { seq: 7 }, { seq: 6 }]).map((r) => r.seq)).toEqual([9, 8, 7, 6]);
  });
});

describe("audit wording", () => {
  it("counts what is shown against what matches", () => {
    expect(countText(200, 1234)).toBe("200 of 1,234 matching");
    expect(countText(0, 0)).toBe("0 of 0 matching");
  });

  it("reports an export with its path", () => {
    expect(exportedText(12, "/home/me/Downloads/rampart-audit-1.csv")).toBe("Exported 12 records to /home/me/Downloads/rampart-audit-1.csv");
    expect(exportedText(1, "/tmp/a.json")).toBe("Exported 1 record to /tmp/a.json");
  });

  it("names accounts by label, falls back to the id of one since removed, and a dash for none", () => {
    const accounts = [{ id: "acc-1", label: "Main" }];
    expect(accountName(accounts, "acc-1")).toBe("Main");
    expect(accountName(accounts, "acc-gone")).toBe("acc-gone");
    expect(accountName(accounts, null)).toBe("—");
  });

  it("pretty-prints a record's particulars", () => {
    expect(detailText({ symbol: "BTCUSDT", qty: "0.01" })).toBe('{\n  "symbol": "BTCUSDT",\n  "qty": "0.01"\n}');
    expect(detailText(null)).toBe("");
  });

  it("takes a six-digit code with or without a space between the groups", () => {
    expect(cleanCode("123456")).toBe("123456");
    expect(cleanCode(" 123 456 ")).toBe("123456");
    expect(cleanCode("12345")).toBeNull();
    expect(cleanCode("12345a")).toBeNull();
  });
});
