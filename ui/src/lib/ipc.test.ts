import { describe, expect, it } from "vitest";
import type { Preflight } from "./bindings/Preflight";
import { call, IpcError, isErrorCode, toIpcError, type Invoker } from "./ipc";

const sample: Preflight = {
  app: { version: "0.1.0", build: "dev", platform: "linux x86_64" },
  keychain: {
    backend: "Secret Service (D-Bus)",
    namespace: "rampart-dev",
    check: { status: "ok", summary: "Stored, read back and deleted a test entry." },
  },
  dataDir: { path: "/home/t/.local/share/app.rampart.desk", check: { status: "ok", summary: "Writable." } },
};

describe("call", () => {
  it("passes the command name and arguments and returns the result", async () => {
    const seen: Array<[string, unknown]> = [];
    const invoker: Invoker = (command, args) => {
      seen.push([command, args]);
      return Promise.resolve(sample);
    };
    await expect(call("preflight", {}, invoker)).resolves.toEqual(sample);
    expect(seen).toEqual([["preflight", {}]]);
  });

  it("turns a Rust {code, message} rejection into an IpcError with that code", async () => {
    const invoker: Invoker = () =>
      Promise.reject({ code: "keychain_unavailable", message: "No D-Bus session was found." });
    const err: unknown = await call("preflight", {}, invoker).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IpcError);
    expect(err).toMatchObject({ code: "keychain_unavailable", message: "No D-Bus session was found." });
  });

  it("reports a plain-string rejection from Tauri (e.g. a command not allowed) as internal", async () => {
    const invoker: Invoker = () => Promise.reject("preflight not allowed. Command not found");
    const err: unknown = await call("preflight", {}, invoker).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IpcError);
    expect((err as IpcError).code).toBe("internal");
    expect((err as IpcError).message).toContain('"preflight"');
    expect((err as IpcError).message).toContain("not allowed");
  });
});

describe("toIpcError", () => {
  it("does not trust an unknown code", () => {
    const err = toIpcError({ code: "totally_new", message: "x" }, "preflight");
    expect(err.code).toBe("internal");
    expect(err.message).toContain("totally_new");
  });

  it("handles values that cannot be serialised", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    expect(toIpcError(cyclic, "preflight").code).toBe("internal");
    expect(toIpcError(undefined, "preflight").message).toContain("undefined");
  });

  it("knows every stable code and nothing else", () => {
    for (const code of [
      "keychain_unavailable",
      "keychain_access_denied",
      "keychain_failure",
      "data_dir_unavailable",
      "invalid_input",
      "locked",
      "not_enrolled",
      "wrong_code",
      "code_already_used",
      "too_many_attempts",
      "account_not_found",
      "internal",
    ]) {
      expect(isErrorCode(code)).toBe(true);
    }
    expect(isErrorCode("toString")).toBe(false);
    expect(isErrorCode(42)).toBe(false);
  });
});
