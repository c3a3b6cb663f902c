import { describe, expect, it } from "vitest";
import type { KillStep } from "./bindings/KillStep";
import type { KillSwitchReport } from "./bindings/KillSwitchReport";
import { headline, isKillChord, stepText } from "./kill";

const key = { key: "K", ctrlKey: true, metaKey: false, shiftKey: true, altKey: false, repeat: false };

function step(state: KillStep["state"], attempts: number, cleared: number, remaining: number | null, error: string | null = null): KillStep {
  return { state, attempts, cleared, remaining, error };
}

function report(finished: boolean, closePositions: boolean, orders: KillStep, positions: KillStep | null = null): KillSwitchReport {
  return { startedAtMs: 0, closePositions, finished, accounts: [{ accountId: "a", label: "A", orders, positions }] };
}

describe("the kill switch", () => {
  it("fires on Ctrl+Shift+K or Cmd+Shift+K only, not on a held key or another chord", () => {
    expect(isKillChord(key)).toBe(true);
    expect(isKillChord({ ...key, key: "k", ctrlKey: false, metaKey: true })).toBe(true);
    expect(isKillChord({ ...key, shiftKey: false })).toBe(false);
    expect(isKillChord({ ...key, altKey: true })).toBe(false);
    expect(isKillChord({ ...key, repeat: true })).toBe(false);
    expect(isKillChord({ ...key, ctrlKey: false })).toBe(false);
    expect(isKillChord({ ...key, key: "L" })).toBe(false);
  });

  it("says what each step cleared, what is left and why", () => {
    expect(stepText(step("done", 1, 2, 0), "orders")).toBe("Done: 2 orders cancelled, none left");
    expect(stepText(step("done", 2, 1, 0), "positions")).toBe("Done: 1 position closed, none left");
    expect(stepText(step("working", 0, 0, null), "orders")).toBe("Working…");
    expect(stepText(step("working", 3, 1, 2, "the venue did not answer"), "orders")).toBe(
      "Retrying (attempt 3): 1 order cancelled, 2 left — the venue did not answer",
    );
    expect(stepText(step("failed", 20, 0, 1, "not connected"), "positions")).toBe("Not confirmed after 20 attempts: 1 left — not connected");
    expect(stepText(null, "positions")).toBe("Kept (not asked to close)");
  });

  it("heads the report with what is still open", () => {
    expect(headline(report(false, false, step("working", 0, 0, null)))).toBe("Kill switch: working on 1 account…");
    expect(headline(report(true, false, step("done", 1, 2, 0)))).toBe("Kill switch: orders cancelled on every account");
    expect(headline(report(true, true, step("done", 1, 2, 0), step("done", 1, 1, 0)))).toBe(
      "Kill switch: orders cancelled and positions closed on every account",
    );
    expect(headline(report(true, true, step("done", 1, 2, 0), step("failed", 20, 0, 1)))).toBe(
      "Kill switch: 1 step not confirmed by the venue — see below",
    );
  });
});
