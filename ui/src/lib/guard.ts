// The guard's warnings as the workspace words them.
import type { AccountStatus } from "./bindings/AccountStatus";
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

/** The warning the workspace's banner shows: of those not yet acknowledged of warning or high
 *  severity (critical ones halt trading and have the breaker's banner), the most severe, the
 *  newest among those; with how many more are waiting. `null` when there is none. */
export function bannerWarning(status: GuardStatus | null): { view: GuardWarningView; more: number } | null {
  const waiting = (status?.warnings ?? []).filter(
    (w) => !w.acknowledged && (w.warning.severity === "warning" || w.warning.severity === "high"),
  );
  if (waiting.length === 0) {
    return null;
  }
  const rank = (w: GuardWarningView): [number, number, number] => [w.warning.severity === "high" ? 1 : 0, w.atMs, w.id];
  const newest = waiting.reduce((a, b) => {
    const [ra, rb] = [rank(a), rank(b)];
    return rb[0] > ra[0] || (rb[0] === ra[0] && (rb[1] > ra[1] || (rb[1] === ra[1] && rb[2] > ra[2]))) ? b : a;
  });
  return { view: newest, more: waiting.length - 1 };
}

/** What an account's venue offers as a dead man's switch, for the Security page: its scope, the
 *  countdowns it accepts and any condition (Bybit: institutional accounts only). Empty until the
 *  account has connected. */
export function deadMansText(status: AccountStatus | undefined): string {
  if (!status || status.connection.state !== "ready") {
    return "";
  }
  const d = status.deadMansSwitch;
  if (!d) {
    return "This venue has no dead man's switch.";
  }
  const seconds = (ms: number): string => String(Math.max(1, Math.round(ms / 1000)));
  const covers =
    d.scope.scope === "symbol" ? "per symbol with open orders" : d.scope.scope === "account" ? "the whole account" : "the account's orders when its connection drops";
  const range = `${seconds(d.minCountdownMs)}–${seconds(d.maxCountdownMs)} s`;
  return `Venue: ${covers}, ${range}.${d.note ? ` ${d.note}.` : ""}`.replace("..", ".");
}
