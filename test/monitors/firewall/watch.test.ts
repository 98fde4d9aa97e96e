/**
 * The ruleset watcher: debounce and restart logic with a scripted spawnLines (behind the real
 * in-process privileged reader) and fake timers, how it gives up or retries when the stream is
 * unavailable, then for real: `nft monitor ruleset` inside a network namespace, flushed.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CommandNotFound, type LineStream, type spawnLines } from "../../../src/kit/exec.js";
import { failedStream, inProcessPrivilegedReader, type StreamFn } from "../../../src/kit/privileged.js";
import { ProbeUnavailable } from "../../../src/probe/client.js";
import { RESTARTED, watchFirewall } from "../../../src/monitors/firewall/watch.js";
import { canRun } from "../../helpers/require-tool.js";
import { createNetns } from "./netns.js";

const RECORDED = readFileSync(join(import.meta.dirname, "../../fixtures/firewall/nft-monitor/load-and-flush.txt"), "utf8")
  .split("\n")
  .filter((l) => l !== "");

/** A spawnLines whose processes the test drives: emit lines, make them exit. */
function scripted() {
  const procs: { argv: string[]; emit: (l: string) => void; exit: (code: number | null) => void; stderr: (s: string) => void; stopped: boolean }[] = [];
  const spawn: typeof spawnLines = (cmd, args, onLine, opts) => {
    let exit!: (c: number | null) => void;
    const exited = new Promise<number | null>((r) => (exit = r));
    const p = { argv: [cmd, ...args], emit: onLine, exit, stderr: (t: string) => opts?.onStderr?.(t), stopped: false };
    procs.push(p);
    const stream: LineStream = {
      exited,
      stop: () => {
        p.stopped = true;
        exit(null);
      },
    };
    return stream;
  };
  return { spawn: inProcessPrivilegedReader(undefined, spawn).stream!, procs };
}

/** A logger that keeps what it was told, by level. */
function recordingLog() {
  const lines: { level: string; msg: string }[] = [];
  const at = (level: string) => (_o: object | string, msg?: string) => void lines.push({ level, msg: msg ?? "" });
  return { log: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") }, lines, warns: () => lines.filter((l) => l.level === "warn") };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("watchFirewall (scripted nft monitor)", () => {
  it("runs `nft monitor ruleset` and coalesces a burst of changes into one call", () => {
    vi.useFakeTimers();
    const { spawn, procs } = scripted();
    const calls: string[][] = [];
    const w = watchFirewall({ stream: spawn, onChange: (l) => calls.push(l), debounceMs: 500 });
    expect(procs[0]!.argv).toEqual(["nft", "monitor", "ruleset"]);
    for (const line of RECORDED) procs[0]!.emit(line);
    vi.advanceTimersByTime(499);
    expect(calls).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(calls).toEqual([RECORDED]);
    w.stop();
  });

  it("a continuous stream still fires by maxWaitMs", () => {
    vi.useFakeTimers();
    const { spawn, procs } = scripted();
    const calls: string[][] = [];
    const w = watchFirewall({ stream: spawn, onChange: (l) => calls.push(l), debounceMs: 500, maxWaitMs: 2000 });
    for (let i = 0; i < 10; i++) {
      procs[0]!.emit(`add rule ip filter input tcp dport ${1000 + i} accept`);
      vi.advanceTimersByTime(300);
    }
    expect(calls.length).toBe(1);
    expect(calls[0]!.length).toBe(7); // the lines seen before the 2 s cap
    w.stop();
  });

  it("restarts a monitor that died, with backoff, and reports the gap as a change", async () => {
    vi.useFakeTimers();
    const { spawn, procs } = scripted();
    const calls: string[][] = [];
    const w = watchFirewall({ stream: spawn, onChange: (l) => calls.push(l), restartDelayMs: 1000 });
    procs[0]!.exit(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(procs.length).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(procs.length).toBe(2);
    expect(calls).toEqual([[RESTARTED]]);
    procs[1]!.exit(1); // dies again at once: the next restart waits twice as long
    await vi.advanceTimersByTimeAsync(1999);
    expect(procs.length).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(procs.length).toBe(3);
    w.stop();
    await w.done;
    expect(procs[2]!.stopped).toBe(true);
  });

  it("without nft it says so once and leaves the firewall to polling", async () => {
    const { log, warns } = recordingLog();
    const w = watchFirewall({
      stream: inProcessPrivilegedReader(undefined, () => {
        throw new CommandNotFound("nft: not installed", ["nft"]);
      }).stream!,
      onChange: () => {
        throw new Error("no change expected");
      },
      log,
    });
    expect(await w.done).toMatchObject({ unavailable: { name: "CommandNotFound" } });
    expect(warns().map((l) => l.msg)).toEqual(["nft monitor unavailable; firewall changes are seen at the next scheduled check only"]);
  });

  it("without the privilege (the daemon's own rights under the units) it warns once and never restarts", async () => {
    vi.useFakeTimers();
    const { spawn, procs } = scripted();
    const { log, warns } = recordingLog();
    const w = watchFirewall({ stream: spawn, onChange: () => {}, log, restartDelayMs: 10 });
    procs[0]!.stderr("Error: Operation not permitted (you must be root)\n");
    procs[0]!.exit(1);
    expect(await w.done).toMatchObject({ unavailable: { name: "CommandPermissionDenied" } });
    await vi.advanceTimersByTimeAsync(600_000);
    expect(procs.length).toBe(1);
    expect(warns()).toHaveLength(1);
  });

  it("while the helper is unreachable it retries with backoff, warning once per outage, and re-checks once it is back", async () => {
    vi.useFakeTimers();
    const { log, warns, lines } = recordingLog();
    let up = false;
    let attempts = 0;
    const emitters: ((l: string) => void)[] = [];
    const stream: StreamFn = (cmd, args, onLine) => {
      attempts++;
      if (!up) return failedStream(new ProbeUnavailable("gatehouse-probe is not reachable at /run/x: ENOENT", ["gatehouse-probe:nft-monitor"]));
      emitters.push(onLine);
      let end!: (e: { code: null }) => void;
      return { started: Promise.resolve(), ended: new Promise((r) => (end = r)), stop: () => end({ code: null }) };
    };
    const calls: string[][] = [];
    const w = watchFirewall({ stream, onChange: (l) => calls.push(l), restartDelayMs: 1000, debounceMs: 10, log });
    await vi.advanceTimersByTimeAsync(10 * 60_000); // ten minutes down: 1+2+4+…+60 s
    expect(attempts).toBeGreaterThan(5);
    expect(attempts).toBeLessThan(20); // backoff, no spin
    expect(warns()).toHaveLength(1);
    expect(calls).toEqual([]);
    up = true;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toEqual([[RESTARTED]]); // back: one re-check for what may have been missed
    emitters[0]!("delete table inet filter");
    await vi.advanceTimersByTimeAsync(10);
    expect(calls[1]).toEqual(["delete table inet filter"]);
    expect(lines.some((l) => l.level === "info" && /back/.test(l.msg))).toBe(true);
    w.stop();
    expect(await w.done).toEqual({ stopped: true });
  });

  it("stops on abort and never calls back after stopping", () => {
    vi.useFakeTimers();
    const { spawn, procs } = scripted();
    const calls: string[][] = [];
    const ac = new AbortController();
    watchFirewall({ stream: spawn, onChange: (l) => calls.push(l), signal: ac.signal });
    procs[0]!.emit("delete table ip filter");
    ac.abort();
    vi.advanceTimersByTime(10_000);
    expect(procs[0]!.stopped).toBe(true);
    expect(calls).toEqual([]);
  });
});

describe.skipIf(!canRun({ tools: ["ip", "nft"], root: true }))("watchFirewall on a real namespace", () => {
  it("calls back after `nft flush ruleset`", async () => {
    const ns = await createNetns();
    const batches: string[][] = [];
    const waiters = new Set<() => void>();
    const w = watchFirewall({
      stream: inProcessPrivilegedReader(ns.run, ns.spawnLines).stream!,
      debounceMs: 200,
      onChange: (lines) => {
        batches.push(lines);
        for (const check of [...waiters]) check();
      },
    });
    /** Resolves with the first batch from index `from` on that has `line`. */
    const batchWith = (line: string, from: number) =>
      new Promise<string[]>((resolve) => {
        const check = () => {
          const b = batches.slice(from).find((x) => x.includes(line));
          if (b) {
            waiters.delete(check);
            resolve(b);
          }
        };
        waiters.add(check);
        check();
      });
    try {
      // nft monitor gives no readiness signal: change something until it reports.
      for (let i = 0; batches.length === 0; i++) {
        await ns.sh("nft", "add", "table", "inet", `gh_ready_${i}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      let from = batches.length;
      await ns.sh("nft", "-f", join(import.meta.dirname, "../../fixtures/firewall/rulesets/inet-filter.nft"));
      await batchWith("add table inet filter", from);
      from = batches.length;
      await ns.sh("nft", "flush", "ruleset");
      const flushed = await batchWith("delete table inet filter", from);
      expect(flushed.some((l) => l.startsWith("delete rule inet filter input"))).toBe(true);
    } finally {
      w.stop();
      await w.done;
      await ns.destroy();
    }
  });
});
