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
import { CommandFailed, CommandNotFound, run, type RunFn } from "../../src/agent/exec.js";
import { nullLogger } from "../../src/agent/log.js";
import { inProcessPrivilegedReader } from "../../src/agent/privileged.js";
import { commandQueryName, fileQueryName, privilegedReaderFromEnv, probeClient, ProbeRefused, ProbeUnavailable } from "../../src/probe/client.js";
import { resolveQuery } from "../../src/probe/queries.js";
import { answerQuery, createProbeServer, listenProbe } from "../../src/probe/server.js";
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
    server = createProbeServer({ etcDir: etc, run: fakeRun, log: nullLogger });
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
    await expect(c.readFile("/etc/gshadow")).rejects.toMatchObject({ code: "ENOENT" });
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
    expect(await answerQuery("shadow", { etcDir: join(root, "nowhere") })).toMatchObject({ ok: false, error: { type: "not_found" } });
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
    server = createProbeServer({ etcDir: join(root, "etc"), run: fakeRun, log: nullLogger });
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
