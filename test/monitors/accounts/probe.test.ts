import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../../src/kit/exec.js";
import { ConfigError } from "../../../src/kit/config-errors.js";
import { accounts } from "../../../src/monitors/accounts/index.js";
import { RULE_CONTROLS } from "../../../src/monitors/accounts/policy.js";
import { ProbeError, type PolicyFinding, type ProbeContext } from "../../../src/monitors/monitor.js";
import { replayRun } from "../../helpers/replay-run.js";
import { testProbeContext } from "../../helpers/probe-context.js";
import { canRun } from "../../helpers/require-tool.js";

const TREE = join(import.meta.dirname, "../../fixtures/accounts/trees/office");
const LASTLOG = join(import.meta.dirname, "../../fixtures/accounts/lastlog/office.txt");
const NOW = new Date("2026-11-01T00:00:00Z");

async function observe(raw: Record<string, unknown>, ctx?: ProbeContext) {
  const config = accounts.parseConfig({ root: TREE, ...raw });
  const run = replayRun([{ argv: ["lastlog", "-R", config.root], stdoutFile: LASTLOG }]);
  const obs = await accounts.probe(ctx ?? testProbeContext({ run, now: NOW }), config);
  const findings = accounts.policy(obs.facts, config, { now: NOW, firstSeen: () => undefined });
  return { facts: obs.facts, findings, evidence: obs.evidence };
}
const bad = (fs: PolicyFinding[], rule: string) =>
  fs.filter((f) => f.rule === rule && f.status !== "pass").map((f) => [f.subject ?? "", f.status]);

describe("config", () => {
  it("defaults", () => {
    expect(accounts.parseConfig(undefined)).toEqual({
      maxPasswordAgeDays: 180,
      inactiveDays: 90,
      sudoAllow: [],
      genericNames: ["admin", "office", "frontdesk", "reception", "staff", "guest", "test", "user", "shared", "temp", "support"],
      root: "/",
    });
  });
  it.each([
    [{ max_password_age_days: "180" }, "max_password_age_days"],
    [{ root: "etc" }, "root: expected an absolute path"],
    [{ sudo_allow: ["alice smith"] }, "sudo_allow[0]: expected a user name"],
    [{ sudoers: "/etc/sudoers" }, "sudoers: unknown key"],
  ])("rejects %j", (raw, msg) => {
    expect(() => accounts.parseConfig(raw)).toThrow(ConfigError);
    expect(() => accounts.parseConfig(raw)).toThrow(msg);
  });
});

describe("the office tree (realistic files with malformed lines)", () => {
  it("observes humans, UID 0, sudo users through every include form, and admins", async () => {
    const { facts } = await observe({ sudo_allow: ["alice"] });
    expect(facts["accounts.uid_min"]).toBe(1000);
    expect(facts["accounts.humans"]).toEqual(["alice", "backupsvc", "bob", "carol", "erin", "frontdesk", "gina", "reception2"]);
    expect(facts["accounts.uid0"]).toEqual(["root", "toor"]);
    expect(facts["accounts.sudo_users"]).toEqual(["alice", "backupsvc", "bob", "erin", "gina", "root"]);
    expect(facts["accounts.admins"]).toEqual(["alice", "backupsvc", "bob", "erin", "gina", "root", "toor"]);
    expect(facts["accounts.sudo_via"]).toEqual([
      "root via root at /etc/sudoers:47",
      "alice via %sudo at /etc/sudoers:50",
      "erin via %sudo at /etc/sudoers:50",
      "bob via OFFICE_ADMINS at /etc/sudoers.d/10-office:3",
      "backupsvc via backupsvc at /etc/sudoers.d/10-office:6",
      "gina via #1008 at /etc/sudoers.local:2",
    ]);
    expect(facts["accounts.sudoers_problems"]).toEqual(['/etc/sudoers.d/30-printer:3: not a rule sudo would accept: "printer stuff goes here"']);
    expect(facts["accounts.empty_password"]).toEqual(["frontdesk"]);
    expect(facts["accounts.password_changed"]).toEqual([
      "toor:2026-07-16",
      "alice:2026-09-14",
      "bob:no_aging",
      "carol:2024-06-26",
      "reception2:2026-10-14",
      "erin:must_change",
      "gina:2026-10-14",
    ]);
    expect(facts["accounts.expires"]).toEqual(["reception2:2024-10-04"]);
    expect(facts["accounts.locked"]).toEqual(["backupsvc"]);
    expect(facts["accounts.last_login"]).toEqual([
      "alice:2026-10-30T08:15:00.000Z",
      "bob:2026-10-01T17:02:11.000Z",
      "frontdesk:2026-10-31T07:58:00.000Z",
      "carol:2025-12-01T09:00:00.000Z",
      "reception2:never",
      "erin:never",
      "backupsvc:never",
      "gina:2026-10-20T12:00:00.000Z",
    ]);
    expect(facts["accounts.file_problems"]).toEqual([
      "passwd line 30: expected 7 fields, got 3",
      "group line 46: expected 4 fields, got 1",
      "shadow line 33: expected 9 fields, got 1",
    ]);
    expect(facts["accounts.unreadable"]).toEqual([]);
  });

  it("turns them into the findings a HIPAA reviewer expects", async () => {
    const { findings } = await observe({ sudo_allow: ["alice"] });
    expect(bad(findings, "accounts.generic_name")).toEqual([["frontdesk", "warn"], ["reception2", "warn"]]);
    expect(bad(findings, "accounts.uid0_duplicate")).toEqual([["toor", "fail"]]);
    expect(bad(findings, "accounts.empty_password")).toEqual([["frontdesk", "fail"]]);
    expect(bad(findings, "accounts.password_age")).toEqual([["bob", "warn"], ["carol", "warn"]]);
    expect(bad(findings, "accounts.inactive")).toEqual([["backupsvc", "warn"], ["carol", "warn"], ["erin", "warn"]]);
    expect(bad(findings, "accounts.sudo_outside_allow")).toEqual([["backupsvc", "fail"], ["bob", "fail"], ["erin", "fail"], ["gina", "fail"]]);
    expect(bad(findings, "accounts.sudoers_unparsed")).toEqual([["", "warn"]]);
    expect(bad(findings, "accounts.files_malformed")).toEqual([["", "warn"]]);
    const bob = findings.find((f) => f.rule === "accounts.sudo_outside_allow" && f.subject === "bob")!;
    expect(bob.message).toBe(
      '"bob" can run commands as root through sudo (via OFFICE_ADMINS at /etc/sudoers.d/10-office:3) but is not in sudo_allow: remove that grant, or add "bob" to monitors.accounts.sudo_allow if approved',
    );
    const carol = findings.find((f) => f.rule === "accounts.password_age" && f.subject === "carol")!;
    expect(carol.message).toMatch(/^"carol" last changed their password 858 days ago, over max_password_age_days 180/);
    for (const f of findings) expect(Object.keys(RULE_CONTROLS)).toContain(f.rule);
  });

  it("config moves the thresholds: allow list, ages, generic names, uid_min", async () => {
    const { findings, facts } = await observe({
      sudo_allow: ["alice", "bob", "erin", "gina", "backupsvc"],
      max_password_age_days: 1000,
      inactive_days: 400,
      generic_names: ["carol"],
      uid_min: 1003,
    });
    expect(facts["accounts.humans"]).toEqual(["backupsvc", "carol", "erin", "gina", "reception2"]);
    expect(bad(findings, "accounts.sudo_outside_allow")).toEqual([]);
    expect(findings.find((f) => f.rule === "accounts.sudo_outside_allow")?.status).toBe("pass");
    expect(bad(findings, "accounts.password_age")).toEqual([]); // bob (uid 1001) is below uid_min now
    expect(bad(findings, "accounts.generic_name")).toEqual([["carol", "warn"]]);
    expect(bad(findings, "accounts.inactive")).toEqual([["backupsvc", "warn"], ["erin", "warn"]]);
  });
});

describe("reads that fail", () => {
  const base = testProbeContext({ run: replayRun([{ argv: ["lastlog", "-R", TREE], stdoutFile: LASTLOG }]), now: NOW });
  const eacces = (path: string) => Promise.reject(Object.assign(new Error(`EACCES: permission denied, open '${path}'`), { code: "EACCES" }));

  it("shadow and sudoers unreadable (no privilege) → unknown findings that say why, the rest still evaluated", async () => {
    const ctx: ProbeContext = { ...base, privileged: { ...base.privileged, readFile: eacces } };
    const { facts, findings } = await observe({}, ctx);
    expect(facts["accounts.unreadable"]).toEqual(["shadow: EACCES", "sudoers: EACCES"]);
    expect(facts["accounts.admins"]).toBeNull();
    const status = (rule: string) => findings.filter((f) => f.rule === rule).map((f) => [f.status, f.message]);
    expect(status("accounts.empty_password")).toEqual([["unknown", "Cannot tell which accounts have empty passwords: shadow unreadable (EACCES)"]]);
    expect(status("accounts.password_age")).toEqual([["unknown", "Cannot tell password ages: shadow unreadable (EACCES)"]]);
    expect(status("accounts.sudo_outside_allow")).toEqual([["unknown", "Cannot tell who can use sudo: sudoers unreadable (EACCES)"]]);
    expect(bad(findings, "accounts.uid0_duplicate")).toEqual([["toor", "fail"]]);
  });

  it("lastlog not installed → inactive is unknown with the reason", async () => {
    const ctx = testProbeContext({ run: replayRun([{ argv: ["lastlog", "-R", TREE], notInstalled: true }]), now: NOW });
    const { facts, findings } = await observe({}, ctx);
    expect(facts["accounts.last_login"]).toBeNull();
    expect(findings.filter((f) => f.rule === "accounts.inactive")).toEqual([
      expect.objectContaining({ status: "unknown", message: "Cannot tell inactive accounts: no last-login data (lastlog is not installed)" }),
    ]);
  });

  it("a root without sudo installed means nobody has sudo", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gh-accounts-nosudo-"));
    try {
      mkdirSync(join(dir, "etc"));
      writeFileSync(join(dir, "etc/passwd"), "root:x:0:0::/root:/bin/bash\nann:x:1000:1000::/home/ann:/bin/bash\n");
      writeFileSync(join(dir, "etc/shadow"), "root:*:20000:0:99999:7:::\nann:!:20000:0:99999:7:::\n");
      const config = accounts.parseConfig({ root: dir });
      const ctx = testProbeContext({ run: replayRun([{ argv: ["lastlog", "-R", dir], stdout: "Username Port From Latest\n" }]), now: NOW });
      const obs = await accounts.probe(ctx, config);
      expect(obs.facts["accounts.sudo_users"]).toEqual([]);
      expect(obs.facts["accounts.admins"]).toEqual(["root"]);
      expect(obs.facts["accounts.unreadable"]).toEqual(["group: ENOENT"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("garbage passwd → a clear ProbeError, not a crash", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gh-accounts-garbage-"));
    try {
      mkdirSync(join(dir, "etc"));
      writeFileSync(join(dir, "etc/passwd"), readFileSync(join(import.meta.dirname, "../../fixtures/accounts/passwd/garbage.txt")));
      const p = accounts.probe(testProbeContext({ run: replayRun([]), now: NOW }), accounts.parseConfig({ root: dir }));
      await expect(p).rejects.toThrow(ProbeError);
      await expect(p).rejects.toThrow(/holds no readable account/);
      const missing = accounts.probe(testProbeContext({ run: replayRun([]) }), accounts.parseConfig({ root: join(dir, "nope") }));
      await expect(missing).rejects.toThrow(/cannot read .*etc\/passwd \(ENOENT\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** `struct lastlog` of glibc on Linux: int32 ll_time, char ll_line[32], char ll_host[256]. */
function lastlogRecords(records: { uid: number; at: string; line: string; host: string }[]): Buffer {
  const size = 292;
  const buf = Buffer.alloc(size * (Math.max(...records.map((r) => r.uid)) + 1));
  for (const r of records) {
    buf.writeInt32LE(Date.parse(r.at) / 1000, r.uid * size);
    buf.write(r.line, r.uid * size + 4, 32, "latin1");
    buf.write(r.host, r.uid * size + 36, 256, "latin1");
  }
  return buf;
}

describe.skipIf(!canRun({ tools: ["lastlog"], root: true }))("real lastlog -R on a copy of the tree", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "gh-accounts-lastlog-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("prints what the recorded fixture says, and the probe reads it", async () => {
    cpSync(TREE, dir, { recursive: true });
    mkdirSync(join(dir, "var/log"), { recursive: true });
    writeFileSync(
      join(dir, "var/log/lastlog"),
      lastlogRecords([
        { uid: 1000, at: "2026-10-30T08:15:00Z", line: "pts/0", host: "192.0.2.10" },
        { uid: 1001, at: "2026-10-01T17:02:11Z", line: "pts/1", host: "frontdesk-pc.acme.local" },
        { uid: 1003, at: "2025-12-01T09:00:00Z", line: "tty1", host: "" },
        { uid: 1002, at: "2026-10-31T07:58:00Z", line: "pts/2", host: "192.0.2.23" },
        { uid: 1008, at: "2026-10-20T12:00:00Z", line: "pts/0", host: "2001:db8:ffff:ffff:ffff:ffff:ffff:1234" },
      ]),
    );
    const { stdout } = await run("lastlog", ["-R", dir]);
    expect(stdout).toBe(readFileSync(LASTLOG, "utf8"));
    const config = accounts.parseConfig({ root: dir });
    const obs = await accounts.probe(testProbeContext({ run, now: NOW }), config);
    expect(obs.facts["accounts.last_login"]).toContain("carol:2025-12-01T09:00:00.000Z");
  });
});
