// The kill switch as the window shows it: its chord, and each account's steps in words.
import type { KillStep } from "./bindings/KillStep";
import type { KillSwitchReport } from "./bindings/KillSwitchReport";

/** The kill switch's keys: Ctrl+Shift+K (⌘⇧K on macOS). It fires from any screen while
 *  unlocked, a text field focused or not: no field takes this chord as text. */
export function isKillChord(event: { key: string; ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; altKey: boolean; repeat: boolean }): boolean {
  return (event.ctrlKey || event.metaKey) && event.shiftKey && !event.altKey && !event.repeat && event.key.toLowerCase() === "k";
}

/** One step on one account in words: what was cleared, what is left, and why. */
export function stepText(step: KillStep | null, what: "orders" | "positions"): string {
  if (step === null) {
    return what === "positions" ? "Kept (not asked to close)" : "—";
  }
  const noun = what === "orders" ? ["order cancelled", "orders cancelled"] : ["position closed", "positions closed"];
  const cleared = `${step.cleared} ${step.cleared === 1 ? noun[0] : noun[1]}`;
  const left = step.remaining === null ? "not read yet" : step.remaining === 0 ? "none left" : `${step.remaining} left`;
  switch (step.state) {
    case "done":
      return `Done: ${cleared}, ${left}`;
    case "working":
      return step.attempts === 0
        ? "Working…"
        : `Retrying (attempt ${step.attempts}): ${cleared}, ${left}${step.error ? ` — ${step.error}` : ""}`;
    case "failed":
      return `Not confirmed after ${step.attempts} attempt${step.attempts === 1 ? "" : "s"}: ${left}${step.error ? ` — ${step.error}` : ""}`;
  }
}

/** The report's headline. */
export function headline(report: KillSwitchReport): string {
  const steps = report.accounts.flatMap((a) => (a.positions ? [a.orders, a.positions] : [a.orders]));
  const failed = steps.filter((s) => s.state === "failed").length;
  const what = report.closePositions ? "orders cancelled and positions closed" : "orders cancelled";
  if (!report.finished) {
    return `Kill switch: working on ${report.accounts.length} account${report.accounts.length === 1 ? "" : "s"}…`;
  }
  if (failed > 0) {
    return `Kill switch: ${failed} step${failed === 1 ? "" : "s"} not confirmed by the venue — see below`;
  }
  return `Kill switch: ${what} on every account`;
}
