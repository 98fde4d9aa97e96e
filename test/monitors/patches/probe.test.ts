import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/kit/config-errors.js";
import { NotApplicable, ProbeError } from "../../../src/monitors/monitor.js";
import { APT_ARGV, DNF_ADVISORIES_ARGV, DNF_ALL_ARGV, DNF_SECURITY_ARGV, NEEDS_RESTARTING_ARGV, patches } from "../../../src/monitors/patches/index.js";
import { testProbeContext } from "../../helpers/probe-context.js";
import { replayRun, type Replay } from "../../helpers/replay-run.js";

const FIX = join(import.meta.dirname, "../../fixtures/patches");
const NOW = new Date("2026-11-28T12:00:00Z");
let root: string;

function write(rel: string, text: string): void {
  mkdirSync(join(root, rel, ".."), { recursive: true });
  writeFileSync(join(root, rel), text);
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "gatehouse-patches-"));
  cpSync(join(FIX, "apt.conf.d/enabled"), join(root, "etc/apt/apt.conf.d"), { recursive: true });
  cpSync(join(FIX, "os-release/debian-12.txt"), join(root, "etc/os-release"));
  mkdirSync(join(root, "var/lib/apt/lists"), { recursive: true });
  write("var/lib/apt/periodic/update-success-stamp", "");
  const fiveHoursAgo = new Date(NOW.getTime() - 5 * 3_600_000);
  utimesSync(join(root, "var/lib/apt/periodic/update-success-stamp"), fiveHoursAgo, fiveHoursAgo);
  write("boot/vmlinuz-6.1.0-18-amd64", "");
  write("boot/vmlinuz-6.1.0-21-amd64", "");
  write("boot/config-6.1.0-21-amd64", "");
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const apt = (scenario: string): Replay => ({ argv: [...APT_ARGV], stdoutFile: join(FIX, `apt-get-dist-upgrade/${scenario}.txt`) });
const uname = (release: string): Replay => ({ argv: ["uname", "-r"], stdout: `${release}\n` });

describe("patches probe on apt (replayed apt-get, fake root tree)", () => {
  it("reports security updates, kernel and os facts", async () => {
    const run = replayRun([apt("security-and-regular"), uname("6.1.0-18-amd64")]);
    const cfg = patches.parseConfig({ root });
    const obs = await patches.probe(testProbeContext({ run, now: NOW }), cfg);
    expect(run.calls).toEqual([[...APT_ARGV], ["uname", "-r"]]);
    const f = obs.facts;
    expect(f["patches.package_manager"]).toBe("apt");
    expect(f["patches.pending_security_count"]).toBe(73);
    expect(f["patches.pending_other_count"]).toBe(44);
    expect(f["patches.pending_security"]).toContain("libgcrypt20 1.10.1-3→1.10.1-3+deb12u1");
    expect((f["patches.pending_security"] as string[]).some((i) => i.startsWith("bash "))).toBe(false);
    expect(f["patches.last_update_age_hours"]).toBe(5);
    expect(f["patches.unattended_upgrades_enabled"]).toBe(true);
    expect(f["patches.reboot_required"]).toBe(false);
    expect(f["patches.kernel_newest_installed"]).toBe("6.1.0-21-amd64");
    expect(f["patches.kernel_update_pending"]).toBe(true);
    expect(f["patches.os_eol_date"]).toBe("2028-06-30");
    expect(obs.evidence).toContain("117 upgraded");
    for (const k of Object.keys(f)) expect(k).toMatch(/^patches\.[a-z_]+$/);
    for (const k of patches.baselineFacts) expect(f).toHaveProperty(k);
  });

  it("reads /run/reboot-required and its .pkgs list, and kept-back packages", async () => {
    write("run/reboot-required", "*** System restart required ***\n");
    write("run/reboot-required.pkgs", "libc6\nlinux-image-6.1.0-21-amd64\nlibc6\n");
    rmSync(join(root, "etc/apt/apt.conf.d/20auto-upgrades"));
    const run = replayRun([apt("held-kept-back"), uname("6.1.0-21-amd64")]);
    const obs = await patches.probe(testProbeContext({ run, now: NOW }), patches.parseConfig({ root }));
    expect(obs.facts["patches.reboot_required"]).toBe(true);
    expect(obs.facts["patches.reboot_required_pkgs"]).toEqual(["libc6", "linux-image-6.1.0-21-amd64"]);
    expect(obs.facts["patches.kept_back"]).toEqual(["bash", "libpq-dev", "libpq5", "openssh-client", "postgresql-client-15", "tzdata"]);
    expect(obs.facts["patches.kernel_update_pending"]).toBe(false);
    expect(obs.facts["patches.unattended_upgrades_enabled"]).toBe(false);
  });

  it("turns apt's E: lines into a clear ProbeError (broken lists, exit 100)", async () => {
    const text = readFileSync(join(FIX, "apt-get-dist-upgrade/broken-lists.txt"), "utf8");
    const stderr = text.split("\n").filter((l) => l.startsWith("E: ")).join("\n");
    const run = replayRun([{ argv: [...APT_ARGV], stdout: "Reading package lists...\n", stderr, code: 100 }]);
    const err = await patches.probe(testProbeContext({ run, now: NOW }), patches.parseConfig({ root })).catch((e) => e);
    expect(err).toBeInstanceOf(ProbeError);
    expect(err.message).toMatch(/^apt-get failed: .*package lists or status file could not be parsed/);
  });

  it("falls back to lists mtime without the periodic stamp, and no /boot at all", async () => {
    rmSync(join(root, "var/lib/apt/periodic"), { recursive: true });
    rmSync(join(root, "boot"), { recursive: true });
    const threeDaysAgo = new Date(NOW.getTime() - 72 * 3_600_000);
    utimesSync(join(root, "var/lib/apt/lists"), threeDaysAgo, threeDaysAgo);
    const run = replayRun([apt("nothing-pending"), uname("6.18.44-fc-v782")]);
    const obs = await patches.probe(testProbeContext({ run, now: NOW }), patches.parseConfig({ root }));
    expect(obs.facts["patches.last_update_age_hours"]).toBe(72);
    expect(obs.facts["patches.kernel_newest_installed"]).toBeNull();
    expect(obs.facts["patches.kernel_update_pending"]).toBe(false);
    expect(obs.facts["patches.pending_security"]).toEqual([]);
  });
});

describe("patches probe on dnf (documented shapes)", () => {
  it("uses dnf when apt-get is absent", async () => {
    cpSync(join(FIX, "os-release/rocky-9.3.txt"), join(root, "etc/os-release"));
    write("etc/dnf/automatic.conf", "[commands]\nupgrade_type = security\napply_updates = yes\n");
    const run = replayRun([
      { argv: [...APT_ARGV], notInstalled: true },
      { argv: [...DNF_SECURITY_ARGV], stdoutFile: join(FIX, "dnf-check-update/security-pending.txt"), code: 100 },
      { argv: [...DNF_ALL_ARGV], stdoutFile: join(FIX, "dnf-check-update/all-with-wrapped-and-obsoletes.txt"), code: 100 },
      { argv: [...DNF_ADVISORIES_ARGV], stdoutFile: join(FIX, "dnf-updateinfo/security-pending.txt") },
      { argv: [...NEEDS_RESTARTING_ARGV], stdoutFile: join(FIX, "needs-restarting/reboot-required.txt"), code: 1 },
      uname("6.1.0-21-amd64"),
    ]);
    const obs = await patches.probe(testProbeContext({ run, now: NOW }), patches.parseConfig({ root }));
    expect(obs.facts["patches.package_manager"]).toBe("dnf");
    expect(obs.facts["patches.pending_security"]).toContain("openssl.x86_64 →1:3.0.7-25.el9_3");
    expect(obs.facts["patches.pending_security_count"]).toBe(4);
    expect(obs.facts["patches.pending_other_count"]).toBe(3);
    expect(obs.facts["patches.reboot_required"]).toBe(true);
    expect(obs.facts["patches.reboot_required_pkgs"]).toEqual(["kernel", "systemd"]);
    expect(obs.facts["patches.unattended_upgrades_enabled"]).toBe(true);
    expect(obs.facts["patches.os_eol_date"]).toBe("2032-05-31");
    expect(obs.facts["patches.security_available_since"]).toEqual([
      "2023-11-28T00:00:00.000Z RHSA-2023:7549 1",
      "2023-12-18T14:02:11.000Z RHSA-2023:7877 1",
    ]);
    const f = patches.policy(obs.facts, patches.parseConfig({ root }), { now: NOW, firstSeen: () => undefined }).find((x) => x.rule === "patches.security_updates")!;
    expect(f.status).toBe("fail");
    expect(f.message).toContain("available since 2023-11-28 per advisory RHSA-2023:7549");
    expect(f.message).toContain("dnf upgrade --security");
  });

  it("a failing dnf updateinfo is noted in the evidence, not fatal", async () => {
    const run = replayRun([
      { argv: [...APT_ARGV], notInstalled: true },
      { argv: [...DNF_SECURITY_ARGV], stdoutFile: join(FIX, "dnf-check-update/security-pending.txt"), code: 100 },
      { argv: [...DNF_ALL_ARGV], stdoutFile: join(FIX, "dnf-check-update/all-with-wrapped-and-obsoletes.txt"), code: 100 },
      { argv: [...DNF_ADVISORIES_ARGV], stdout: "garbage\n" },
      { argv: [...NEEDS_RESTARTING_ARGV], notInstalled: true },
      uname("6.1.0-21-amd64"),
    ]);
    const obs = await patches.probe(testProbeContext({ run, now: NOW }), patches.parseConfig({ root }));
    expect(obs.facts["patches.security_available_since"]).toEqual([]);
    expect(obs.evidence).toContain("unreadable: dnf updateinfo: unrecognised dnf updateinfo output");
  });

  it("is NotApplicable without apt-get and dnf", async () => {
    const run = replayRun([
      { argv: [...APT_ARGV], notInstalled: true },
      { argv: [...DNF_SECURITY_ARGV], notInstalled: true },
    ]);
    await expect(patches.probe(testProbeContext({ run, now: NOW }), patches.parseConfig({ root }))).rejects.toBeInstanceOf(NotApplicable);
  });
});

describe("patches config", () => {
  it("defaults when the key is absent", () => {
    expect(patches.parseConfig(undefined)).toEqual({ max_pending_security_days: 7, reboot_required: "fail", root: "/" });
  });
  it.each([
    [{ max_pending_security_days: "7" }, "max_pending_security_days"],
    [{ reboot_required: "maybe" }, "reboot_required"],
    [{ root: "relative/dir" }, "root"],
    [{ bogus: 1 }, "bogus"],
    ["a string", ""],
  ])("rejects %j naming the key", (raw, key) => {
    const err = (() => {
      try {
        patches.parseConfig(raw);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain(key);
  });
});

describe("patches: how long security updates have waited, from what the box records", () => {
  const LISTS = "var/lib/apt/lists";
  const recorded = (name: string) => readFileSync(join(FIX, "apt-release", name), "utf8");
  /** A recorded InRelease with its Date moved back, as a box on an old snapshot would hold it. */
  const dated = (name: string, date: string) => recorded(name).replace(/^Date: .*$/m, `Date: ${date}`);
  const firstCheck = { now: NOW, firstSeen: () => undefined };
  const securityFinding = (facts: Record<string, unknown>, now = NOW) => {
    const f = patches.policy(facts as never, patches.parseConfig({ root }), { ...firstCheck, now }).find((x) => x.rule === "patches.security_updates");
    if (!f) throw new Error("no security finding");
    return f;
  };

  it("a box on an 18-month-old package snapshot fails on its first check, saying how the age is known", async () => {
    write(`${LISTS}/deb.debian.org_debian-security_dists_bookworm-security_InRelease`, dated("bookworm-security-inrelease.txt", "Tue, 20 May 2025 03:12:44 UTC"));
    write(`${LISTS}/deb.debian.org_debian_dists_bookworm_InRelease`, dated("bookworm-inrelease-head.txt", "Sat, 17 May 2025 09:45:02 UTC"));
    write(`${LISTS}/deb.debian.org_debian_dists_bookworm-updates_InRelease`, dated("bookworm-updates-inrelease-head.txt", "Tue, 20 May 2025 02:11:04 UTC"));
    write("var/log/apt/history.log", readFileSync(join(FIX, "apt-history/dev-box.txt"), "utf8"));
    const run = replayRun([apt("security-and-regular"), uname("6.1.0-18-amd64")]);
    const obs = await patches.probe(testProbeContext({ run, now: NOW }), patches.parseConfig({ root }));
    const since = obs.facts["patches.security_available_since"] as string[];
    expect(since.reduce((n, i) => n + Number(i.split(" ")[2]), 0)).toBe(73);
    expect(since[0]).toMatch(/^2025-05-17T09:45:02\.000Z bookworm \d+$/);
    expect(since.some((i) => /^2025-05-20T03:12:44\.000Z bookworm-security \d+$/.test(i))).toBe(true);
    expect(obs.facts["patches.last_security_upgrade_source"]).toBe("/var/log/apt/history.log");
    expect(obs.evidence).toContain("bookworm-security Release file dated 2025-05-20");

    const f = securityFinding(obs.facts);
    expect(f.status).toBe("fail");
    expect(f.message).toContain("longer than 7 days");
    expect(f.message).toContain("available since 2025-05-17 per the bookworm Release file");
    expect(f.message).toContain("last security upgrade applied 2025-06-24 per /var/log/apt/history.log");
    expect(f.message).not.toContain("0 day(s)");
  });

  it("fresh lists but no full upgrade for months, automatic updates off: fails on its first check", async () => {
    const now = new Date("2026-12-06T21:30:00Z");
    rmSync(join(root, "etc/apt/apt.conf.d/20auto-upgrades"));
    write(`${LISTS}/deb.debian.org_debian-security_dists_bookworm-security_InRelease`, recorded("bookworm-security-inrelease.txt"));
    write("var/log/apt/history.log", readFileSync(join(FIX, "apt-history/dev-box.txt"), "utf8"));
    const run = replayRun([apt("security-and-regular"), uname("6.1.0-18-amd64")]);
    const obs = await patches.probe(testProbeContext({ run, now }), patches.parseConfig({ root }));
    expect(obs.facts["patches.unattended_upgrades_enabled"]).toBe(false);
    const f = securityFinding(obs.facts, now);
    expect(f.status).toBe("fail");
    expect(f.message).toMatch(/none applied for \d{3} days/);
    expect(f.message).toContain("available since 2026-12-05 per the bookworm-security Release file");

    // The same box with unattended-upgrades on: a quiet history means nothing was offered.
    const on = securityFinding({ ...obs.facts, "patches.unattended_upgrades_enabled": true }, now);
    expect(on.status).toBe("pass");
    expect(on.message).toContain("first seen by Gatehouse now");
  });

  it("reads rotated .gz history, notes a garbled file and keeps going", async () => {
    write("var/log/apt/history.log", "");
    write("var/log/apt/history.log.1.gz", "");
    writeFileSync(join(root, "var/log/apt/history.log.1.gz"), gzipSync(readFileSync(join(FIX, "apt-history/unattended-and-crash.txt"))));
    write("var/log/apt/history.log.2.gz", "this was never gzip");
    write(`${LISTS}/deb.debian.org_debian-security_dists_bookworm-security_InRelease`, "<html>captive portal</html>");
    const run = replayRun([apt("security-and-regular"), uname("6.1.0-18-amd64")]);
    const obs = await patches.probe(testProbeContext({ run, now: NOW }), patches.parseConfig({ root }));
    expect(obs.facts["patches.last_security_upgrade"]).toBe(new Date("2026-11-20T22:01:05").toISOString());
    expect(obs.facts["patches.last_security_upgrade_source"]).toBe("/var/log/apt/history.log.1.gz");
    expect(obs.facts["patches.security_available_since"]).toEqual([]);
    expect(obs.evidence).toMatch(/unreadable: \/var\/log\/apt\/history\.log\.2\.gz: not gzip data/);
    expect(obs.evidence).toMatch(/unreadable: \/var\/lib\/apt\/lists\/.*InRelease: not an apt Release file/);
  });

  it("falls back to dpkg.log when apt keeps no history", async () => {
    write("var/log/dpkg.log", readFileSync(join(FIX, "dpkg-log/dev-box.txt"), "utf8"));
    const run = replayRun([apt("nothing-pending"), uname("6.1.0-18-amd64")]);
    const obs = await patches.probe(testProbeContext({ run, now: NOW }), patches.parseConfig({ root }));
    expect(obs.facts["patches.last_security_upgrade"]).toBe(new Date("2026-12-06T21:00:04").toISOString());
    expect(obs.facts["patches.last_security_upgrade_source"]).toBe("/var/log/dpkg.log");
    expect(obs.facts["patches.upgrade_logs_since"]).toBe(new Date("2025-06-24T14:36:25").toISOString());
  });

  it("without any record, the remembered first sighting is the lower bound", async () => {
    const run = replayRun([apt("security-and-regular"), uname("6.1.0-18-amd64")]);
    const obs = await patches.probe(testProbeContext({ run, now: NOW }), patches.parseConfig({ root }));
    expect(obs.facts["patches.security_available_since"]).toEqual([]);
    expect(obs.facts["patches.last_security_upgrade"]).toBeNull();
    expect(obs.facts["patches.upgrade_logs_since"]).toBeNull();
    const f = securityFinding(obs.facts);
    expect(f.status).toBe("pass");
    expect(f.message).toContain("(first seen by Gatehouse now)");
  });
});
