/**
 * sd_notify through the real `systemd-notify` binary, received on a unix datagram socket that
 * a small python3 listener binds (node cannot): READY/STATUS and WATCHDOG arrive as systemd
 * would read them. Plus the pure parts: watchdog interval, no-op without NOTIFY_SOCKET.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { spawnLines, type RunFn } from "../../src/kit/exec.js";
import { systemdNotifier, watchdogIntervalMs } from "../../src/kit/sd-notify.js";
import { canRun } from "../helpers/require-tool.js";

describe("sd_notify", () => {
  it("reads the watchdog interval only when it is addressed to this process", () => {
    expect(watchdogIntervalMs({ WATCHDOG_USEC: "60000000" }, 42)).toBe(60_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: "60000000", WATCHDOG_PID: "42" }, 42)).toBe(60_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: "60000000", WATCHDOG_PID: "43" }, 42)).toBeUndefined();
    expect(watchdogIntervalMs({}, 42)).toBeUndefined();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: "junk" }, 42)).toBeUndefined();
  });

  it("is a quiet no-op outside systemd", async () => {
    const run = vi.fn<RunFn>();
    const n = systemdNotifier({ env: {}, run });
    expect(await n.ready("x")).toBe(false);
    n.startWatchdog()();
    expect(run).not.toHaveBeenCalled();
  });

  it("pings the watchdog at once (a reload restarts it) and then at half the interval while healthy", async () => {
    vi.useFakeTimers();
    try {
      const calls: string[][] = [];
      const run: RunFn = async (cmd, args, opts) => {
        calls.push([cmd, ...args, `NOTIFY_SOCKET=${opts?.env?.NOTIFY_SOCKET}`]);
        return { stdout: "", stderr: "", code: 0, durationMs: 1 };
      };
      let healthy = true;
      const n = systemdNotifier({ env: { NOTIFY_SOCKET: "/run/x.sock", WATCHDOG_USEC: "10000000" }, run });
      const stop = n.startWatchdog(() => healthy);
      await vi.advanceTimersByTimeAsync(0);
      expect(calls).toEqual([["systemd-notify", "WATCHDOG=1", "NOTIFY_SOCKET=/run/x.sock"]]);
      await vi.advanceTimersByTimeAsync(5_000);
      expect(calls).toHaveLength(2);
      healthy = false;
      await vi.advanceTimersByTimeAsync(10_000);
      expect(calls).toHaveLength(2);
      stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it("refuses malformed assignments", async () => {
    const n = systemdNotifier({ env: { NOTIFY_SOCKET: "/run/x.sock" }, run: async () => ({ stdout: "", stderr: "", code: 0, durationMs: 0 }) });
    await expect(n.notify({ "bad key": "1" })).rejects.toThrow(/invalid sd_notify/);
    await expect(n.notify({ STATUS: "two\nlines" })).rejects.toThrow(/invalid sd_notify/);
  });
});

const LISTENER = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("bound", flush=True)
for _ in range(int(sys.argv[2])):
    data, anc, flags, addr = s.recvmsg(4096, socket.CMSG_SPACE(64))
    for level, kind, payload in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            import array, os
            fds = array.array("i"); fds.frombytes(payload[: len(payload) - (len(payload) % fds.itemsize)])
            for fd in fds: os.close(fd)   # closing the barrier fd releases systemd-notify
    print(repr(data.decode()), flush=True)
`;

describe.runIf(canRun({ tools: ["systemd-notify", "python3"] }))("systemd-notify on a real socket", () => {
  const dir = mkdtempSync(join(tmpdir(), "gh-notify-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("delivers READY=1 with a status, then WATCHDOG=1", async () => {
    const sock = join(dir, "notify.sock");
    const lines: string[] = [];
    let onLine: () => void = () => {};
    const listener = spawnLines("python3", ["-c", LISTENER, sock, "4"], (l) => {
      lines.push(l);
      onLine();
    });
    const waitFor = (pred: () => boolean) =>
      new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timed out; got ${JSON.stringify(lines)}`)), 15_000);
        onLine = () => {
          if (pred()) {
            clearTimeout(t);
            resolve();
          }
        };
        onLine();
      });
    try {
      await waitFor(() => lines.includes("bound"));
      const n = systemdNotifier({ env: { NOTIFY_SOCKET: sock } });
      expect(await n.ready("listening on 127.0.0.1:8443")).toBe(true);
      expect(await n.notify({ WATCHDOG: "1" })).toBe(true);
      await waitFor(() => lines.some((l) => l.includes("WATCHDOG=1")));
      const messages = lines.filter((l) => l !== "bound").join("\n");
      expect(messages).toContain("READY=1");
      expect(messages).toContain("STATUS=listening on 127.0.0.1:8443");
    } finally {
      listener.stop();
      await listener.exited;
    }
  });
});
