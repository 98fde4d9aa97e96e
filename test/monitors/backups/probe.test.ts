import { mkdtempSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CommandTimeout, type RunFn, type RunOptions } from "../../../src/kit/exec.js";
import { ConfigError } from "../../../src/kit/config-errors.js";
import { backups } from "../../../src/monitors/backups/index.js";
import type { Facts } from "../../../src/monitors/monitor.js";
import { replayRun, type Replay } from "../../helpers/replay-run.js";
import { testProbeContext } from "../../helpers/probe-context.js";

const FX = join(import.meta.dirname, "../../fixtures/backups");
const RESTIC = ["restic", "snapshots", "--json", "--no-lock", "--no-cache"];
const RESTIC_CHECK = ["restic", "check", "--no-cache"];
const BORG = (wait: string) => ["borg", "--log-json", "--lock-wait", wait, "list", "--json", "--last", "1"];
const NOW = new Date("2026-01-02T10:00:00Z");
const tmp = mkdtempSync(join(tmpdir(), "gh-backups-probe-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A replaying RunFn that also keeps the options of every call (env must carry the secrets). */
function recording(replays: Replay[]) {
  const inner = replayRun(replays);
  const opts: (RunOptions | undefined)[] = [];
  const fn: RunFn = (cmd, args, o) => {
    opts.push(o);
    return inner(cmd, args, o);
  };
  return { fn, opts, calls: inner.calls };
}

async function observe(raw: unknown, run: RunFn) {
  const config = backups.parseConfig(raw);
  const obs = await backups.probe(testProbeContext({ run, now: NOW }), config);
  const findings = backups.policy(obs.facts, config, { now: NOW, firstSeen: () => undefined });
  return { obs, facts: obs.facts, findings };
}

const byRule = <F extends { rule: string }>(findings: F[], rule: string) => findings.filter((f) => f.rule === rule);

describe("config", () => {
  it("accepts the list form and the { sets } form", () => {
    const list = backups.parseConfig([{ name: "nightly", path: "/srv/backup", max_age: "26h" }]);
    const wrapped = backups.parseConfig({ sets: [{ name: "nightly", path: "/srv/backup", max_age: "26h" }] });
    expect(list).toEqual(wrapped);
    expect(list.sets[0]).toMatchObject({ maxAgeMs: 26 * 3_600_000, minSizeRatio: 0.5, timeoutMs: 300_000 });
  });
  it("treats an absent key as no sets", () => expect(backups.parseConfig(undefined)).toEqual({ sets: [] }));
  it.each([
    [[{ name: "a", max_age: "26h" }], "[0]: give one of path, restic or borg"],
    [[{ name: "a", max_age: "26h", path: "/x", borg: { repository: "/r", passphrase_file: "/p" } }], "give only one of path, restic or borg (got path, borg)"],
    [[{ name: "a", max_age: "soon", path: "/x" }], "[0].max_age: expected a duration"],
    [[{ name: "a", max_age: "1d", restic: { repository: "/r", password: "hunter2" } }], "[0].restic.password: unknown key"],
    [[{ name: "a", max_age: "1d", restic: { repository: "/r", password_file: "rel.pass" } }], "[0].restic.password_file: expected an absolute path"],
    [[{ name: "A B", max_age: "1d", path: "/x" }], "[0].name: expected a short name"],
    [[{ name: "a", max_age: "1d", path: "/x" }, { name: "a", max_age: "1d", path: "/y" }], '[1].name: duplicate backup set name "a"'],
    [{ sets: [], extra: 1 }, "extra: unknown key"],
    ["nightly", "expected"],
  ])("rejects %j", (raw, message) => {
    expect(() => backups.parseConfig(raw)).toThrow(ConfigError);
    expect(() => backups.parseConfig(raw)).toThrow(message);
  });
});

describe("no sets configured", () => {
  it("fails with a finding that says there is no evidence of backups", async () => {
    const run = replayRun([]);
    const { facts, findings } = await observe(undefined, run);
    expect(facts["backups.sets"]).toEqual([]);
    expect(findings).toEqual([expect.objectContaining({ rule: "backups.not_configured", status: "fail" })]);
    expect(findings[0]!.message).toMatch(/no evidence that backups exist/);
    expect(run.calls).toEqual([]);
  });
});

describe("restic (replayed)", () => {
  const cfg = (check = false) => [
    { name: "offsite", max_age: "26h", restic: { repository: "/srv/restic", password_file: "/etc/gatehouse/restic.pass", check } },
  ];

  it("reports the latest snapshot and passes when fresh; secrets only via env", async () => {
    const r = recording([{ argv: RESTIC, stdoutFile: join(FX, "restic-snapshots/two-snapshots.json") }]);
    const { facts, findings } = await observe(cfg(), r.fn);
    expect(facts).toMatchObject({
      "backups.sets": ["offsite"],
      "backups.set.offsite.kind": "restic",
      "backups.set.offsite.latest_at": "2026-01-02T03:04:05.000Z",
      "backups.set.offsite.age_hours": 6.9,
      "backups.set.offsite.count": 2,
      "backups.set.offsite.latest_host": "frontdesk-pc",
      "backups.set.offsite.latest_paths": ["/tmp/gh-rec/data"],
      "backups.set.offsite.error_kind": null,
      "backups.set.offsite.check": null,
    });
    expect(r.opts[0]?.env).toEqual({ RESTIC_REPOSITORY: "/srv/restic", RESTIC_PASSWORD_FILE: "/etc/gatehouse/restic.pass" });
    expect(byRule(findings, "backups.fresh")).toEqual([expect.objectContaining({ status: "pass", subject: "offsite" })]);
    expect(byRule(findings, "backups.access")[0]?.status).toBe("pass");
    expect(byRule(findings, "backups.check")).toEqual([]);
  });

  it("fails when the newest snapshot is older than max_age", async () => {
    const run = replayRun([{ argv: RESTIC, stdoutFile: join(FX, "restic-snapshots/two-snapshots.json") }]);
    const config = backups.parseConfig(cfg());
    const obs = await backups.probe(testProbeContext({ run, now: NOW }), config);
    const later = new Date("2026-01-04T10:00:00Z");
    const f = byRule(backups.policy(obs.facts, config, { now: later, firstSeen: () => undefined }), "backups.fresh")[0]!;
    expect(f.status).toBe("fail");
    expect(f.message).toBe('Newest backup of "offsite" is 2.3 days old, over max_age 26.0 h: check the backup job and its log');
  });

  it("fails on an empty repository", async () => {
    const run = replayRun([{ argv: RESTIC, stdoutFile: join(FX, "restic-snapshots/empty-repo.json") }]);
    const { findings } = await observe(cfg(), run);
    expect(byRule(findings, "backups.fresh")[0]).toMatchObject({ status: "fail", message: expect.stringMatching(/holds no backups at all/) });
  });

  it.each([
    ["wrong-password", "wrong_password", "fail", /password file does not open this repository/],
    ["missing-repository", "repository_missing", "fail", /no repository at that location/],
    ["password-file-missing", "password_file_missing", "fail", /password file is missing/],
  ])("maps recorded stderr %s to a clear finding", async (scenario, kind, status, advice) => {
    const run = replayRun([{ argv: RESTIC, code: 1, stderr: readFileSyncUtf8(join(FX, `restic-error/${scenario}.txt`)) }]);
    const { facts, findings } = await observe(cfg(), run);
    expect(facts["backups.set.offsite.error_kind"]).toBe(kind);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ rule: "backups.access", status, subject: "offsite" });
    expect(findings[0]!.message).toMatch(advice);
  });

  it("a hung restic becomes an unknown finding that names the timeout", async () => {
    const run: RunFn = async (cmd, args) => {
      throw new CommandTimeout(`${cmd}: timed out after 300000 ms`, [cmd, ...args]);
    };
    const { facts, findings } = await observe(cfg(), run);
    expect(facts["backups.set.offsite.error_kind"]).toBe("timeout");
    expect(findings[0]).toMatchObject({ rule: "backups.access", status: "unknown" });
    expect(findings[0]!.message).toMatch(/did not answer in time.*the command hung/);
  });

  it("restic not installed is unknown with what to do", async () => {
    const { findings } = await observe(cfg(), replayRun([{ argv: RESTIC, notInstalled: true }]));
    expect(findings[0]).toMatchObject({ status: "unknown", message: expect.stringMatching(/not installed.*install it/) });
  });

  it("garbage on stdout is an unknown finding, not a crash", async () => {
    const { facts, findings } = await observe(cfg(), replayRun([{ argv: RESTIC, stdout: "<html>proxy error</html>" }]));
    expect(facts["backups.set.offsite.error_kind"]).toBe("bad_output");
    expect(findings[0]).toMatchObject({ rule: "backups.access", status: "unknown" });
  });

  it.each([
    ["ok", 0, "pass"],
    ["locked", 1, "warn"],
    ["missing-pack", 1, "fail"],
  ])("restic check %s → %s", async (scenario, code, status) => {
    const text = readFileSyncUtf8(join(FX, `restic-check/${scenario}.txt`));
    const run = replayRun([
      { argv: RESTIC, stdoutFile: join(FX, "restic-snapshots/two-snapshots.json") },
      { argv: RESTIC_CHECK, code, stdout: text },
    ]);
    const { findings } = await observe(cfg(true), run);
    expect(byRule(findings, "backups.check")[0]?.status).toBe(status);
  });
});

describe("borg (replayed)", () => {
  const pass = join(tmp, "borg.pass");
  writeFileSync(pass, "correct horse\n");
  const cfg = [{ name: "nas", max_age: "26h", timeout: "60s", borg: { repository: "/srv/borg", passphrase_file: pass } }];

  it("passes the passphrase via env (without the newline), never argv", async () => {
    const r = recording([{ argv: BORG("30"), stdoutFile: join(FX, "borg-list/latest.json") }]);
    const { facts, findings } = await observe(cfg, r.fn);
    expect(r.opts[0]?.env).toMatchObject({ BORG_PASSPHRASE: "correct horse", BORG_REPO: "/srv/borg", TZ: "UTC" });
    expect(r.calls.flat().join(" ")).not.toContain("correct horse");
    expect(facts["backups.set.nas.latest_name"]).toBe("office-pc-2026-01-02");
    expect(byRule(findings, "backups.fresh")[0]?.status).toBe("pass");
  });

  it.each([
    ["wrong-passphrase", "wrong_password", "fail"],
    ["missing-repository", "repository_missing", "fail"],
    ["locked", "repository_locked", "warn"],
    ["unknown-unencrypted", "refused", "fail"],
  ])("maps recorded stderr %s", async (scenario, kind, status) => {
    const run = replayRun([{ argv: BORG("30"), code: 2, stderr: readFileSyncUtf8(join(FX, `borg-error/${scenario}.txt`)) }]);
    const { facts, findings } = await observe(cfg, run);
    expect(facts["backups.set.nas.error_kind"]).toBe(kind);
    expect(findings[0]).toMatchObject({ rule: "backups.access", status });
  });

  it("an unreadable passphrase file is a clear fail without running borg", async () => {
    const run = replayRun([]);
    const bad = [{ name: "nas", max_age: "26h", borg: { repository: "/srv/borg", passphrase_file: join(tmp, "missing.pass") } }];
    const { findings } = await observe(bad, run);
    expect(run.calls).toEqual([]);
    expect(findings[0]).toMatchObject({ status: "fail", message: expect.stringMatching(/cannot read .*missing\.pass \(ENOENT\)/) });
  });
});

describe("directory sets (real temp dirs)", () => {
  const dir = join(tmp, "nightly");
  mkdirSync(dir);
  const put = (name: string, bytes: number, at: string) => {
    writeFileSync(join(dir, name), Buffer.alloc(bytes));
    const t = new Date(at);
    utimesSync(join(dir, name), t, t);
  };
  put("acme-2026-01-01.tar.gz", 10_000, "2026-01-01T02:00:00Z");
  put("acme-2026-01-02.tar.gz", 1_000, "2026-01-02T02:00:00Z");
  put(".acme-2026-01-03.tar.gz.part", 50, "2026-01-02T09:00:00Z");
  mkdirSync(join(dir, "old"));
  const cfg = [{ name: "nightly", path: dir, max_age: "26h" }];

  it("newest file's age, count, sizes; warns on a newest far smaller than the previous", async () => {
    const { facts, findings } = await observe(cfg, replayRun([]));
    expect(facts).toMatchObject({
      "backups.set.nightly.count": 2,
      "backups.set.nightly.latest_name": "acme-2026-01-02.tar.gz",
      "backups.set.nightly.latest_at": "2026-01-02T02:00:00.000Z",
      "backups.set.nightly.total_bytes": 11_000,
      "backups.set.nightly.latest_bytes": 1_000,
      "backups.set.nightly.previous_bytes": 10_000,
    });
    expect(byRule(findings, "backups.fresh")[0]?.status).toBe("pass");
    expect(byRule(findings, "backups.size_drop")[0]).toMatchObject({ status: "warn", subject: "nightly" });
  });

  it("a missing directory fails clearly", async () => {
    const { findings } = await observe([{ name: "usb", path: join(tmp, "not-mounted"), max_age: "1d" }], replayRun([]));
    expect(findings[0]).toMatchObject({ rule: "backups.access", status: "fail", message: expect.stringMatching(/does not exist.*is the backup disk mounted/) });
  });

  it("one bad set does not spoil the others", async () => {
    const run = replayRun([{ argv: RESTIC, code: 1, stderr: "Fatal: wrong password or no key found\n" }]);
    const raw = [...cfg, { name: "offsite", max_age: "26h", restic: { repository: "/srv/r", password_file: "/etc/p" } }];
    const { findings } = await observe(raw, run);
    expect(findings.filter((f) => f.subject === "nightly" && f.rule === "backups.fresh")[0]?.status).toBe("pass");
    expect(findings.filter((f) => f.subject === "offsite")[0]?.status).toBe("fail");
  });
});

describe("policy", () => {
  it("a set without facts is unknown, not a pass", () => {
    const config = backups.parseConfig([{ name: "x", path: "/x", max_age: "1d" }]);
    const findings = backups.policy({ "backups.sets": ["x"] } as Facts, config, { now: NOW, firstSeen: () => undefined });
    expect(findings).toEqual([expect.objectContaining({ status: "unknown", subject: "x" })]);
  });
});

function readFileSyncUtf8(p: string): string {
  return readFileSync(p, "utf8");
}
