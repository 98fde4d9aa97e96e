/**
 * Builds a ProbeContext for tests from a RunFn and an optional fake filesystem root.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { RunFn } from "../../src/agent/exec.js";
import type { Logger, ProbeContext } from "../../src/monitors/monitor.js";

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export function testProbeContext(opts: { run: RunFn; root?: string; now?: Date; privilegedRun?: RunFn }): ProbeContext {
  const under = (p: string) => (opts.root ? join(opts.root, p) : p);
  return {
    run: opts.run,
    readFile: (p) => readFile(under(p), "utf8"),
    privileged: {
      readFile: (p) => readFile(under(p), "utf8"),
      readDir: async (p) => (await readdir(under(p))).sort(),
      run: opts.privilegedRun ?? opts.run,
    },
    log: silentLogger,
    signal: new AbortController().signal,
    now: () => opts.now ?? new Date(),
  };
}
