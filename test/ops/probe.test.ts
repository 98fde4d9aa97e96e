/**
 * gatehouse-probe: the allow-list (resolved by name, nothing else answered), the socket
 * protocol, the client's local mapping and refusal, and that a peer outside the socket's
 * group cannot connect (a child process run as `nobody` through setpriv).
 */
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { connect, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CommandFailed, CommandNotFound, run, type LineStream, type RunFn, type spawnLines } from "../../src/kit/exec.js";
import { nullLogger } from "../../src/kit/log.js";
import { inProcessPrivilegedReader } from "../../src/kit/privileged.js";
import { commandQueryName, fileQueryName, privilegedReaderFromEnv, probeClient, ProbeRefused, ProbeUnavailable, streamQueryName } from "../../src/probe/client.js";
import { resolveQuery } from "../../src/probe/queries.js";
import { main } from "../../src/commands/index.js";
import { answerQuery, createProbeServer, listenProbe, stopProbeServer } from "../../src/probe/server.js";
import { canRun } from "../helpers/require-tool.js";

const NFT_JSON = '{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}]}\n';

/** Replays the exact argv the allow-list names; any other command fails the test. */
const fakeRun: RunFn = async (cmd, args) => {
  const argv = [cmd, ...args].join(" ");
  if (argv === "nft -j list ruleset") return { stdout: NFT_JSON, stderr: "", code: 0, durationMs: 1 };
  if (argv === "iptables-save") throw new CommandNotFound("iptables-save: not installed", [cmd]);
  if (argv === "ufw status verbose") throw new CommandFailed([cmd, ...args], 1, "", "ERROR: You need to be root to run this script\n");
  throw new Error(`unexpected command: ${argv}`);
};

function rawQuery(socketPath: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(socketPath);
    let out = "";
    s.on("data", (b) => (out += b.toString("utf8")));
    s.on("end", () => resolve(out));
    s.on("error", reject);
    s.on("connect", () => s.write(line));
  });
}

describe("allow-list", () => {
  it.each([
    ["nft-ruleset", { kind: "command", cmd: "nft", args: ["-j", "list", "ruleset"] }],
    ["iptables-save", { kind: "command", cmd: "iptables-save", args: [] }],
    ["shadow", { kind: "file", path: "/etc/shadow" }],
    ["sudoers", { kind: "file", path: "/etc/sudoers" }],
    ["sudoers.d", { kind: "dir", path: "/etc/sudoers.d" }],
    ["sudoers.d/90-cloud-init-users", { kind: "file", path: "/etc/sudoers.d/90-cloud-init-users" }],
  ])("answers %s", (name, expected) => {
    expect(resolveQuery(name)).toEqual(expected);
  });

  it.each([
    "/etc/shadow",
    "passwd",
    "nft",
    "nft-ruleset ",
    "nft-ruleset; rm -rf /",
    "sudoers.d/../shadow",
    "sudoers.d/..",
    "sudoers.d/.hidden",
    "sudoers.d/a/b",
    "sudoers.d/",
    "sudoers.d/backup~",
    "sudoers.d/x\u0000",
    "sudoers.d/" + "a".repeat(101),
    "__proto__",
    "constructor",
    "toString",
    "hasOwnProperty",
    "",
  ])("refuses %j", (name) => {
    expect(resolveQuery(name)).toBeUndefined();
  });

  it("the client maps only the exact argv and paths onto query names", () => {
    expect(commandQueryName("nft", ["-j", "list", "ruleset"])).toBe("nft-ruleset");
    expect(commandQueryName("/usr/sbin/nft", ["-j", "list", "ruleset"])).toBe("nft-ruleset");
    expect(commandQueryName("nft", ["-j", "list", "ruleset", "-a"])).toBeUndefined();
    expect(commandQueryName("nft", ["flush", "ruleset"])).toBeUndefined();
    expect(commandQueryName("/tmp/nft", ["-j", "list", "ruleset"])).toBeUndefined();
    expect(commandQueryName("./nft", ["-j", "list", "ruleset"])).toBeUndefined();
    expect(fileQueryName("/etc/shadow")).toBe("shadow");
    expect(fileQueryName("/etc//sudoers.d/alice")).toBe("sudoers.d/alice");
    expect(fileQueryName("/etc/sudoers.d/../shadow")).toBe("shadow");
    expect(fileQueryName("/etc/sudoers.d/../passwd")).toBeUndefined();
    expect(fileQueryName("etc/shadow")).toBeUndefined();
    expect(fileQueryName("/etc/passwd")).toBeUndefined();
  });
});

describe("helper over its socket", () => {
  const root = mkdtempSync(join(tmpdir(), "gh-probe-"));
  const etc = join(root, "etc");
  const sock = join(root, "probe.sock");
  let server: Server;
  let connections = 0;

  beforeAll(async () => {
    mkdirSync(join(etc, "sudoers.d"), { recursive: true });
    writeFileSync(join(etc, "shadow"), "root:*:19000:0:99999:7:::\nalice:$y$j9T$abc:19500:0:180:7:::\n", { mode: 0o640 });
    writeFileSync(join(etc, "sudoers"), "root ALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n", { mode: 0o440 });
    writeFileSync(join(etc, "sudoers.d", "alice"), "alice ALL=(ALL) ALL\n", { mode: 0o440 });
    writeFileSync(join(etc, "passwd"), "root:x:0:0:root:/root:/bin/bash\n");
    symlinkSync(join(etc, "passwd"), join(etc, "sudoers.d", "sneaky"));
    server = createProbeServer({ root, run: fakeRun, log: nullLogger });
    server.on("connection", () => connections++);
    await listenProbe(server, sock);
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(root, { recursive: true, force: true });
  });

  it("answers the allow-list through the client", async () => {
    const c = probeClient({ socketPath: sock });
    const nft = await c.run("nft", ["-j", "list", "ruleset"]);
    expect(nft.stdout).toBe(NFT_JSON);
    expect(await c.readFile("/etc/shadow")).toContain("alice:$y$j9T$abc");
    expect(await c.readFile("/etc/sudoers")).toContain("@includedir");
    expect(await c.readDir("/etc/sudoers.d")).toEqual(["alice"]); // the symlink is not a regular file
    expect(await c.readFile("/etc/sudoers.d/alice")).toBe("alice ALL=(ALL) ALL\n");
  });

  it("maps failures back onto the exec module's errors", async () => {
    const c = probeClient({ socketPath: sock });
    await expect(c.run("iptables-save", [])).rejects.toBeInstanceOf(CommandNotFound);
    await expect(c.run("ufw", ["status", "verbose"])).rejects.toBeInstanceOf(CommandFailed);
    const tolerated = await c.run("ufw", ["status", "verbose"], { okExitCodes: [0, 1] });
    expect(tolerated.code).toBe(1);
    await expect(c.readFile("/etc/sudoers.d/bob")).rejects.toMatchObject({ code: "ENOENT" });
    await expect(c.readFile("/etc/sudoers.d/sneaky")).rejects.toThrow(/symbolic link/);
  });

  it("refuses every query outside its list, on the wire", async () => {
    for (const q of ["/etc/passwd", "passwd", "sudoers.d/../passwd", "sudoers.d/sneaky/..", "nft-ruleset\u0000x"]) {
      const answer = JSON.parse(await rawQuery(sock, `${JSON.stringify({ q })}\n`));
      expect(answer, q).toMatchObject({ ok: false, error: { type: "refused" } });
    }
    for (const line of ["not json\n", '{"q":"shadow","args":["-x"]}\n', '["shadow"]\n', '{"q":1}\n']) {
      const answer = JSON.parse(await rawQuery(sock, line));
      expect(answer, line).toMatchObject({ ok: false, error: { type: "bad_request" } });
    }
    const tooLong = JSON.parse(await rawQuery(sock, `${"x".repeat(5000)}\n`));
    expect(tooLong).toMatchObject({ ok: false, error: { type: "bad_request" } });
  });

  it("the client refuses unmapped calls locally, without connecting", async () => {
    const c = probeClient({ socketPath: sock });
    const before = connections;
    await expect(c.readFile("/etc/passwd")).rejects.toBeInstanceOf(ProbeRefused);
    await expect(c.readDir("/etc")).rejects.toBeInstanceOf(ProbeRefused);
    await expect(c.run("nft", ["flush", "ruleset"])).rejects.toBeInstanceOf(ProbeRefused);
    await expect(c.run("sh", ["-c", "cat /etc/shadow"])).rejects.toBeInstanceOf(ProbeRefused);
    expect(connections).toBe(before);
  });

  it("hands unmapped calls to the fallback (the daemon's own rights) when given one", async () => {
    const c = probeClient({ socketPath: sock, fallback: inProcessPrivilegedReader(fakeRun) });
    expect(await c.readFile(join(etc, "passwd"))).toContain("root:x:0:0");
  });

  it("privilegedReaderFromEnv uses the helper only when the units point at it", async () => {
    const viaProbe = privilegedReaderFromEnv({ GATEHOUSE_PROBE_SOCKET: sock });
    expect(await viaProbe.readFile("/etc/shadow")).toContain("alice:$y$j9T$abc"); // the fixture, so from the helper
    expect(await viaProbe.readFile(join(etc, "passwd"))).toContain("root:x:0:0"); // no query name: own rights
    const inProcess = privilegedReaderFromEnv({});
    expect(await inProcess.readFile(join(etc, "passwd"))).toContain("root:x:0:0");
  });

  it("says clearly when the helper is not running", async () => {
    const c = probeClient({ socketPath: join(root, "absent.sock") });
    await expect(c.readFile("/etc/shadow")).rejects.toBeInstanceOf(ProbeUnavailable);
    await expect(c.readFile("/etc/shadow")).rejects.toThrow(/not reachable .*ENOENT/);
  });

  it("answerQuery never throws", async () => {
    expect(await answerQuery("shadow", { root: join(root, "nowhere") })).toMatchObject({ ok: false, error: { type: "not_found" } });
  });
});

// setpriv (util-linux) drops to uid 65534 with a chosen gid; numeric ids, so nothing is
// added to the host's /etc/group.
describe.runIf(canRun({ tools: ["setpriv"], root: true }))("socket permissions", () => {
  const GROUP = 54_321;
  const NOBODY = 65_534;
  const root = mkdtempSync(join(tmpdir(), "gh-probe-perm-"));
  const dir = join(root, "run");
  const sock = join(dir, "probe.sock");
  let server: Server;

  beforeAll(async () => {
    chmodSync(root, 0o755);
    mkdirSync(dir);
    chownSync(dir, 0, GROUP);
    chmodSync(dir, 0o750);
    server = createProbeServer({ root, run: fakeRun, log: nullLogger });
    await listenProbe(server, sock);
    chownSync(sock, 0, GROUP);
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(root, { recursive: true, force: true });
  });

  const client = `
    const s = require("node:net").connect(process.argv[1]);
    let out = "";
    s.on("connect", () => s.write(JSON.stringify({ q: "nft-ruleset" }) + "\\n"));
    s.on("data", (b) => (out += b));
    s.on("end", () => { process.stdout.write(JSON.stringify({ answer: JSON.parse(out) })); });
    s.on("error", (e) => { process.stdout.write(JSON.stringify({ error: e.code })); });
  `;
  const asPeer = (gid: number) =>
    run("setpriv", [`--reuid=${NOBODY}`, `--regid=${gid}`, "--clear-groups", "--", process.execPath, "-e", client, sock], { timeoutMs: 20_000 });

  it("a peer outside the gatehouse group cannot connect", async () => {
    const r = await asPeer(NOBODY);
    expect(JSON.parse(r.stdout)).toEqual({ error: "EACCES" });
  });

  it("a peer in the group can, and gets only allow-listed answers", async () => {
    const r = await asPeer(GROUP);
    expect(JSON.parse(r.stdout)).toMatchObject({ answer: { ok: true, kind: "command", stdout: NFT_JSON } });
  });
});

/** A spawnLines whose processes the test drives; only the allow-listed stream argv is accepted. */
function scriptedSpawn() {
  const procs: { emit: (l: string) => void; stderr: (s: string) => void; exit: (c: number | null) => void; stopped: boolean }[] = [];
  const spawn: typeof spawnLines = (cmd, args, onLine, opts) => {
    if ([cmd, ...args].join(" ") !== "nft monitor ruleset") throw new Error(`unexpected stream: ${[cmd, ...args].join(" ")}`);
    let exit!: (c: number | null) => void;
    const exited = new Promise<number | null>((r) => (exit = r));
    const p = { emit: onLine, stderr: (t: string) => opts?.onStderr?.(t), exit, stopped: false };
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
  return { spawn, procs };
}

/** Waits (without a wall-clock limit: vitest's own timeout is the bound) until `cond` holds. */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}

describe("stream queries", () => {
  const root = mkdtempSync(join(tmpdir(), "gh-probe-stream-"));
  const sock = join(root, "probe.sock");
  const { spawn, procs } = scriptedSpawn();
  let server: Server;

  beforeAll(async () => {
    server = createProbeServer({ root, run: fakeRun, spawnLines: spawn, maxStreams: 2, log: nullLogger });
    await listenProbe(server, sock);
  });
  afterAll(async () => {
    await stopProbeServer(server);
    rmSync(root, { recursive: true, force: true });
  });

  it("maps only the exact argv onto the stream's name", () => {
    expect(streamQueryName("nft", ["monitor", "ruleset"])).toBe("nft-monitor");
    expect(streamQueryName("/usr/sbin/nft", ["monitor", "ruleset"])).toBe("nft-monitor");
    expect(streamQueryName("nft", ["monitor"])).toBeUndefined();
    expect(streamQueryName("nft", ["monitor", "ruleset", "-j"])).toBeUndefined();
    expect(commandQueryName("nft", ["monitor", "ruleset"])).toBeUndefined();
    expect(resolveQuery("nft-monitor")).toEqual({ kind: "stream", cmd: "nft", args: ["monitor", "ruleset"] });
  });

  it("forwards each line, and kills the command when the client goes away", async () => {
    const c = probeClient({ socketPath: sock });
    const lines: string[] = [];
    const s = c.stream("nft", ["monitor", "ruleset"], (l) => lines.push(l));
    await s.started;
    expect(procs).toHaveLength(1);
    procs[0]!.emit("delete table inet filter");
    procs[0]!.emit('add rule inet filter input tcp dport 22 accept comment "\\"quoted\\" \u2028"');
    await until(() => lines.length === 2);
    expect(lines).toEqual(["delete table inet filter", 'add rule inet filter input tcp dport 22 accept comment "\\"quoted\\" \u2028"']);
    s.stop();
    expect(await s.ended).toEqual({ code: null });
    await until(() => procs[0]!.stopped);
  });

  it("reports how the command ended, classified like a run (no privilege → CommandPermissionDenied)", async () => {
    const c = probeClient({ socketPath: sock });
    const s = c.stream("nft", ["monitor", "ruleset"], () => {});
    await s.started;
    const p = procs.at(-1)!;
    p.stderr("Error: Operation not permitted (you must be root)\n");
    p.exit(1);
    const end = await s.ended;
    expect(end.code).toBe(1);
    expect(end.error).toMatchObject({ name: "CommandPermissionDenied" });
  });

  it("limits concurrent streams: one more is refused as busy, and a freed slot is reusable", async () => {
    const c = probeClient({ socketPath: sock });
    const a = c.stream("nft", ["monitor", "ruleset"], () => {});
    const b = c.stream("nft", ["monitor", "ruleset"], () => {});
    await Promise.all([a.started, b.started]);
    const third = await c.stream("nft", ["monitor", "ruleset"], () => {}).ended;
    expect(third.error?.message).toMatch(/streams are already running/);
    a.stop();
    await until(() => procs.filter((p) => !p.stopped).length === 1);
    const again = c.stream("nft", ["monitor", "ruleset"], () => {});
    await again.started;
    again.stop();
    b.stop();
  });

  it("drops and counts lines while the client does not read, instead of queueing them", async () => {
    const before = procs.length;
    const s = connect(sock);
    await new Promise((r) => s.once("connect", r));
    s.write('{"q":"nft-monitor"}\n');
    await until(() => procs.length > before);
    const p = procs[before]!;
    s.pause(); // a client that reads nothing
    const line = "x".repeat(4000);
    for (let i = 0; i < 2000; i++) p.emit(line); // 8 MB offered
    s.resume();
    let got = "";
    s.on("data", (b: Buffer) => (got += b.toString("utf8")));
    let emitted = 2000;
    await until(() => {
      if (got.includes('"line":"last"')) return true;
      p.emit("last"); // the first ones may still meet a full backlog and be dropped (and counted)
      emitted++;
      return false;
    });
    // The backlog has drained now: one more line is forwarded, behind every count of drops.
    p.emit("final");
    emitted++;
    await until(() => got.endsWith('"line":"final"}\n'));
    s.destroy();
    const frames = got.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    const forwarded = frames.filter((f) => typeof f.line === "string").length;
    const dropped = frames.filter((f) => typeof f.dropped === "number").reduce((n, f) => n + (f.dropped as number), 0);
    expect(dropped).toBeGreaterThan(0);
    expect(forwarded + dropped).toBe(emitted); // nothing silently lost: every line forwarded or counted
  });

  it("an unknown stream or garbage gets an error; the helper keeps answering", async () => {
    for (const line of ["not json\n", '{"q":"nft-monitor","args":["-j"]}\n', "\u0000\u0001\n"]) {
      expect(JSON.parse(await rawQuery(sock, line)), line).toMatchObject({ ok: false, error: { type: "bad_request" } });
    }
    expect(JSON.parse(await rawQuery(sock, '{"q":"nft-monitor-all"}\n'))).toMatchObject({ ok: false, error: { type: "refused" } });
    const refused = await probeClient({ socketPath: sock }).stream("nft", ["monitor"], () => {}).ended;
    expect(refused.error).toBeInstanceOf(ProbeRefused);
    const s = probeClient({ socketPath: sock }).stream("nft", ["monitor", "ruleset"], () => {});
    await s.started;
    s.stop();
  });

  it("`gatehouse probe query nft-monitor` follows the stream and prints each line", async () => {
    const before = procs.length;
    const out: string[] = [];
    const err: string[] = [];
    const done = main(["probe", "query", "nft-monitor", "--socket", sock], { out: (t) => out.push(t), err: (t) => err.push(t) });
    await until(() => procs.length > before);
    const p = procs[before]!;
    p.emit("delete table inet filter");
    await until(() => out.length === 1);
    p.exit(0);
    expect(await done).toBe(0);
    expect(out).toEqual(["delete table inet filter"]);
    const refused: string[] = [];
    expect(await main(["probe", "query", "nft-monitor", "--socket", join(root, "absent.sock")], { out: () => {}, err: (t) => refused.push(t) })).not.toBe(0);
    expect(refused.join("\n")).toMatch(/not reachable/);
  });

  it("an unreachable helper ends the stream with ProbeUnavailable, not a throw", async () => {
    const end = await probeClient({ socketPath: join(root, "absent.sock") }).stream("nft", ["monitor", "ruleset"], () => {}).ended;
    expect(end.error).toBeInstanceOf(ProbeUnavailable);
  });

  it("stopping the helper ends its streams and kills their commands", async () => {
    const local = join(root, "stop.sock");
    const own = scriptedSpawn();
    const srv = createProbeServer({ root, run: fakeRun, spawnLines: own.spawn, log: nullLogger });
    await listenProbe(srv, local);
    const s = probeClient({ socketPath: local }).stream("nft", ["monitor", "ruleset"], () => {});
    await s.started;
    await stopProbeServer(srv);
    expect((await s.ended).error).toBeInstanceOf(ProbeUnavailable);
    expect(own.procs[0]!.stopped).toBe(true);
  });
});

describe("probe log", () => {
  it("a tool the host lacks is not a warning at every check; a refused query is", async () => {
    const root = mkdtempSync(join(tmpdir(), "gh-probe-log-"));
    const sock = join(root, "probe.sock");
    const warnings: string[] = [];
    const log = { ...nullLogger, warn: (o: object, msg?: string) => void warnings.push(`${msg} ${JSON.stringify(o)}`) };
    const server = createProbeServer({ root, run: fakeRun, log });
    await listenProbe(server, sock);
    try {
      const notFound = JSON.parse(await rawQuery(sock, `${JSON.stringify({ q: "iptables-save" })}\n`));
      expect(notFound).toMatchObject({ ok: false, error: { type: "not_found" } });
      expect(warnings).toEqual([]);
      await rawQuery(sock, `${JSON.stringify({ q: "/etc/passwd" })}\n`);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/not answered.*refused/);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(root, { recursive: true, force: true });
    }
  });
});
