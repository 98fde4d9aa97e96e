/** The host judge, table-driven: snapshot facts in, one finding per check out (status and wording). */
import { describe, expect, it } from "vitest";
import { HOST_CHECKS, type HostRule } from "../../src/agent/controls/host-checks.js";
import { judgeHost, type HostPolicy } from "../../src/agent/hosts/judge.js";
import { hostEndOfLife } from "../../src/agent/hosts/os-eol.js";
import type { QueryName } from "../../src/agent/hosts/queries.js";
import type { HostSnapshot, Row } from "../../src/agent/hosts/snapshot.js";

const NOW = Date.UTC(2026, 11, 1, 10, 0, 0);
const DAY = 86_400_000;
const unix = (ms: number) => String(Math.floor(ms / 1000));
const POLICY: HostPolicy = { offlineAfterMs: 2 * DAY, maxSignatureAgeMs: 3 * DAY, maxUpdateAgeMs: 35 * DAY, maxScreenLockMs: 15 * 60_000, allowedAdmins: ["ITAdmin"] };

const snap = (platform: HostSnapshot["platform"], results: Partial<Record<QueryName, Row[] | number>>, lastSeenAt = NOW - 60_000): HostSnapshot => ({
  id: "7",
  name: "PC-7",
  platform,
  lastSeenAt,
  results: Object.fromEntries(Object.entries(results).map(([q, r]) => [q, typeof r === "number" ? { rows: [], status: r, at: NOW } : { rows: r, status: 0, at: NOW }])),
});

const WIN_GOOD: Partial<Record<QueryName, Row[]>> = {
  os_version: [{ name: "Microsoft Windows 11 Enterprise", version: "10.0.26100", major: "10", build: "26100", platform: "windows" }],
  win_security_center: [{ antivirus: "Good", firewall: "Good", autoupdate: "Good" }],
  win_security_products: [{ type: "Antivirus", name: "Microsoft Defender Antivirus", state: "On", signatures_up_to_date: "1" }],
  win_bitlocker: [{ drive_letter: "C:", protection_status: "1", encryption_method: "XTS_AES_256" }],
  win_update_history: [{ date: unix(NOW - 5 * DAY), result_code: "Succeeded" }],
  win_admins: [
    { username: "Administrator", uuid: "S-1-5-21-1-2-3-500" },
    { username: "itadmin", uuid: "S-1-5-21-1-2-3-1001" },
  ],
  win_inactivity_timeout: [{ data: "900" }],
};
const MAC_GOOD: Partial<Record<QueryName, Row[]>> = {
  os_version: [{ name: "macOS", version: "15.5", major: "15", minor: "5", platform: "darwin" }],
  mac_xprotect: [
    { engine: "xprotect", version: "5301", updated: unix(NOW - DAY) },
    { engine: "mrt", version: "1.93", updated: unix(NOW - 400 * DAY) },
  ],
  mac_gatekeeper: [{ assessments_enabled: "1" }],
  mac_filevault: [{ encrypted: "1", type: "APFS Encryption", path: "/" }],
  mac_software_update: [{ software_update_required: "0" }],
  mac_firewall: [{ global_state: "1" }],
  mac_admins: [{ username: "itadmin", uid: "501" }],
  mac_screenlock: [{ enabled: "1", grace_period: "5" }],
};
const LINUX_GOOD: Partial<Record<QueryName, Row[]>> = {
  os_version: [{ name: "Ubuntu", version: "24.04.1 LTS (Noble Numbat)", major: "24", minor: "4", platform: "ubuntu" }],
  linux_clamav_signatures: [
    { path: "/var/lib/clamav/daily.cld", mtime: unix(NOW - 3_600_000) },
    { path: "/var/lib/clamav/main.cvd", mtime: unix(NOW - 90 * DAY) },
  ],
  linux_clamav_processes: [{ name: "freshclam" }],
  linux_luks_root: [{ encrypted: "1", type: "luks2", path: "/" }],
  linux_admins: [],
  linux_firewall: [{ chain: "INPUT", policy: "DROP", target: "ACCEPT" }],
};

type Expect = Partial<Record<HostRule, [string, RegExp | string]>>;
const CASES: { name: string; s: HostSnapshot; expect: Expect; at?: number }[] = [
  {
    name: "Windows, everything in order",
    s: snap("windows", WIN_GOOD),
    expect: {
      "hosts.checkin": ["pass", "checking in"],
      "hosts.antivirus": ["pass", "anti-virus on and up to date (Microsoft Defender Antivirus)"],
      "hosts.updates": ["pass", "last Windows update 2026-11-26"],
      "hosts.os_eol": ["pass", "supported until 2027-10-12"],
      "hosts.disk_encryption": ["pass", "BitLocker on C: (XTS_AES_256)"],
      "hosts.admins": ["pass", "administrators: itadmin (all expected)"],
      "hosts.firewall": ["pass", "Windows Firewall on"],
      "hosts.screen_lock": ["pass", "the screen locks after 15 min idle"],
    },
  },
  {
    name: "Windows, neglected",
    s: snap("windows", {
      ...WIN_GOOD,
      os_version: [{ name: "Microsoft Windows 10 Pro", version: "10.0.19045", build: "19045", platform: "windows" }],
      win_security_center: [{ antivirus: "Snoozed", firewall: "Poor", autoupdate: "Poor" }],
      win_bitlocker: [],
      win_update_history: [{ date: unix(NOW - 80 * DAY), result_code: "Succeeded" }],
      win_admins: [...WIN_GOOD.win_admins!, { username: "reception", uuid: "S-1-5-21-1-2-3-1003" }, { username: "billing", uuid: "S-1-5-21-1-2-3-1004" }],
      win_inactivity_timeout: [],
    }),
    expect: {
      "hosts.antivirus": ["fail", 'Windows Security Center reports anti-virus "Snoozed"'],
      "hosts.updates": ["fail", "last Windows update installed 80 days ago (limit 35 d)"],
      "hosts.os_eol": ["fail", "Microsoft Windows 10 Pro 10.0.19045 has been out of security support since 2025-10-14"],
      "hosts.disk_encryption": ["fail", "BitLocker reports no system drive (off, or not available in this edition)"],
      "hosts.admins": ["warn", "local administrators beyond IT's accounts: billing, reception"],
      "hosts.firewall": ["fail", 'Windows Security Center reports the firewall "Poor"'],
      "hosts.screen_lock": ["warn", "no machine inactivity limit set (screen lock left to each user)"],
    },
  },
  {
    name: "Windows, stale signatures, auto-update off, long lock, Home/Pro 24H2 past its end",
    s: snap("windows", {
      ...WIN_GOOD,
      os_version: [{ name: "Microsoft Windows 11 Home", version: "10.0.26100", build: "26100", platform: "windows" }],
      win_security_center: [{ antivirus: "Good", firewall: "Good", autoupdate: "Not Monitored" }],
      win_security_products: [{ type: "Antivirus", name: "Contoso AV", state: "On", signatures_up_to_date: "0" }],
      win_inactivity_timeout: [{ data: "3600" }],
    }),
    expect: {
      "hosts.antivirus": ["fail", "signatures out of date: Contoso AV"],
      "hosts.updates": ["warn", 'automatic updates "Not Monitored"; last update 2026-11-26'],
      "hosts.os_eol": ["fail", "since 2026-10-13"],
      "hosts.screen_lock": ["warn", "the screen locks after 60 min idle (limit 15 min)"],
    },
  },
  {
    name: "Windows, no anti-virus product on",
    s: snap("windows", { ...WIN_GOOD, win_security_products: [{ type: "Antivirus", name: "Old AV", state: "Off", signatures_up_to_date: "0" }] }),
    expect: { "hosts.antivirus": ["fail", "no anti-virus product is on"] },
  },
  {
    name: "macOS, everything in order",
    s: snap("darwin", MAC_GOOD),
    expect: {
      "hosts.antivirus": ["pass", "XProtect 5301, updated 2026-11-30"],
      "hosts.updates": ["pass", "no macOS software update waiting"],
      "hosts.os_eol": ["pass", "macOS 15.5, supported until 2027-09-13"],
      "hosts.disk_encryption": ["pass", "FileVault: system disk encrypted (APFS Encryption)"],
      "hosts.admins": ["pass", "administrators: itadmin (all expected)"],
      "hosts.firewall": ["pass", "macOS application firewall on"],
      "hosts.screen_lock": ["pass", "password required after sleep or screen saver"],
    },
  },
  {
    name: "macOS, neglected",
    s: snap("darwin", {
      ...MAC_GOOD,
      os_version: [{ name: "macOS", version: "13.6.9", major: "13", platform: "darwin" }],
      mac_xprotect: [{ engine: "xprotect", version: "2192", updated: unix(NOW - 20 * DAY) }],
      mac_filevault: [{ encrypted: "0", type: "", path: "/" }],
      mac_software_update: [{ software_update_required: "1" }],
      mac_firewall: [{ global_state: "0" }],
      mac_admins: [{ username: "frontdesk", uid: "502" }],
      mac_screenlock: [],
    }),
    expect: {
      "hosts.antivirus": ["fail", "XProtect 2192 is 20 days old (limit 3 d)"],
      "hosts.updates": ["warn", "a macOS software update is waiting to be installed"],
      "hosts.os_eol": ["fail", "macOS 13.6.9 has been out of security support since 2025-09-15"],
      "hosts.disk_encryption": ["fail", "FileVault: the system disk is not encrypted"],
      "hosts.admins": ["warn", "frontdesk"],
      "hosts.firewall": ["fail", "macOS application firewall is off"],
      "hosts.screen_lock": ["unknown", "nobody logged in when osquery looked"],
    },
  },
  {
    name: "a release the table does not know",
    s: snap("darwin", { ...MAC_GOOD, os_version: [{ name: "macOS", version: "27.0", major: "27", platform: "darwin" }] }),
    expect: { "hosts.os_eol": ["unknown", "macOS 27.0: end of support not in Gatehouse's table"] },
  },
  {
    name: "a release leaving support within 60 days",
    at: Date.UTC(2026, 9, 1),
    s: snap("windows", { ...WIN_GOOD, os_version: [{ name: "Microsoft Windows 11 Enterprise", version: "10.0.22631", build: "22631", platform: "windows" }] }, Date.UTC(2026, 9, 1)),
    expect: { "hosts.os_eol": ["warn", "leaves security support on 2026-11-10"] },
  },
  {
    name: "macOS, Gatekeeper off",
    s: snap("darwin", { ...MAC_GOOD, mac_gatekeeper: [{ assessments_enabled: "0" }] }),
    expect: { "hosts.antivirus": ["fail", "Gatekeeper is off"] },
  },
  {
    name: "macOS without XProtect",
    s: snap("darwin", { ...MAC_GOOD, mac_xprotect: [] }),
    expect: { "hosts.antivirus": ["fail", "XProtect not found"] },
  },
  {
    name: "Linux, everything osquery can see in order",
    s: snap("linux", LINUX_GOOD),
    expect: {
      "hosts.antivirus": ["pass", "ClamAV signatures updated 2026-12-01"],
      "hosts.updates": ["unknown", "osquery cannot see pending Linux updates"],
      "hosts.os_eol": ["pass", "Ubuntu 24.04.1 LTS (Noble Numbat), supported until 2029-04-30"],
      "hosts.disk_encryption": ["pass", "LUKS: system disk encrypted (luks2)"],
      "hosts.admins": ["pass", "no local administrator besides the built-in one"],
      "hosts.firewall": ["pass", "iptables INPUT drops or rejects traffic"],
      "hosts.screen_lock": ["unknown", "not visible to osquery on Linux"],
    },
  },
  {
    name: "Linux, no ClamAV, open firewall, plain disk, old Debian, sudo users",
    s: snap("linux", {
      os_version: [{ name: "Debian GNU/Linux", version: "10 (buster)", major: "10", minor: "0", platform: "debian" }],
      linux_clamav_signatures: [],
      linux_luks_root: [{ encrypted: "0", type: "", path: "/" }],
      linux_admins: [{ username: "alice", uid: "1000" }],
      linux_firewall: [{ chain: "INPUT", policy: "ACCEPT", target: "" }],
    }),
    expect: {
      "hosts.antivirus": ["fail", "ClamAV signatures not found (/var/lib/clamav)"],
      "hosts.os_eol": ["fail", "since 2024-06-30"],
      "hosts.disk_encryption": ["fail", "LUKS: the system disk is not encrypted"],
      "hosts.admins": ["warn", "alice"],
      "hosts.firewall": ["fail", "iptables INPUT accepts everything"],
    },
  },
  {
    name: "Linux, fresh signatures but no ClamAV process; nftables only",
    s: snap("linux", { ...LINUX_GOOD, linux_clamav_processes: [], linux_firewall: [] }),
    expect: {
      "hosts.antivirus": ["warn", "neither clamd nor freshclam is running"],
      "hosts.firewall": ["unknown", "nftables-only firewall is not visible"],
    },
  },
  {
    name: "just enrolled: nothing answered yet, platform unknown",
    s: snap(undefined, {}),
    expect: {
      "hosts.checkin": ["pass", "checking in"],
      "hosts.antivirus": ["unknown", "platform not known yet"],
      "hosts.os_eol": ["unknown", "no result for os_version yet"],
    },
  },
  {
    name: "a query that failed on the host (no such table on an old osquery)",
    s: snap("windows", { ...WIN_GOOD, win_update_history: 1, win_security_center: 1 }),
    expect: {
      "hosts.updates": ["unknown", "win_update_history failed on the computer (osquery status 1)"],
      "hosts.antivirus": ["unknown", "win_security_center failed on the computer (osquery status 1)"],
      "hosts.firewall": ["unknown", "win_security_center failed"],
    },
  },
  {
    name: "silent longer than offline_after",
    s: snap("windows", WIN_GOOD, NOW - 3 * DAY),
    expect: { "hosts.checkin": ["fail", "has not checked in since 2026-11-28 10:00 UTC (limit 2 d)"], "hosts.antivirus": ["pass", "anti-virus on"] },
  },
  {
    name: "garbage values never throw: unparsable times and numbers",
    s: snap("darwin", { ...MAC_GOOD, mac_xprotect: [{ engine: "xprotect", version: "x", updated: "yesterday" }], mac_screenlock: [{ enabled: "1", grace_period: "soon" }] }),
    expect: { "hosts.antivirus": ["unknown", "XProtect's update time is unreadable"], "hosts.screen_lock": ["pass", "password required"] },
  },
];

describe("judgeHost", () => {
  it.each(CASES)("$name", ({ s, expect: want, at }) => {
    const findings = judgeHost(s, POLICY, at ?? NOW);
    expect(findings.map((f) => f.rule)).toEqual(HOST_CHECKS.map((c) => c.rule));
    for (const f of findings) {
      expect(f.kind).toBe("policy");
      expect(f.message.startsWith("PC-7: ")).toBe(true);
    }
    const got = Object.fromEntries(findings.map((f) => [f.rule, [f.status, f.message.slice("PC-7: ".length)]]));
    for (const [rule, [status, message]] of Object.entries(want)) {
      expect([rule, got[rule]![0]]).toEqual([rule, status]);
      if (typeof message === "string") expect(got[rule]![1]).toContain(message);
      else expect(got[rule]![1]).toMatch(message);
    }
  });
});

describe("hostEndOfLife", () => {
  it.each([
    [{ name: "Microsoft Windows 11 Pro", build: "22631", platform: "windows" }, "2025-11-11"],
    [{ name: "Microsoft Windows 11 Enterprise", build: "22631", platform: "windows" }, "2026-11-10"],
    [{ name: "Microsoft Windows 11 Education", build: "26200.7171", platform: "windows" }, "2028-10-10"],
    [{ name: "Microsoft Windows 11 Pro", build: "99999", platform: "windows" }, null],
    [{ name: "Microsoft Windows 10 Enterprise LTSC 2021", build: "19044", platform: "windows" }, null],
    [{ name: "Microsoft Windows Server 2022 Standard", build: "20348", platform: "windows" }, null],
    [{ name: "macOS", major: "14", platform: "darwin" }, "2026-09-14"],
    [{ name: "Ubuntu", major: "22", minor: "4", platform: "ubuntu" }, "2027-04-30"],
    [{ name: "Debian GNU/Linux", major: "12", platform: "debian" }, "2028-06-30"],
    [{ name: "Arch Linux", platform: "arch" }, null],
  ] as [Row, string | null][])("%o → %s", (row, eol) => {
    expect(hostEndOfLife(row).eol).toBe(eol);
  });
});
