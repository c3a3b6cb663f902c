// The guard's warnings as the workspace words them.
import type { GuardStatus } from "./bindings/GuardStatus";
import type { GuardWarningView } from "./bindings/GuardWarningView";
import type { Severity } from "./bindings/Severity";

const LABELS: Record<Severity, string> = {
  info: "Note",
  warning: "Warning",
  high: "Needs a code",
  critical: "Halted",
};

export function severityLabel(severity: Severity): string {
  return LABELS[severity];
}

/** The panel's order: unacknowledged first, then newest first. */
export function panelOrder(status: GuardStatus): GuardWarningView[] {
  return [...status.warnings].sort((a, b) => Number(a.acknowledged) - Number(b.acknowledged) || b.atMs - a.atMs);
}

/** The status bar's words for the warnings not yet read. */
export function warningsCount(status: GuardStatus | null): string {
  const n = status?.unacknowledged ?? 0;
  return n === 0 ? "No new warnings" : n === 1 ? "1 warning" : `${n} warnings`;
}

/** The worst severity among the warnings not yet read, for the status bar's colour. */
export function worstUnread(status: GuardStatus | null): Severity | null {
  const order: Severity[] = ["info", "warning", "high", "critical"];
  let worst: Severity | null = null;
  for (const w of status?.warnings ?? []) {
    if (!w.acknowledged && (worst === null || order.indexOf(w.warning.severity) > order.indexOf(worst))) {
      worst = w.warning.severity;
    }
  }
  return worst;
}
