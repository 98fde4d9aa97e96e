/**
 * Builds a ProbeContext for tests from a RunFn and an optional fake filesystem root: the same
 * rooted file view the runner gives probes, pointed at the fixture tree.
 */
import { rootedFileView } from "../../src/kit/file-view.js";
import type { RunFn } from "../../src/kit/exec.js";
import type { Logger } from "../../src/kit/log.js";
import type { ProbeContext } from "../../src/monitors/monitor.js";

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export function testProbeContext(opts: { run: RunFn; root?: string; now?: Date; privilegedRun?: RunFn }): ProbeContext {
  const view = rootedFileView(opts.root);
  return {
    ...view,
    privileged: {
      readFile: (p) => view.readFile(p),
      readDir: (p) => view.readDir(p),
      run: opts.privilegedRun ?? opts.run,
    },
    run: opts.run,
    log: silentLogger,
    signal: new AbortController().signal,
    now: () => opts.now ?? new Date(),
  };
}
