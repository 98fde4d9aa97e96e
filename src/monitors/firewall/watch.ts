/**
 * Event-driven firewall checks: `nft monitor ruleset` prints a line for every change to the
 * kernel ruleset, so a flushed firewall can raise its alert within seconds instead of at the
 * next poll. Bursts (an `nft -f` load prints hundreds of lines) are debounced into one call.
 *
 * The stream comes from the privileged reader: in process (demo, tests, root) or from
 * gatehouse-probe (which holds CAP_NET_ADMIN) under the units. Polling stays the safety net:
 * when the stream cannot run (nft missing, no privilege, refused by the helper) the watcher
 * says so once and stops; when it dies or the helper restarts, it comes back with backoff,
 * warning once per outage, not once per attempt.
 */
import { CommandNotFound, CommandPermissionDenied, type CommandError } from "../../kit/exec.js";
import type { PrivilegedStream, StreamFn } from "../../kit/privileged.js";
import type { Logger } from "../monitor.js";

/** The streamed command; gatehouse-probe offers it as the `nft-monitor` query. */
export const NFT_MONITOR = ["nft", "monitor", "ruleset"] as const;

/** Options of watchFirewall; the agent's scheduler supplies them. */
export interface WatchFirewallOptions {
  /** The privileged reader's stream (the agent passes the in-process or the probe's one). */
  stream: StreamFn;
  /** Called once per burst of changes with the lines `nft monitor` printed for it. */
  onChange: (lines: string[]) => void;
  /** Quiet time after the last change before onChange fires (default 1000 ms). */
  debounceMs?: number;
  /** Longest a continuous stream of changes can delay onChange (default 5000 ms). */
  maxWaitMs?: number;
  /** First delay before restarting a stream that ended (doubles up to 60 s; default 1000 ms). */
  restartDelayMs?: number;
  signal?: AbortSignal;
  log?: Logger;
}

/** How a watch ended: stopped by its owner, or given up because the stream cannot run here. */
export type WatchEnd = { stopped: true } | { unavailable: CommandError };

/** A running watch. */
export interface FirewallWatch {
  stop(): void;
  /** Resolves once the watch has ended and its stream is closed. */
  readonly done: Promise<WatchEnd>;
}

/** Marker passed to onChange after a restart: changes may have been missed meanwhile. */
export const RESTARTED = "# nft monitor restarted";

const MAX_RESTART_DELAY = 60_000;

/** Causes a restart will not cure: the watcher gives up and leaves the firewall to polling. */
function permanent(e: CommandError): boolean {
  return e instanceof CommandNotFound || e instanceof CommandPermissionDenied || e.name === "ProbeRefused";
}

/**
 * Watches the kernel ruleset with `nft monitor ruleset` and calls a debounced callback on every
 * change. The agent's scheduler uses it to trigger an immediate re-check of the firewall monitor.
 */
export function watchFirewall(opts: WatchFirewallOptions): FirewallWatch {
  const debounceMs = opts.debounceMs ?? 1000;
  const maxWaitMs = opts.maxWaitMs ?? 5000;
  const baseDelay = opts.restartDelayMs ?? 1000;
  let stopped = false;
  let stream: PrivilegedStream | undefined;
  let pending: string[] = [];
  let quietTimer: NodeJS.Timeout | undefined;
  let maxTimer: NodeJS.Timeout | undefined;
  let restartTimer: NodeJS.Timeout | undefined;
  let delay = baseDelay;
  /** An outage was reported and nothing has come through since: later failures stay quiet. */
  let warned = false;
  let resolveDone!: (e: WatchEnd) => void;
  const done = new Promise<WatchEnd>((r) => (resolveDone = r));

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
    if (line.trim() === "" || stopped) return;
    delay = baseDelay; // the stream works: reset the restart backoff
    if (warned) opts.log?.info({}, "nft monitor is back; firewall changes are seen at once again");
    warned = false;
    pending.push(line);
    clearTimeout(quietTimer);
    quietTimer = setTimeout(flush, debounceMs);
    maxTimer ??= setTimeout(flush, maxWaitMs);
  };

  const start = (restarted: boolean) => {
    const s = opts.stream(NFT_MONITOR[0], NFT_MONITOR.slice(1), onLine);
    stream = s;
    // Changes may have gone unseen while the stream was down: re-check once it runs again.
    if (restarted)
      void s.started.then(() => {
        if (stopped || stream !== s) return;
        pending.push(RESTARTED);
        flush();
      });
    void s.ended.then((end) => {
      stream = undefined;
      if (stopped) return resolveDone({ stopped: true });
      if (end.error && permanent(end.error)) {
        opts.log?.warn({ err: end.error.message }, "nft monitor unavailable; firewall changes are seen at the next scheduled check only");
        stopped = true;
        clearTimeout(quietTimer);
        clearTimeout(maxTimer);
        return resolveDone({ unavailable: end.error });
      }
      const info = { code: end.code, err: end.error?.message, restartInMs: delay };
      if (warned) opts.log?.debug(info, "nft monitor still down; retrying");
      else opts.log?.warn(info, "nft monitor ended; restarting (polling covers the gap)");
      warned = true;
      restartTimer = setTimeout(() => {
        restartTimer = undefined;
        if (!stopped) start(true);
      }, delay);
      delay = Math.min(delay * 2, MAX_RESTART_DELAY);
    });
  };

  const stop = () => {
    if (stopped) return;
    stopped = true;
    clearTimeout(quietTimer);
    clearTimeout(maxTimer);
    clearTimeout(restartTimer);
    if (stream) stream.stop();
    else resolveDone({ stopped: true });
  };

  start(false);
  if (opts.signal?.aborted) stop();
  else opts.signal?.addEventListener("abort", stop, { once: true });
  return { stop, done };
}
