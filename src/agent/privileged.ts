/**
 * The one interface for reads that need privilege: rulesets (CAP_NET_ADMIN), shadow and
 * sudoers (root-readable files). In the demo and in tests these run in process; under systemd
 * the `gatehouse-probe` helper answers them over a unix socket from a fixed allow-list.
 */
import { readdir, readFile } from "node:fs/promises";
import { run as defaultRun, type RunFn } from "./exec.js";

export interface PrivilegedReader {
  /** Reads a root-only file (e.g. /etc/shadow, /etc/sudoers.d/*). */
  readFile(path: string): Promise<string>;
  /** Lists a root-only directory (e.g. /etc/sudoers.d). */
  readDir(path: string): Promise<string[]>;
  /** Runs a read-only command that needs capabilities (e.g. `nft -j list ruleset`). */
  run: RunFn;
}

/** In-process reader: the agent already has the privilege (demo, tests, root installs). */
export function inProcessPrivilegedReader(run: RunFn = defaultRun): PrivilegedReader {
  return {
    readFile: (path) => readFile(path, "utf8"),
    readDir: async (path) => (await readdir(path)).sort(),
    run,
  };
}
