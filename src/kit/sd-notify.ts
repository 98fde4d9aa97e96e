/**
 * sd_notify for Type=notify units (READY=1, WATCHDOG=1, STATUS=…, STOPPING=1).
 *
 * Why the `systemd-notify` binary and not an npm package: node cannot open unix *datagram*
 * sockets, and the maintained package (`sd-notify`) is a native addon that links libsystemd
 * (a compiler and libsystemd-dev at install time, for four short messages). `systemd-notify`
 * ships with systemd itself, is run through the one exec module (argument array, no shell),
 * and by default waits until the manager has read the message (no race with its exit). The
 * messages then come from a child process, so the units say NotifyAccess=all.
 */
import { run as defaultRun, type RunFn } from "./exec.js";
import type { Logger } from "./log.js";

export interface SystemdNotifier {
  /** Sends KEY=VALUE assignments; never throws (a failed notify is logged). */
  notify(state: Record<string, string>): Promise<boolean>;
  ready(status?: string): Promise<boolean>;
  stopping(): Promise<boolean>;
  /**
   * Pings the watchdog every half WATCHDOG_USEC while `healthy()` is true (e.g. the database
   * answers). Returns a stop function. A no-op when the unit has no WatchdogSec=.
   */
  startWatchdog(healthy?: () => boolean): () => void;
  /** The watchdog interval systemd asked for, in ms (undefined when none). */
  watchdogMs: number | undefined;
}

/** Watchdog interval from WATCHDOG_USEC, when addressed to this process (WATCHDOG_PID). */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv = process.env, pid = process.pid): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return Math.floor(usec / 1000);
}

const KEY = /^[A-Z_][A-Z0-9_]*$/;

/**
 * A notifier for the current process. Without NOTIFY_SOCKET (not started by systemd, or not
 * Type=notify) every call is a quiet no-op.
 */
export function systemdNotifier(opts: { env?: NodeJS.ProcessEnv; run?: RunFn; log?: Logger } = {}): SystemdNotifier {
  const env = opts.env ?? process.env;
  const socket = env.NOTIFY_SOCKET;
  const run = opts.run ?? defaultRun;
  const watchdogMs = watchdogIntervalMs(env);

  const notify = async (state: Record<string, string>): Promise<boolean> => {
    if (!socket) return false;
    const assignments = Object.entries(state).map(([k, v]) => {
      if (!KEY.test(k) || v.includes("\n")) throw new Error(`invalid sd_notify assignment ${k}`);
      return `${k}=${v}`;
    });
    try {
      await run("systemd-notify", assignments, { env: { NOTIFY_SOCKET: socket }, timeoutMs: 10_000 });
      return true;
    } catch (e) {
      opts.log?.warn({ err: (e as Error).message, state: Object.keys(state) }, "sd_notify failed");
      return false;
    }
  };

  return {
    watchdogMs,
    notify,
    ready: (status) => notify({ READY: "1", ...(status ? { STATUS: status } : {}) }),
    stopping: () => notify({ STOPPING: "1" }),
    startWatchdog(healthy = () => true) {
      if (!socket || !watchdogMs) return () => {};
      let busy = false;
      const ping = () => {
        if (busy) return;
        if (!healthy()) {
          opts.log?.warn({}, "not pinging the watchdog: health check failed");
          return;
        }
        busy = true;
        void notify({ WATCHDOG: "1" }).finally(() => {
          busy = false;
        });
      };
      // At once, then every half interval: a watchdog started again in the same process (a
      // config reload) would otherwise leave a gap of up to 1.5 intervals since the last ping.
      ping();
      const timer = setInterval(ping, Math.max(1000, Math.floor(watchdogMs / 2)));
      timer.unref();
      return () => clearInterval(timer);
    },
  };
}
