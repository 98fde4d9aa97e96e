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
import { spawnLines, type LineStream } from "../../src/agent/exec.js";
import { probeClient } from "../../src/probe/client.js";
import { canRun } from "../helpers/require-tool.js";

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

  async function start(name: string, caps: string[]): Promise<{ sock: string; logs: string[]; helper: LineStream }> {
    const dir = join(root, name);
    mkdirSync(dir);
    chmodSync(root, 0o755);
    chownSync(dir, 0, GROUP);
    chmodSync(dir, 0o770);
    const sock = join(dir, "probe.sock");
    const capList = caps.map((c) => `+${c}`).join(",");
    const logs: string[] = [];
    const helper = spawnLines(
      "unshare",
      [
        "--net",
        "--",
        "setpriv",
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
});
