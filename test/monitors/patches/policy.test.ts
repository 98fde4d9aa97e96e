import { describe, expect, it } from "vitest";
import type { Facts, PolicyContext } from "../../../src/monitors/monitor.js";
import { patches } from "../../../src/monitors/patches/index.js";

const NOW = new Date("2026-11-28T12:00:00Z");
const DAY = 86_400_000;
const cfg = patches.parseConfig({ max_pending_security_days: 7 });

function ctx(firstSeenDaysAgo: Record<string, number> = {}): PolicyContext {
  return {
    now: NOW,
    firstSeen: (key, item) =>
      key === "patches.pending_security" && item in firstSeenDaysAgo ? new Date(NOW.getTime() - firstSeenDaysAgo[item]! * DAY) : undefined,
  };
}

const healthy: Facts = {
  "patches.package_manager": "apt",
  "patches.pending_security": [],
  "patches.pending_security_count": 0,
  "patches.pending_other_count": 3,
  "patches.kept_back": [],
  "patches.last_update_age_hours": 5,
  "patches.unattended_upgrades_enabled": true,
  "patches.reboot_required": false,
  "patches.reboot_required_pkgs": [],
  "patches.kernel_running": "6.1.0-21-amd64",
  "patches.kernel_newest_installed": "6.1.0-21-amd64",
  "patches.kernel_update_pending": false,
  "patches.os_id": "debian",
  "patches.os_version": "12",
  "patches.os_name": "Debian GNU/Linux 12 (bookworm)",
  "patches.os_eol_date": "2028-06-30",
};

function finding(facts: Facts, rule: string, c = ctx(), config = cfg) {
  const f = patches.policy(facts, config, c).find((x) => x.rule === rule);
  if (!f) throw new Error(`no finding ${rule}`);
  return f;
}

describe("patches policy", () => {
  it("a healthy host passes everything", () => {
    const all = patches.policy(healthy, cfg, ctx());
    expect(all.map((f) => [f.rule, f.status])).toEqual([
      ["patches.security_updates", "pass"],
      ["patches.lists_fresh", "pass"],
      ["patches.automatic_updates", "pass"],
      ["patches.reboot_required", "pass"],
      ["patches.os_end_of_life", "pass"],
    ]);
  });

  const pending = { ...healthy, "patches.pending_security": ["libssl3 3.0.15-1→3.0.16-1", "tzdata 2025a→2025b"] };
  it("security updates seen just now pass (within the window)", () => {
    expect(finding(pending, "patches.security_updates").status).toBe("pass");
  });
  it("warns past half the window, fails past max_pending_security_days using firstSeen", () => {
    expect(finding(pending, "patches.security_updates", ctx({ "libssl3 3.0.15-1→3.0.16-1": 4 })).status).toBe("warn");
    const f = finding(pending, "patches.security_updates", ctx({ "libssl3 3.0.15-1→3.0.16-1": 8, "tzdata 2025a→2025b": 1 }));
    expect(f.status).toBe("fail");
    expect(f.message).toContain("libssl3");
    expect(f.message).toContain("longer than 7 days");
  });

  it("reboot: config picks warn or fail; the kernel check counts too", () => {
    const reboot = { ...healthy, "patches.reboot_required": true, "patches.reboot_required_pkgs": ["libc6"] };
    expect(finding(reboot, "patches.reboot_required").status).toBe("fail");
    expect(finding(reboot, "patches.reboot_required", ctx(), patches.parseConfig({ reboot_required: "warn" })).status).toBe("warn");
    const kernel = { ...healthy, "patches.kernel_running": "6.1.0-18-amd64", "patches.kernel_update_pending": true };
    expect(finding(kernel, "patches.reboot_required").message).toContain("6.1.0-18-amd64");
  });

  it("OS past end of life fails, close to it warns, unknown release is unknown", () => {
    expect(finding({ ...healthy, "patches.os_eol_date": "2024-06-30" }, "patches.os_end_of_life").status).toBe("fail");
    expect(finding({ ...healthy, "patches.os_eol_date": "2027-01-15" }, "patches.os_end_of_life").status).toBe("warn");
    expect(finding({ ...healthy, "patches.os_eol_date": null }, "patches.os_end_of_life").status).toBe("unknown");
  });

  it("stale lists, automatic updates off and kept-back packages warn", () => {
    expect(finding({ ...healthy, "patches.last_update_age_hours": 100 }, "patches.lists_fresh").status).toBe("warn");
    expect(finding({ ...healthy, "patches.unattended_upgrades_enabled": false }, "patches.automatic_updates").message).toContain("unattended-upgrades");
    expect(finding({ ...healthy, "patches.kept_back": ["bash"] }, "patches.kept_back").status).toBe("warn");
  });
});

describe("patches policy: update age from what the box records (true on the first check)", () => {
  const behind = {
    ...healthy,
    "patches.pending_security": ["libssl3 3.0.15-1→3.0.16-1", "tzdata 2025a→2025b"],
    "patches.security_available_since": ["2025-05-20T03:12:44.000Z bookworm-security 2"],
    "patches.last_security_upgrade": "2025-04-02T08:00:00.000Z",
    "patches.last_security_upgrade_source": "/var/log/apt/history.log",
    "patches.upgrade_logs_since": "2024-12-01T00:00:00.000Z",
  };
  it("fails on the first check when the Release file proves the updates are months old", () => {
    const f = finding(behind, "patches.security_updates");
    expect(f.status).toBe("fail");
    expect(f.message).toContain("2 security update(s) pending longer than 7 days");
    expect(f.message).toContain(
      "security updates available since 2025-05-20 per the bookworm-security Release file; last security upgrade applied 2025-04-02 per /var/log/apt/history.log",
    );
  });
  it("a fresh Release file with a recent full upgrade passes and says why", () => {
    const recent = { ...behind, "patches.security_available_since": ["2026-11-27T03:00:00.000Z bookworm-security 2"], "patches.last_security_upgrade": "2026-11-26T08:00:00.000Z" };
    const f = finding(recent, "patches.security_updates");
    expect(f.status).toBe("pass");
    expect(f.message).toContain("the oldest for 1 day(s)");
    expect(f.message).toContain("last security upgrade applied 2026-11-26");
  });
  it("no full upgrade for months fails only while automatic updates are off", () => {
    const fresh = { ...behind, "patches.security_available_since": ["2026-11-27T03:00:00.000Z bookworm-security 2"] };
    const off = finding({ ...fresh, "patches.unattended_upgrades_enabled": false }, "patches.security_updates");
    expect(off.status).toBe("fail");
    expect(off.message).toMatch(/none applied for 605 days/);
    expect(finding(fresh, "patches.security_updates").status).toBe("pass");
    const noUpgradeInLogs = { ...fresh, "patches.unattended_upgrades_enabled": false, "patches.last_security_upgrade": null };
    expect(finding(noUpgradeInLogs, "patches.security_updates").message).toContain("no security upgrade in /var/log/apt/history.log since 2024-12-01");
  });
  it("the remembered first sighting stays a lower bound when it is older than the Release file", () => {
    const f = finding(behind, "patches.security_updates", ctx({ "tzdata 2025a→2025b": 700 }));
    expect(f.message).toContain("oldest: tzdata, 700 days");
  });
  it("ignores availability items it cannot read", () => {
    const odd = { ...healthy, "patches.pending_security": ["a 1→2"], "patches.security_available_since": ["garbage", "not-a-date x 1"] };
    expect(finding(odd, "patches.security_updates").status).toBe("pass");
  });
});
