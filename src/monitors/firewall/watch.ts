/**
 * Event-driven firewall checks: `nft monitor ruleset` prints a line for every change to the
 * kernel ruleset, so a flushed firewall can raise its alert within seconds instead of at the
 * next poll. Bursts (an `nft -f` load prints hundreds of lines) are debounced into one call.
 * Polling stays the safety net: if nft is missing or the monitor keeps dying, nothing breaks.
 */
import type { LineStream, spawnLines as SpawnLines } from "../../agent/exec.js";
import type { Logger } from "../monitor.js";

/** Options of watchFirewall; the agent's scheduler supplies them. */
export interface WatchFirewallOptions {
  /** The exec module's spawnLines (the agent passes the real one). */
  spawnLines: typeof SpawnLines;
  /** Called once per burst of changes with the lines `nft monitor` printed for it. */
  onChange: (lines: string[]) => void;
  /** Quiet time after the last change before onChange fires (default 1000 ms). */
  debounceMs?: number;
  /** Longest a continuous stream of changes can delay onChange (default 5000 ms). */
  maxWaitMs?: number;
  /** First delay before restarting a monitor that exited (doubles up to 60 s; default 1000 ms). */
  restartDelayMs?: number;
  signal?: AbortSignal;
  log?: Logger;
}

/** A running watch. */
export interface FirewallWatch {
  /** False when `nft` is not installed: rely on polling. */
  readonly available: boolean;
  stop(): void;
  /** Resolves once stopped and the monitor process has exited. */
  readonly done: Promise<void>;
}

/** Marker passed to onChange after a restart: changes may have been missed meanwhile. */
export const RESTARTED = "# nft monitor restarted";

const MAX_RESTART_DELAY = 60_000;

/**
 * Watches the kernel ruleset with `nft monitor ruleset` and calls a debounced callback on every
 * change. The agent's scheduler uses it to trigger an immediate re-check of the firewall monitor.
 */
export function watchFirewall(opts: WatchFirewallOptions): FirewallWatch {
  const debounceMs = opts.debounceMs ?? 1000;
  const maxWaitMs = opts.maxWaitMs ?? 5000;
  const baseDelay = opts.restartDelayMs ?? 1000;
  let stopped = false;
  let stream: LineStream | undefined;
  let pending: string[] = [];
  let quietTimer: NodeJS.Timeout | undefined;
  let maxTimer: NodeJS.Timeout | undefined;
  let restartTimer: NodeJS.Timeout | undefined;
  let delay = baseDelay;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));

  const flush = () => {
    clearTimeout(quietTimer);
    clearTimeout(maxTimer);
    quietTimer = maxTimer = undefined;
    if (pending.length === 0 || stopped) return;
    const lines = pending;
    pending = [];
    try {
      opts.onChange(lines);
    } catch (e) {
      opts.log?.error({ err: (e as Error).message }, "firewall watch callback failed");
    }
  };

  const onLine = (line: string) => {
    if (line.trim() === "") return;
    delay = baseDelay; // the monitor works: reset the restart backoff
    pending.push(line);
    clearTimeout(quietTimer);
    quietTimer = setTimeout(flush, debounceMs);
    maxTimer ??= setTimeout(flush, maxWaitMs);
  };

  const start = (): boolean => {
    try {
      stream = opts.spawnLines("nft", ["monitor", "ruleset"], onLine, {
        onStderr: (s) => opts.log?.warn({ stderr: s.trim() }, "nft monitor"),
      });
    } catch (e) {
      opts.log?.warn({ err: (e as Error).message }, "nft monitor unavailable; the firewall is polled only");
      return false;
    }
    void stream.exited.then((code) => {
      stream = undefined;
      if (stopped) {
        resolveDone();
        return;
      }
      opts.log?.warn({ code, restartInMs: delay }, "nft monitor exited; restarting");
      restartTimer = setTimeout(() => {
        restartTimer = undefined;
        if (stopped) return;
        if (start()) {
          pending.push(RESTARTED);
          flush();
        } else resolveDone();
      }, delay);
      delay = Math.min(delay * 2, MAX_RESTART_DELAY);
    });
    return true;
  };

  const stop = () => {
    if (stopped) return;
    stopped = true;
    clearTimeout(quietTimer);
    clearTimeout(maxTimer);
    clearTimeout(restartTimer);
    if (stream) stream.stop();
    else resolveDone();
  };

  const available = start();
  if (!available) resolveDone();
  if (opts.signal?.aborted) stop();
  else opts.signal?.addEventListener("abort", stop, { once: true });
  return { available, stop, done };
}
