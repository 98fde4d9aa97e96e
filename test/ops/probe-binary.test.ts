/**
 * The built `gatehouse-probe` as systemd runs it, minus systemd: a non-root user whose only
 * capabilities are CAP_NET_ADMIN and CAP_DAC_READ_SEARCH (setpriv, as AmbientCapabilities= does),
 * in a network namespace of its own (unshare) so that the ruleset it reads is the test's, never
 * the host's. Without the capability the same query fails with a permission error.
 */
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { connect } from "node:net";
import { run, spawnLines, type LineStream } from "../../src/kit/exec.js";
import { probeClient } from "../../src/probe/client.js";
import { MAX_STREAMS } from "../../src/probe/server.js";
import { canRun } from "../helpers/require-tool.js";
import { createNetns, type Netns } from "../monitors/firewall/netns.js";

const MAIN = resolve(import.meta.dirname, "../../dist/src/probe/main.js");
const built = existsSync(MAIN);
if (!built && process.env.CI === "true") throw new Error("CI=true and dist/ is missing: npm test builds before running the tests");

const GROUP = 54_321;
const NOBODY = 65_534;

describe.runIf(built && canRun({ tools: ["setpriv", "unshare", "nft"], root: true }))("gatehouse-probe binary with only its two capabilities", () => {
  const root = mkdtempSync(join(tmpdir(), "gh-probe-bin-"));
  const helpers: LineStream[] = [];
  afterAll(async () => {
    for (const h of helpers) {
      h.stop();
      await h.exited;
    }
    rmSync(root, { recursive: true, force: true });
  });

  async function start(name: string, caps: string[], ns?: Netns): Promise<{ sock: string; logs: string[]; helper: LineStream }> {
    const dir = join(root, name);
    mkdirSync(dir);
    chmodSync(root, 0o755);
    chownSync(dir, 0, GROUP);
    chmodSync(dir, 0o770);
    const sock = join(dir, "probe.sock");
    const capList = caps.map((c) => `+${c}`).join(",");
    const logs: string[] = [];
    // In a namespace of the test's own: a named one when the test changes its ruleset, else unshare's.
    const [launcher, launchArgs] = ns ? [ns.spawnLines, []] : [spawnLines, ["unshare", "--net", "--"]];
    const [cmd0, ...rest0] = [...launchArgs, "setpriv"];
    const helper = launcher(
      cmd0!,
      [
        ...rest0,
        `--reuid=${NOBODY}`,
        `--regid=${GROUP}`,
        "--clear-groups",
        ...(caps.length ? [`--inh-caps=${capList}`, `--ambient-caps=${capList}`, `--bounding-set=-all,${capList}`] : ["--bounding-set=-all"]),
        "--no-new-privs",
        "--",
        process.execPath,
        MAIN,
        "--socket",
        sock,
      ],
      (l) => logs.push(l),
      { onStderr: (s) => logs.push(s) },
    );
    helpers.push(helper);
    const deadline = Date.now() + 15_000;
    while (!existsSync(sock)) {
      if (Date.now() > deadline) throw new Error(`helper did not start: ${logs.join("\n")}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return { sock, logs, helper };
  }

  it("reads the (namespace's) nft ruleset as a non-root user with CAP_NET_ADMIN", async () => {
    const { sock, logs, helper } = await start("with-caps", ["net_admin", "dac_read_search"]);
    const st = lstatSync(sock);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o660);
    expect([st.uid, st.gid]).toEqual([NOBODY, GROUP]);

    const c = probeClient({ socketPath: sock });
    const r = await c.run("nft", ["-j", "list", "ruleset"]);
    const parsed = JSON.parse(r.stdout) as { nftables: { metainfo?: { json_schema_version: number } }[] };
    expect(parsed.nftables[0]?.metainfo?.json_schema_version).toBe(1);
    expect(parsed.nftables).toHaveLength(1); // an empty ruleset: the test's own namespace
    await expect(c.readFile("/etc/passwd")).rejects.toThrow(/not on gatehouse-probe's allow-list/);

    helper.stop();
    expect(await helper.exited).toBe(0);
    expect(existsSync(sock)).toBe(false); // removed on a clean stop
    expect(logs.join("\n")).toMatch(/"msg":"gatehouse-probe listening"/);
  });

  it("without the capability the same query is a permission error, not a hang or a crash", async () => {
    const { sock } = await start("no-caps", []);
    const c = probeClient({ socketPath: sock });
    await expect(c.run("nft", ["-j", "list", "ruleset"])).rejects.toMatchObject({ name: "CommandPermissionDenied" });
  });

  it("streams ruleset changes (nft-monitor) to the daemon's client; the stream ends with the client", async () => {
    const ns = await createNetns();
    try {
      const { sock, logs } = await start("stream", ["net_admin", "dac_read_search"], ns);
      const c = probeClient({ socketPath: sock });
      const lines: string[] = [];
      const stream = c.stream("nft", ["monitor", "ruleset"], (l) => lines.push(l));
      await stream.started;
      // nft monitor gives no readiness signal: change something until it reports.
      for (let i = 0; !lines.some((l) => l.startsWith("add table")); i++) {
        await ns.sh("nft", "add", "table", "inet", `gh_ready_${i}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      await ns.sh("nft", "-f", join(import.meta.dirname, "../fixtures/firewall/rulesets/inet-filter.nft"));
      const from = lines.length;
      await ns.sh("nft", "flush", "ruleset");
      while (!lines.slice(from).includes("delete table inet filter")) await new Promise((r) => setTimeout(r, 20));
      expect(lines.slice(from).some((l) => l.startsWith("delete rule inet filter input"))).toBe(true);

      const nftMonitors = () => run("pgrep", ["-f", "-u", String(NOBODY), "^(/usr)?/s?bin/nft monitor ruleset$"], { okExitCodes: [0, 1] });
      expect((await nftMonitors()).stdout.trim()).toMatch(/^\d+$/); // one, the helper's

      stream.stop();
      expect(await stream.ended).toEqual({ code: null });
      while (!logs.join("\n").includes('"msg":"probe stream ended"')) await new Promise((r) => setTimeout(r, 20));
      expect((await nftMonitors()).stdout.trim()).toBe(""); // the helper killed its nft monitor

      // Garbage gets an error; the helper keeps serving.
      const answer = await new Promise<string>((resolve, reject) => {
        const s = connect(sock);
        let out = "";
        s.on("data", (b) => (out += b.toString("utf8")));
        s.on("end", () => resolve(out));
        s.on("error", reject);
        s.on("connect", () => s.write("\u0000\u00ff{{{ not json\n"));
      });
      expect(JSON.parse(answer)).toMatchObject({ ok: false, error: { type: "bad_request" } });

      // Streams are bounded: one more than MAX_STREAMS is refused as busy.
      const held = Array.from({ length: MAX_STREAMS }, () => c.stream("nft", ["monitor", "ruleset"], () => {}));
      await Promise.all(held.map((h) => h.started));
      const extra = await c.stream("nft", ["monitor", "ruleset"], () => {}).ended;
      expect(extra.error?.message).toMatch(/streams are already running/);
      for (const h of held) h.stop();
    } finally {
      await ns.destroy();
    }
  });

  it("a client outside the socket's group is refused the stream", async () => {
    const { sock } = await start("stream-outsider", ["net_admin"]);
    const client = `
      const s = require("node:net").connect(process.argv[1]);
      s.on("connect", () => { s.write(JSON.stringify({ q: "nft-monitor" }) + "\\n"); });
      s.on("data", (b) => { process.stdout.write(JSON.stringify({ got: String(b) })); s.destroy(); });
      s.on("error", (e) => { process.stdout.write(JSON.stringify({ error: e.code })); });
    `;
    const r = await run("setpriv", [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", "--", process.execPath, "-e", client, sock], { timeoutMs: 20_000 });
    expect(JSON.parse(r.stdout)).toEqual({ error: "EACCES" });
  });
});
