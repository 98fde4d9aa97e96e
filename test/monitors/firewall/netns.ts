/**
 * Test-side helpers for running real firewall tools inside a throw-away network namespace:
 * a RunFn that prefixes `ip netns exec NS` around the real run() of src/kit/exec.ts, and a
 * namespace lifecycle. Nothing here touches the host's own ruleset.
 */
import { randomBytes } from "node:crypto";
import { resolveCommand, run, spawnLines, type LineStream, type RunFn } from "../../../src/kit/exec.js";

/** A network namespace owned by one test. */
export interface Netns {
  name: string;
  /** Runs a command inside the namespace (commands are resolved on the host's PATH first). */
  run: RunFn;
  /** spawnLines inside the namespace. */
  spawnLines: typeof spawnLines;
  /** Convenience: run and return stdout, failing loudly. */
  sh(cmd: string, ...args: string[]): Promise<string>;
  destroy(): Promise<void>;
}

/** Creates a uniquely named namespace (`gh-fw-PID-RANDOM`); the caller destroys it. */
export async function createNetns(): Promise<Netns> {
  const name = `gh-fw-${process.pid}-${randomBytes(4).toString("hex")}`;
  await run("ip", ["netns", "add", name]);
  const nsRun: RunFn = async (cmd, args, opts) => {
    const file = resolveCommand(cmd); // CommandNotFound, like the real run()
    return run("ip", ["netns", "exec", name, file, ...args], opts);
  };
  const nsSpawn: typeof spawnLines = (cmd, args, onLine, opts) =>
    spawnLines("ip", ["netns", "exec", name, resolveCommand(cmd), ...args], onLine, opts);
  return {
    name,
    run: nsRun,
    spawnLines: nsSpawn,
    sh: async (cmd, ...args) => (await nsRun(cmd, args)).stdout,
    destroy: async () => {
      await run("ip", ["netns", "del", name]);
    },
  };
}

/** Re-exported for watcher tests. */
export type { LineStream };
