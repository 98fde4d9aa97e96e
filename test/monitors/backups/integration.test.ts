/**
 * Real restic and borg repositories in temp dirs: snapshots with chosen times, then the probe
 * and policy on them. Nothing outside the temp dir is touched (restic runs with --no-cache,
 * borg with BORG_BASE_DIR inside the temp dir).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync, readdirSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run, spawnLines } from "../../../src/kit/exec.js";
import { backups } from "../../../src/monitors/backups/index.js";
import type { PolicyFinding } from "../../../src/monitors/monitor.js";
import { testProbeContext } from "../../helpers/probe-context.js";
import { canRun } from "../../helpers/require-tool.js";

const HOUR = 3_600_000;
/** restic/borg time arguments, in UTC (the tools run with TZ=UTC below). */
const stamp = (d: Date) => d.toISOString().slice(0, 19);

async function check(raw: unknown) {
  const config = backups.parseConfig(raw);
  const obs = await backups.probe(testProbeContext({ run }), config);
  const findings = backups.policy(obs.facts, config, { now: new Date(), firstSeen: () => undefined });
  return { facts: obs.facts, findings, evidence: obs.evidence };
}
const find = (fs: PolicyFinding[], rule: string, subject: string) => fs.find((f) => f.rule === rule && f.subject === subject);

describe.skipIf(!canRun({ tools: ["restic"] }))("restic repositories (real)", () => {
  let dir: string;
  const env = (repo: string, pw = "pw") => ({ RESTIC_REPOSITORY: join(dir, repo), RESTIC_PASSWORD_FILE: join(dir, pw), TZ: "UTC" });
  const set = (name: string, repo: string, more: object = {}, pw = "pw") => ({
    name,
    max_age: "26h",
    restic: { repository: join(dir, repo), password_file: join(dir, pw), ...more },
  });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "gh-restic-"));
    writeFileSync(join(dir, "pw"), "correct horse battery staple\n");
    writeFileSync(join(dir, "wrong-pw"), "Summer2026!\n");
    mkdirSync(join(dir, "data"));
    writeFileSync(join(dir, "data", "calls.csv"), "call,clinic\n1,Acme Pediatrics\n");
    for (const [repo, when] of [
      ["fresh", stamp(new Date(Date.now() - 2 * HOUR))],
      ["stale", "2026-01-01T00:00:00"],
    ] as const) {
      await run("restic", ["init", "--no-cache"], { env: env(repo) });
      await run("restic", ["backup", "--no-cache", "--host", "frontdesk-pc", "--time", when.replace("T", " "), "data"], {
        env: env(repo),
        cwd: dir,
      });
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("fresh → pass, stale → fail, wrong password → clear fail, missing repo → clear fail", async () => {
    const { facts, findings } = await check([
      set("fresh", "fresh"),
      set("stale", "stale"),
      set("badpw", "fresh", {}, "wrong-pw"),
      set("missing", "nowhere"),
    ]);
    expect(find(findings, "backups.fresh", "fresh")?.status).toBe("pass");
    expect(facts["backups.set.fresh.latest_host"]).toBe("frontdesk-pc");
    expect(facts["backups.set.fresh.latest_paths"]).toEqual([join(dir, "data")]);
    expect(find(findings, "backups.fresh", "stale")).toMatchObject({ status: "fail", message: expect.stringMatching(/over max_age/) });
    expect(facts["backups.set.stale.latest_at"]).toBe("2026-01-01T00:00:00.000Z");
    expect(find(findings, "backups.access", "badpw")).toMatchObject({ status: "fail", message: expect.stringMatching(/wrong password/) });
    expect(facts["backups.set.badpw.error_kind"]).toBe("wrong_password");
    expect(find(findings, "backups.access", "missing")).toMatchObject({ status: "fail" });
    expect(facts["backups.set.missing.error_kind"]).toBe("repository_missing");
    expect(readdirSync(join(dir, "fresh", "locks"))).toEqual([]);
  });

  it("restic check: ok, then locked while another restic holds the exclusive lock", async () => {
    const ok = await check([set("fresh", "fresh", { check: true })]);
    expect(find(ok.findings, "backups.check", "fresh")?.status).toBe("pass");

    // `key passwd` takes the exclusive lock, then blocks opening the FIFO for its new password.
    const fifo = join(dir, "new-password.fifo");
    await run("mkfifo", [fifo]);
    const holder = spawnLines("restic", ["key", "passwd", "--no-cache", "--new-password-file", fifo], () => {}, { env: env("fresh") });
    try {
      await until(() => readdirSync(join(dir, "fresh", "locks")).length > 0);
      const locked = await check([set("fresh", "fresh", { check: true })]);
      expect(find(locked.findings, "backups.check", "fresh")).toMatchObject({
        status: "warn",
        message: expect.stringMatching(/already locked exclusively/),
      });
      // Listing never takes a lock, so freshness is still known while the lock is held.
      expect(find(locked.findings, "backups.fresh", "fresh")?.status).toBe("pass");
    } finally {
      holder.stop();
      await holder.exited;
    }
  });

  describe("a hung repository", () => {
    let server: Server;
    const sockets: Socket[] = [];
    beforeAll(async () => {
      // Accepts connections and never answers: what a dead NFS or HTTP backend looks like.
      server = createServer((s) => sockets.push(s));
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    });
    afterAll(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    });
    it("becomes an unknown finding naming the timeout", async () => {
      const port = (server.address() as { port: number }).port;
      const { facts, findings } = await check([
        { name: "rest", max_age: "26h", timeout: "2s", restic: { repository: `rest:http://127.0.0.1:${port}/`, password_file: join(dir, "pw") } },
      ]);
      expect(facts["backups.set.rest.error_kind"]).toBe("timeout");
      expect(find(findings, "backups.access", "rest")).toMatchObject({ status: "unknown", message: expect.stringMatching(/did not answer in time.*hung/) });
    });
  });
});

describe.skipIf(!canRun({ tools: ["borg"] }))("borg repositories (real)", () => {
  let dir: string;
  const env = () => ({ BORG_PASSPHRASE: "correct horse battery staple", BORG_BASE_DIR: join(dir, "borg-home"), TZ: "UTC" });
  const set = (name: string, repo: string, more: object = {}, pass = "pass") => ({
    name,
    max_age: "26h",
    borg: { repository: join(dir, repo), passphrase_file: join(dir, pass), base_dir: join(dir, "borg-home") },
    ...more,
  });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "gh-borg-"));
    writeFileSync(join(dir, "pass"), "correct horse battery staple\n");
    writeFileSync(join(dir, "wrong-pass"), "Summer2026!\n");
    mkdirSync(join(dir, "data"));
    writeFileSync(join(dir, "data", "calls.csv"), "call,clinic\n1,Acme Pediatrics\n");
    for (const [repo, when] of [
      ["fresh", stamp(new Date(Date.now() - 2 * HOUR))],
      ["stale", "2026-01-01T00:00:00"],
    ] as const) {
      await run("borg", ["init", "--encryption", "repokey-blake2", join(dir, repo)], { env: env() });
      await run("borg", ["create", "--timestamp", when, `${join(dir, repo)}::office-pc-${when}`, "data"], { env: env(), cwd: dir });
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("fresh → pass, stale → fail, wrong passphrase → clear fail, missing repo → clear fail", async () => {
    const { facts, findings } = await check([set("fresh", "fresh"), set("stale", "stale"), set("badpw", "fresh", {}, "wrong-pass"), set("missing", "nowhere")]);
    expect(find(findings, "backups.fresh", "fresh")?.status).toBe("pass");
    expect(find(findings, "backups.fresh", "stale")?.status).toBe("fail");
    expect(facts["backups.set.stale.latest_at"]).toBe("2026-01-01T00:00:00.000Z");
    expect(facts["backups.set.stale.latest_name"]).toBe("office-pc-2026-01-01T00:00:00");
    expect(find(findings, "backups.access", "badpw")).toMatchObject({ status: "fail", message: expect.stringMatching(/passphrase .* is incorrect/) });
    expect(find(findings, "backups.access", "missing")).toMatchObject({ status: "fail", message: expect.stringMatching(/does not exist/) });
  });

  it("a repository locked by another borg → warn naming the lock", async () => {
    const holder = spawnLines("borg", ["with-lock", join(dir, "fresh"), "sleep", "120"], () => {}, { env: env() });
    try {
      await until(() => existsSync(join(dir, "fresh", "lock.exclusive")));
      // Lock wait is half the timeout (6 s), leaving borg (a Python program) ample time to start on a loaded box.
      const { facts, findings } = await check([set("fresh", "fresh", { timeout: "12s" })]);
      expect(facts["backups.set.fresh.error_kind"]).toBe("repository_locked");
      expect(find(findings, "backups.access", "fresh")).toMatchObject({ status: "warn", message: expect.stringMatching(/lock/) });
    } finally {
      holder.stop();
      await holder.exited;
    }
  });
});

/** Polls a condition set up by a child process; bounded by the suite's hook timeout, not asserted on. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 600 && !cond(); i++) await new Promise((r) => setTimeout(r, 50));
  if (!cond()) throw new Error("condition not reached: the helper process did not start");
}
