// The one way the UI talks to Rust. Every command is typed by name; every failure arrives as an
// IpcError carrying one of the stable codes from src/lib/bindings/ErrorCode.ts.
import { invoke } from "@tauri-apps/api/core";
import type { Channel } from "@tauri-apps/api/core";
import type { Candle } from "./bindings/Candle";
import type { CandleInterval } from "./bindings/CandleInterval";
import type { LiveChanges } from "./bindings/LiveChanges";
import type { Leverage } from "./bindings/Leverage";
import type { LeverageRequest } from "./bindings/LeverageRequest";
import type { ApiError } from "./bindings/ApiError";
import type { ErrorCode } from "./bindings/ErrorCode";
import type { AccountView } from "./bindings/AccountView";
import type { AddAccountRequest } from "./bindings/AddAccountRequest";
import type { EnrolmentView } from "./bindings/EnrolmentView";
import type { Preflight } from "./bindings/Preflight";
import type { RecoveryCodesView } from "./bindings/RecoveryCodesView";
import type { SecuritySettings } from "./bindings/SecuritySettings";
import type { SessionStatus } from "./bindings/SessionStatus";
import type { Balance } from "./bindings/Balance";
import type { OptionChain } from "./bindings/OptionChain";
import type { FeeRates } from "./bindings/FeeRates";
import type { MarkPrice } from "./bindings/MarkPrice";
import type { InstrumentRules } from "./bindings/InstrumentRules";
import type { OrderRef } from "./bindings/OrderRef";
import type { OrderState } from "./bindings/OrderState";
import type { OrderTicket } from "./bindings/OrderTicket";
import type { GuardStatus } from "./bindings/GuardStatus";
import type { KillSwitchReport } from "./bindings/KillSwitchReport";
import type { GuardSettings } from "./bindings/GuardSettings";
import type { GuardSettingsView } from "./bindings/GuardSettingsView";
import type { PlaceOutcome } from "./bindings/PlaceOutcome";
import type { Position } from "./bindings/Position";
import type { TradingStatus } from "./bindings/TradingStatus";
import type { AuditExported } from "./bindings/AuditExported";
import type { AuditFormat } from "./bindings/AuditFormat";
import type { AuditPage } from "./bindings/AuditPage";
import type { AuditQuery } from "./bindings/AuditQuery";
import type { AuditStatus } from "./bindings/AuditStatus";

type None = Record<string, never>;

/** Every command the app registers (src-tauri/build.rs COMMANDS): arguments and result. */
export interface Commands {
  preflight: { args: None; result: Preflight };
  session_status: { args: None; result: SessionStatus };
  begin_enrolment: { args: None; result: EnrolmentView };
  complete_enrolment: { args: { code: string; recoveryCode?: string | null }; result: RecoveryCodesView };
  unlock: { args: { code: string }; result: SessionStatus };
  lock: { args: None; result: SessionStatus };
  touch: { args: None; result: null };
  list_accounts: { args: None; result: AccountView[] };
  add_account: { args: { request: AddAccountRequest }; result: AccountView };
  rename_account: { args: { id: string; label: string }; result: AccountView };
  remove_account: { args: { id: string; code: string }; result: AccountView[] };
  security_settings: { args: None; result: SecuritySettings };
  set_idle_lock: { args: { minutes: number; code: string }; result: SecuritySettings };
  begin_mfa_swap: { args: { code: string }; result: EnrolmentView };
  complete_mfa_swap: { args: { code: string }; result: RecoveryCodesView };
  trading_status: { args: None; result: TradingStatus[] };
  list_instruments: { args: { accountId: string }; result: InstrumentRules[] };
  place_order: { args: { accountId: string; ticket: OrderTicket; confirmed?: boolean; stepUpCode?: string }; result: PlaceOutcome };
  cancel_order: { args: { order: OrderRef }; result: OrderState };
  cancel_all_orders: { args: { accountId: string; symbol: string | null }; result: null };
  open_orders: { args: { accountId: string }; result: OrderState[] };
  positions: { args: { accountId: string }; result: Position[] };
  mark_price: { args: { accountId: string; symbol: string }; result: MarkPrice };
  fee_rates: { args: { accountId: string; symbol: string }; result: FeeRates };
  option_chain: { args: { accountId: string; underlying: string }; result: OptionChain };
  balances: { args: { accountId: string }; result: Balance[] };
  follow_live: { args: { onChange: Channel<LiveChanges> }; result: null };
  watch_market: { args: { accountId: string; symbol: string; interval: CandleInterval; history: number }; result: Candle[] };
  stop_market: { args: None; result: null };
  set_leverage: { args: { accountId: string; request: LeverageRequest }; result: Leverage };
  guard_status: { args: None; result: GuardStatus };
  acknowledge_warning: { args: { id: number }; result: GuardStatus };
  resume_trading: { args: { accountId: string; code: string }; result: GuardStatus };
  kill_switch: { args: { closePositions: boolean }; result: KillSwitchReport };
  kill_switch_status: { args: None; result: KillSwitchReport | null };
  guard_settings: { args: None; result: GuardSettingsView };
  set_guard_settings: { args: { settings: GuardSettings; code: string }; result: GuardSettingsView };
  audit_status: { args: None; result: AuditStatus };
  audit_records: { args: { query: AuditQuery }; result: AuditPage };
  set_key_age_limit: { args: { days: number; code: string }; result: SecuritySettings };
  rotate_data_key: { args: { code: string }; result: null };
  export_audit: { args: { query: AuditQuery; format: AuditFormat; code: string }; result: AuditExported };
}

export type CommandName = keyof Commands;

// A Record over the generated union: adding a code in Rust without listing it here (or listing
// one Rust does not have) fails the type check.
const KNOWN_CODES: Record<ErrorCode, true> = {
  keychain_unavailable: true,
  keychain_access_denied: true,
  keychain_failure: true,
  data_dir_unavailable: true,
  invalid_input: true,
  locked: true,
  not_enrolled: true,
  wrong_code: true,
  code_already_used: true,
  too_many_attempts: true,
  account_not_found: true,
  invalid_order: true,
  order_rejected: true,
  not_sent: true,
  checking_with_exchange: true,
  venue_unavailable: true,
  order_not_found: true,
  refused_by_guard: true,
  trading_halted: true,
  recovery_code_needed: true,
  file_tampered: true,
  internal: true,
};

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(KNOWN_CODES, value);
}

/** A failed command, as the UI handles it. */
export class IpcError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = "IpcError";
    this.code = code;
  }
}

function isApiError(value: unknown): value is ApiError {
  if (typeof value !== "object" || value === null) {
    return false;
  }
  const record = value as Record<string, unknown>;
  return isErrorCode(record["code"]) && typeof record["message"] === "string";
}

function describe(raw: unknown): string {
  if (typeof raw === "string") {
    return raw;
  }
  if (raw instanceof Error) {
    return raw.message;
  }
  try {
    return JSON.stringify(raw) ?? String(raw);
  } catch {
    return String(raw);
  }
}

/**
 * Turns whatever a rejected invoke produced into an IpcError. Rampart's commands reject with
 * {code, message}; Tauri itself rejects with a plain string when a command is unknown or not
 * allowed for this window, which is a bug on our side and reported as `internal`.
 */
export function toIpcError(raw: unknown, command: string): IpcError {
  if (isApiError(raw)) {
    return new IpcError(raw.code, raw.message);
  }
  return new IpcError("internal", `Rampart could not run "${command}": ${describe(raw)}`);
}

export type Invoker = (command: string, args?: Record<string, unknown>) => Promise<unknown>;

/** Calls a Rust command. Rejects only with IpcError. */
export async function call<K extends CommandName>(
  command: K,
  args: Commands[K]["args"],
  invoker: Invoker = invoke,
): Promise<Commands[K]["result"]> {
  try {
    return (await invoker(command, args as Record<string, unknown>)) as Commands[K]["result"];
  } catch (raw) {
    throw toIpcError(raw, command);
  }
}

/** The message to show for any failure. */
export function messageOf(err: unknown): string {
  return err instanceof IpcError ? err.message : toIpcError(err, "?").message;
}
