// The audit trail as the viewer words it: kind and state labels, the query built from the
// filter inputs, and local times to and from the datetime-local fields.
import type { AccountView } from "./bindings/AccountView";
import type { AuditKind } from "./bindings/AuditKind";
import type { AuditQuery } from "./bindings/AuditQuery";
import type { AuditState } from "./bindings/AuditState";

/** Records per page: Rust's default page size. */
export const PAGE_SIZE = 200;

// A Record over the generated union: a kind added in Rust is a type error here until it has a label.
const KIND_LABELS: Record<AuditKind, string> = {
  unlock: "Unlock",
  lock: "Lock",
  code_refused: "Code refused",
  mfa: "Authenticator",
  account: "Account",
  order_intent: "Order intent",
  request: "Request",
  answer: "Answer",
  warning: "Warning",
  breaker: "Breaker",
  kill_switch: "Kill switch",
  settings: "Settings",
  audit: "Audit",
};

/** Every kind, in Rust's order (AuditKind::ALL). */
export const AUDIT_KINDS: readonly AuditKind[] = Object.keys(KIND_LABELS) as AuditKind[];

export function kindLabel(kind: AuditKind): string {
  return KIND_LABELS[kind] ?? kind;
}

/** The family a kind belongs to, for the colour of its tag. */
export type KindTone = "session" | "order" | "risk" | "alarm" | "admin";

const KIND_TONES: Record<AuditKind, KindTone> = {
  unlock: "session",
  lock: "session",
  mfa: "session",
  code_refused: "alarm",
  order_intent: "order",
  request: "order",
  answer: "order",
  warning: "risk",
  breaker: "alarm",
  kill_switch: "alarm",
  account: "admin",
  settings: "admin",
  audit: "admin",
};

export function kindTone(kind: AuditKind): KindTone {
  return KIND_TONES[kind] ?? "admin";
}

const STATES: Record<AuditState, { label: string; tone: "ok" | "bad" | "problem" }> = {
  intact: { label: "Intact", tone: "ok" },
  broken: { label: "Broken", tone: "bad" },
  unavailable: { label: "Unavailable", tone: "problem" },
};

/** The verification pill: its word and colour (green, red, amber). */
export function stateLabel(state: AuditState): { label: string; tone: "ok" | "bad" | "problem" } {
  return STATES[state];
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** A time as a datetime-local field holds it (local time, to the minute): "2026-11-27T14:05". */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** What a datetime-local field holds, as ms since the epoch, with how long the shown time
 *  spans (a minute, a second when seconds are shown, a millisecond with a fraction). `null`
 *  when empty or not a time. A local time skipped by a clock change reads as the browser's
 *  Date does (moved forward). */
export function fromLocalInput(text: string): { ms: number; span: number } | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/.exec(text.trim());
  if (m === null) {
    return null;
  }
  const [y, mo, d, h, mi] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number, number];
  const s = m[6] === undefined ? 0 : Number(m[6]);
  const milli = m[7] === undefined ? 0 : Number(m[7].padEnd(3, "0"));
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) {
    return null;
  }
  const date = new Date(y, mo - 1, d, h, mi, s, milli);
  // 31 February rolls over into March, year 0050 reads as 1950: not a date we take.
  if (date.getFullYear() !== y || date.getMonth() !== mo - 1 || date.getDate() !== d) {
    return null;
  }
  const span = m[7] !== undefined ? 1 : m[6] !== undefined ? 1000 : 60_000;
  return { ms: date.getTime(), span };
}

/** The filters as the page holds them. */
export interface AuditFilters {
  /** datetime-local text, "" for no bound. */
  from: string;
  to: string;
  /** An account id, "" for every account. */
  account: string;
  /** Ticked kinds; none ticked means every kind. */
  kinds: readonly AuditKind[];
}

export const NO_FILTERS: AuditFilters = { from: "", to: "", account: "", kinds: [] };

export function filtersActive(f: AuditFilters): boolean {
  return f.from !== "" || f.to !== "" || f.account !== "" || f.kinds.length > 0;
}

/**
 * The query for the filters, or why there is none. "From" starts at the time shown; "to"
 * takes in the whole minute shown (14:30 includes 14:30:59), since Rust's bound is exclusive.
 * Kinds go in Rust's order; all of them ticked is the same as none (every kind).
 */
export function buildQuery(f: AuditFilters): { query: AuditQuery } | { error: string } {
  const query: AuditQuery = { kinds: [] };
  if (f.from.trim() !== "") {
    const from = fromLocalInput(f.from);
    if (from === null) {
      return { error: "The start of the time range is not a date and time." };
    }
    query.fromMs = from.ms;
  }
  if (f.to.trim() !== "") {
    const to = fromLocalInput(f.to);
    if (to === null) {
      return { error: "The end of the time range is not a date and time." };
    }
    query.toMs = to.ms + to.span;
  }
  if (query.fromMs !== undefined && query.toMs !== undefined && query.fromMs >= query.toMs) {
    return { error: "The time range ends before it starts." };
  }
  if (f.account !== "") {
    query.account = f.account;
  }
  const kinds = AUDIT_KINDS.filter((k) => f.kinds.includes(k));
  query.kinds = kinds.length === AUDIT_KINDS.length ? [] : kinds;
  return { query };
}

/** The query for the page of records older than `shown` (newest first), or the first page. */
export function pageQuery(query: AuditQuery, shown: readonly { seq: number }[]): AuditQuery {
  const next: AuditQuery = { ...query, limit: PAGE_SIZE };
  if (shown.length > 0) {
    next.beforeSeq = Math.min(...shown.map((r) => r.seq));
  }
  return next;
}

/** Adds an older page under the records shown, dropping any already there. */
export function appendPage<T extends { seq: number }>(shown: readonly T[], older: readonly T[]): T[] {
  const seen = new Set(shown.map((r) => r.seq));
  return [...shown, ...older.filter((r) => !seen.has(r.seq))];
}

const COUNT = new Intl.NumberFormat("en-US");

/** "200 of 1,234 matching". */
export function countText(shown: number, matching: number): string {
  return `${COUNT.format(shown)} of ${COUNT.format(matching)} matching`;
}

export function recordsText(n: number): string {
  return n === 1 ? "1 record" : `${COUNT.format(n)} records`;
}

/** "Exported 12 records to /home/me/Downloads/rampart-audit-….csv". */
export function exportedText(records: number, path: string): string {
  return `Exported ${recordsText(records)} to ${path}`;
}

/** A local time to the second, as the table shows it: "2026-11-27 14:05:09". */
export function formatLocalTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** The name to show for a record's account: its label, else its id (an account since removed),
 *  "—" for none. */
export function accountName(accounts: readonly Pick<AccountView, "id" | "label">[], id: string | null): string {
  if (id === null) {
    return "—";
  }
  return accounts.find((a) => a.id === id)?.label ?? id;
}

/** A record's particulars, pretty-printed. */
export function detailText(detail: Record<string, unknown> | null): string {
  return detail === null ? "" : JSON.stringify(detail, null, 2);
}

/** A code as typed (spaces allowed between the groups), or null when it is not six digits. */
export function cleanCode(text: string): string | null {
  const code = text.replace(/\s+/g, "");
  return /^\d{6}$/.test(code) ? code : null;
}
