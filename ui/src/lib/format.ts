// Small display helpers shared by the screens.
import type { AccountStatus } from "./bindings/AccountStatus";
import type { AccountView } from "./bindings/AccountView";
import type { Environment } from "./bindings/Environment";
import type { Venue } from "./bindings/Venue";

export const VENUES: ReadonlyArray<{ id: Venue; name: string }> = [
  { id: "binance_usdm", name: "Binance USDⓈ-M Futures" },
  { id: "bybit", name: "Bybit" },
  { id: "okx", name: "OKX" },
  { id: "deribit", name: "Deribit" },
  { id: "demo", name: "Demo (built-in simulator)" },
];

export const ENVIRONMENTS: ReadonlyArray<{ id: Environment; name: string }> = [
  { id: "live", name: "Live" },
  { id: "testnet", name: "Testnet" },
  { id: "demo", name: "Demo trading" },
  { id: "simulator", name: "Demo (built-in simulator)" },
];

export function venueName(venue: Venue): string {
  return VENUES.find((v) => v.id === venue)?.name ?? venue;
}

/** Whether the account trades on the built-in simulator (no real money, no network): the Demo
 *  venue, or any venue's Demo account in the simulator environment. */
export function isDemo(account: Pick<AccountView, "venue" | "environment">): boolean {
  return account.venue === "demo" || account.environment === "simulator";
}

/** An account's connection in a few words, with the venue clock's offset once measured. */
export function connectionText(status: AccountStatus): string {
  const c = status.connection;
  if (c.state === "failed") {
    return `Not connected: ${c.message}`;
  }
  if (c.state === "connecting") {
    return "Connecting…";
  }
  if (status.recovering) {
    return "Checking with the exchange";
  }
  const offset = status.clockOffsetMs;
  return offset === null ? "Connected" : `Connected · clock ${offset >= 0 ? "+" : ""}${offset} ms`;
}

/** What the account's API key may do, as badges: red for withdrawal rights, amber for no IP
 *  restriction, grey for a read-only key. Empty when the venue has not said. */
export function keyBadges(status: AccountStatus | undefined): { tone: "danger" | "caution" | "muted"; kind: string; text: string; title: string }[] {
  const k = status?.keyPermissions;
  if (!k) {
    return [];
  }
  const badges: { tone: "danger" | "caution" | "muted"; kind: string; text: string; title: string }[] = [];
  if (k.canWithdraw) {
    badges.push({ tone: "danger", kind: "withdraw", text: "Key can withdraw", title: "This API key may withdraw funds. Replace it with a key without withdrawal permission; until then each session asks for a code before this account's first order." });
  }
  if (!k.ipRestricted) {
    badges.push({ tone: "caution", kind: "no-ip", text: "No IP restriction", title: "This API key works from any IP address. Restrict it to yours on the exchange." });
  }
  if (!k.canTrade) {
    badges.push({ tone: "muted", kind: "read-only", text: "Read-only key", title: "This API key may not trade: the order ticket is off for this account." });
  }
  return badges;
}

/** Why the ticket is off for this account, or `null` when it can trade. */
export function tradingBlocked(status: AccountStatus | undefined): string | null {
  if (status?.keyPermissions && !status.keyPermissions.canTrade) {
    return "This account's API key is read-only: the exchange would refuse every order. Enable trading for the key on the exchange, or add a key that has it.";
  }
  return null;
}

export function environmentName(environment: Environment): string {
  return ENVIRONMENTS.find((e) => e.id === environment)?.name ?? environment;
}

/** Which credential fields a venue asks for, and what they are called there. */
export function credentialLabels(venue: Venue): { key: string; secret: string; passphrase: boolean } {
  switch (venue) {
    case "deribit":
      return { key: "Client ID", secret: "Client secret", passphrase: false };
    case "okx":
      return { key: "API key", secret: "API secret", passphrase: true };
    case "binance_usdm":
      return { key: "API key", secret: "API secret or Ed25519 private key (PEM)", passphrase: false };
    default:
      return { key: "API key", secret: "API secret", passphrase: false };
  }
}

/** "1 min 05 s" style countdown text. */
export function formatWait(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  if (s < 60) {
    return `${s} s`;
  }
  const minutes = Math.floor(s / 60);
  const rest = s % 60;
  return `${minutes} min ${rest.toString().padStart(2, "0")} s`;
}

/** Groups of four characters, for reading a base32 secret aloud or typing it. */
export function groupsOfFour(text: string): string {
  return text.replace(/(.{4})(?=.)/g, "$1 ");
}

/** Whole days from `createdAtMs` to `nowMs` (as Rust's `key_age_days`), and whether the key is
 * past `limitDays`. */
export function keyAge(createdAtMs: number, nowMs: number, limitDays: number): { days: number; old: boolean } {
  const days = Math.max(0, Math.floor((nowMs - createdAtMs) / 86_400_000));
  return { days, old: days >= limitDays };
}

export function formatDate(millis: number): string {
  return new Date(millis).toLocaleString();
}
