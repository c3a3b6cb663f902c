import { describe, expect, it } from "vitest";
import type { Check } from "./bindings/Check";
import type { ErrorCode } from "./bindings/ErrorCode";
import type { Preflight } from "./bindings/Preflight";
import { buildLabel, dataDirVerdict, headline, keychainVerdict } from "./preflight";

const ok: Check = { status: "ok", summary: "fine" };
const problem = (code: ErrorCode): Check => ({
  status: "problem",
  code,
  message: "m",
  fix: ["step"],
});

function report(keychain: Check, dataDir: Check): Preflight {
  return {
    app: { version: "0.1.0", build: "release", platform: "linux x86_64" },
    keychain: { backend: "Secret Service (D-Bus)", namespace: "rampart", check: keychain },
    dataDir: { path: "/d", check: dataDir },
  };
}

describe("verdicts", () => {
  it("names each keychain state", () => {
    expect(keychainVerdict(ok)).toEqual({ tone: "ok", label: "Available" });
    expect(keychainVerdict(problem("keychain_unavailable")).label).toBe("Unavailable");
    expect(keychainVerdict(problem("keychain_access_denied")).label).toBe("Locked");
    expect(keychainVerdict(problem("internal"))).toEqual({ tone: "problem", label: "Error" });
  });

  it("names the data directory state", () => {
    expect(dataDirVerdict(ok).label).toBe("Writable");
    expect(dataDirVerdict(problem("data_dir_unavailable"))).toEqual({ tone: "problem", label: "Not writable" });
  });
});

describe("headline", () => {
  it("is ready only when every check passed", () => {
    expect(headline(report(ok, ok)).tone).toBe("ok");
    expect(headline(report(problem("keychain_unavailable"), ok))).toEqual({
      tone: "problem",
      label: "Rampart cannot keep exchange keys safely yet. Fix the item marked below, then press Check again.",
    });
    expect(headline(report(problem("keychain_unavailable"), problem("data_dir_unavailable"))).label).toContain(
      "the 2 items",
    );
  });

  it("labels the build kind", () => {
    expect(buildLabel(report(ok, ok))).toBe("release build");
  });
});
