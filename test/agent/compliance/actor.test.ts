/**
 * Issue 16: approvals showed `os:unknown` when USER/LOGNAME were unset (cron, systemd). The
 * actor comes from the process uid. Through the built CLI with an environment that has neither.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { applyFindings } from "../../../src/agent/alerts/engine.js";
import { openStore } from "../../../src/agent/store/db.js";
import { osActor } from "../../../src/commands/command.js";
import { ctx, finding, T0 } from "../alerts/helpers.js";

const cli = join(import.meta.dirname, "../../../dist/src/cli.js");
const dir = mkdtempSync(join(tmpdir(), "gh-actor-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the OS actor of CLI commands", () => {
  it("names the uid's user; a sudo caller by SUDO_USER only as root; a uid without a name by number", () => {
    expect(osActor(1000, () => "alice", undefined)).toBe("os:alice");
    expect(osActor(1000, () => "alice", "mallory")).toBe("os:alice"); // SUDO_USER means nothing unless root
    expect(osActor(0, () => "root", "alice")).toBe("os:alice");
    expect(osActor(0, () => "root", "alice; rm -rf /")).toBe("os:root");
    expect(osActor(4242, () => undefined, undefined)).toBe("os:uid 4242");
  });

  it("acknowledging from cron (no USER, no LOGNAME) records the real user, not os:unknown", () => {
    if (!existsSync(cli)) throw new Error(`needs the build (${cli}): run npm run build first`);
    const file = join(dir, "gatehouse.yaml");
    writeFileSync(file, `site: "Acme"\ndata_dir: ${join(dir, "data")}\nmonitors: {}\n`);
    const db = openStore(join(dir, "data"));
    db.transaction(() => applyFindings(db, ctx(T0), "firewall", [finding("firewall.disabled", "fail")], true))();
    db.close();
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir }; // what cron and systemd give
    execFileSync(process.execPath, [cli, "alerts", "ack", "1", "--note", "router swap", "--config", file], { env, encoding: "utf8" });
    const check = openStore(join(dir, "data"));
    const row = check.prepare("SELECT actor FROM audit WHERE action = 'alerts.ack'").get() as { actor: string };
    check.close();
    const expected = userInfo().username; // the child has no SUDO_USER either
    expect(row.actor).toBe(`os:${expected}`);
    expect(row.actor).not.toBe("os:unknown");
  });
});
