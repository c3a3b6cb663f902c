// What the first screen says about the start-up checks.
import type { Check } from "./bindings/Check";
import type { Preflight } from "./bindings/Preflight";

export type Tone = "ok" | "problem";

export interface Verdict {
  tone: Tone;
  label: string;
}

export function keychainVerdict(check: Check): Verdict {
  if (check.status === "ok") {
    return { tone: "ok", label: "Available" };
  }
  switch (check.code) {
    case "keychain_unavailable":
      return { tone: "problem", label: "Unavailable" };
    case "keychain_access_denied":
      return { tone: "problem", label: "Locked" };
    default:
      return { tone: "problem", label: "Error" };
  }
}

export function dataDirVerdict(check: Check): Verdict {
  return check.status === "ok"
    ? { tone: "ok", label: "Writable" }
    : { tone: "problem", label: "Not writable" };
}

/** One sentence for the banner above the checks. */
export function headline(report: Preflight): Verdict {
  const problems = [report.keychain.check, report.dataDir.check].filter(
    (check) => check.status === "problem",
  ).length;
  if (problems === 0) {
    return { tone: "ok", label: "Ready: Rampart can keep exchange keys in the OS keychain." };
  }
  const items = problems === 1 ? "the item marked below" : `the ${problems} items marked below`;
  return {
    tone: "problem",
    label: `Rampart cannot keep exchange keys safely yet. Fix ${items}, then press Check again.`,
  };
}

export function buildLabel(report: Preflight): string {
  return report.app.build === "dev" ? "development build" : "release build";
}
