import { describe, expect, it } from "vitest";
import type { GuardStatus } from "./bindings/GuardStatus";
import type { GuardWarningView } from "./bindings/GuardWarningView";
import type { Severity } from "./bindings/Severity";
import { bannerWarning, deadMansText, panelOrder, severityLabel, warningsCount, worstUnread } from "./guard";

function view(id: number, atMs: number, severity: Severity, acknowledged: boolean): GuardWarningView {
  return {
    id,
    atMs,
    acknowledged,
    warning: { kind: "burst", severity, account: "a", symbol: null, seen: `seen ${id}`, advice: "advice" },
  };
}

function status(warnings: GuardWarningView[]): GuardStatus {
  return { warnings, unacknowledged: warnings.filter((w) => !w.acknowledged).length, halts: [] };
}

describe("the warnings panel", () => {
  it("lists unread warnings first, newest first within each group", () => {
    const s = status([view(1, 100, "info", true), view(2, 200, "warning", false), view(3, 300, "high", true), view(4, 400, "info", false)]);
    expect(panelOrder(s).map((w) => w.id)).toEqual([4, 2, 3, 1]);
  });

  it("counts what is unread in words", () => {
    expect(warningsCount(null)).toBe("No new warnings");
    expect(warningsCount(status([view(1, 1, "info", false)]))).toBe("1 warning");
    expect(warningsCount(status([view(1, 1, "info", false), view(2, 2, "info", false), view(3, 3, "info", true)]))).toBe("2 warnings");
  });

  it("colours the status bar by the worst unread severity, ignoring acknowledged ones", () => {
    expect(worstUnread(null)).toBeNull();
    expect(worstUnread(status([view(1, 1, "critical", true), view(2, 2, "warning", false), view(3, 3, "info", false)]))).toBe("warning");
    expect(worstUnread(status([view(1, 1, "high", false), view(2, 2, "critical", false)]))).toBe("critical");
  });

  it("names every severity by what it asks of the user", () => {
    expect(["info", "warning", "high", "critical"].map((s) => severityLabel(s as Severity))).toEqual(["Note", "Warning", "Needs a code", "Halted"]);
  });
});

describe("the warning banner", () => {
  it("shows the newest unread warning or high one, with how many more wait", () => {
    expect(bannerWarning(null)).toBeNull();
    expect(bannerWarning(status([view(1, 1, "info", false), view(2, 2, "critical", false), view(3, 3, "high", true)]))).toBeNull();
    const b = bannerWarning(status([view(1, 10, "warning", false), view(2, 30, "high", false), view(3, 20, "warning", false), view(4, 40, "info", false)]));
    expect(b?.view.id).toBe(2);
    expect(b?.more).toBe(2);
    // A code-asking warning stays in front of a newer plain one.
    const c = bannerWarning(status([view(1, 10, "high", false), view(2, 10, "warning", false), view(3, 50, "warning", false)]));
    expect(c?.view.id).toBe(1);
    expect(c?.more).toBe(2);
  });
});

describe("deadMansText", () => {
  const ready = {
    accountId: "a",
    venue: "okx" as const,
    connection: { state: "ready" as const },
    clockOffsetMs: 0,
    checking: [],
    recovering: false,
    lastRoundTripUs: null,
    keyPermissions: null,
  };
  it("says what each venue's switch covers, its range and its condition", () => {
    expect(
      deadMansText({ ...ready, deadMansSwitch: { scope: { scope: "account" }, minCountdownMs: 10_000, maxCountdownMs: 120_000, note: null } }),
    ).toBe("Venue: the whole account, 10–120 s.");
    expect(
      deadMansText({
        ...ready,
        venue: "bybit",
        deadMansSwitch: {
          scope: { scope: "connection" },
          minCountdownMs: 3_000,
          maxCountdownMs: 300_000,
          note: "Bybit offers its disconnect cancel-all only to institutional accounts",
        },
      }),
    ).toBe(
      "Venue: the account's orders when its connection drops, 3–300 s. Bybit offers its disconnect cancel-all only to institutional accounts.",
    );
    expect(deadMansText({ ...ready, deadMansSwitch: null })).toBe("This venue has no dead man's switch.");
    expect(deadMansText({ ...ready, connection: { state: "connecting" }, deadMansSwitch: null })).toBe("");
    expect(deadMansText(undefined)).toBe("");
  });
});
