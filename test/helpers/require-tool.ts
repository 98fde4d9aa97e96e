/**
 * Integration tests that need a real tool (nft, restic, mosquitto, chromium…) call this.
 * Locally a missing tool skips the suite with a reason; under CI=true it fails instead,
 * because CI's own script installs every tool and a skip there would hide a failure.
 */
import { hasCommand } from "../../src/kit/exec.js";

export function missingTools(...tools: string[]): string[] {
  const missing = tools.filter((t) => !hasCommand(t));
  if (missing.length > 0 && process.env.CI === "true") {
    throw new Error(`CI=true and required tools are missing: ${missing.join(", ")} (.ci/run must install them)`);
  }
  return missing;
}

/**
 * True when the suite can run: every tool is present and (if asked) we are root. A local skip
 * says why on stderr, so it is never silent; under CI=true it throws instead.
 */
export function canRun(opts: { tools: string[]; root?: boolean }): boolean {
  const missing = missingTools(...opts.tools);
  const isRoot = process.getuid?.() === 0;
  if (opts.root && !isRoot && process.env.CI === "true") throw new Error("CI=true and this suite needs root");
  const reasons = [...(missing.length ? [`missing ${missing.join(", ")}`] : []), ...(opts.root && !isRoot ? ["needs root"] : [])];
  if (reasons.length > 0) console.warn(`skipping a suite here: ${reasons.join("; ")} (under CI=true this fails)`);
  return reasons.length === 0;
}
