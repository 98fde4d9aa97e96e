/**
 * Hosts as a findings source: judgements recorded with alerts and outbox in one transaction, the
 * check-in watch (an offline computer alerts like an offline door sensor, and only changes are
 * written), and the office rollup.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { AlertContext } from "../../src/agent/alerts/engine.js";
import type { HostsConfig } from "../../src/agent/hosts/config.js";
import { checkOffline, recordHost } from "../../src/agent/hosts/record.js";
import { rollup } from "../../src/agent/hosts/rollup.js";
import { hostSnapshot, saveResults } from "../../src/agent/hosts/results.js";
import { enrollHost, getHost, hostByNodeKey, hostFindings, listHosts } from "../../src/agent/store/hosts.js";
import { openDatabase, type Db } from "../../src/agent/store/db.js";
import { currentFindings } from "../../src/agent/store/findings.js";
import { latestObservation } from "../../src/agent/store/observations.js";
import { buildEvidenceReport } from "../../src/agent/compliance/report.js";
import { registryOf } from "../../src/agent/controls/index.js";

const T0 = Date.UTC(2026, 11, 1, 10, 0, 0);
const DAY = 86_400_000;
const POLICY: HostsConfig = {
  enrollSecretFile: "/nonexistent",
  offlineAfterMs: 2 * DAY,
  intervalSeconds: 3600,
  maxSignatureAgeMs: 3 * DAY,
  maxUpdateAgeMs: 35 * DAY,
  maxScreenLockMs: 900_000,
  allowedAdmins: [],
  maxHosts: 10,
};
const details = (id: string, hostname: string) => ({ hostIdentifier: id, hostname, platform: "linux", osName: "Ubuntu", osVersion: "24.04", osqueryVersion: "5.12.1", hardwareSerial: "", address: "192.0.2.9" });
const ctx = (now: number): AlertContext => ({ site: "T", routes: [{ channel: "email", minSeverity: "warning" }], now, policy: { groupWaitMs: 0, flapWindowMs: 0 } });
const outboxCount = (db: Db) => (db.prepare("SELECT count(*) AS n FROM outbox").get() as { n: number }).n;

/** The host as stored, with its contact time moved to `at` (as any request would). */
function touchedHost(db: Db, id: number, at: number) {
  db.prepare("UPDATE osquery_hosts SET last_seen_at = ? WHERE id = ?").run(at, id);
  return getHost(db, id)!;
}

function enrolLinux(db: Db, id: string, name: string, av: "fresh" | "missing", at = T0): number {
  const r = enrollHost(db, details(id, name), at, POLICY.maxHosts);
  if (!r.ok) throw new Error("enrol failed");
  const results = new Map([
    ["os_version", { rows: [{ name: "Ubuntu", version: "24.04.1 LTS", major: "24", minor: "4", platform: "ubuntu" }], status: 0 }],
    ["linux_clamav_signatures", { rows: av === "fresh" ? [{ path: "/var/lib/clamav/daily.cld", mtime: String((at - 3_600_000) / 1000) }] : [], status: 0 }],
    ["linux_clamav_processes", { rows: [{ name: "clamd" }], status: 0 }],
  ]);
  saveResults(db, r.hostId, results, "distributed", at);
  recordHost(db, ctx(at), POLICY, hostSnapshot(db, getHost(db, r.hostId)!));
  return r.hostId;
}

describe("hosts as a findings source", () => {
  let db: Db;
  beforeEach(() => {
    db = openDatabase(":memory:");
  });

  it("records an observation, finding state, alert and outbox row under host:<id>", () => {
    const id = enrolLinux(db, "uuid-a", "RECEPTION-2", "missing");
    const obs = latestObservation(db, `host:${id}`)!;
    expect(obs.status).toBe("fail");
    expect(obs.evidence).toContain("antivirus: fail — RECEPTION-2: ClamAV signatures not found (/var/lib/clamav)");
    expect(obs.facts["host.queries"]).toEqual(["os_version", "linux_clamav_signatures", "linux_clamav_processes"]);
    expect(currentFindings(db, `host:${id}`).find((f) => f.rule === "hosts.antivirus")?.status).toBe("fail");
    const alerts = db.prepare("SELECT source, rule, severity, message FROM alerts").all();
    expect(alerts).toEqual([{ source: "host:1", rule: "hosts.antivirus", severity: "critical", message: "RECEPTION-2: ClamAV signatures not found (/var/lib/clamav)" }]);
    expect(outboxCount(db)).toBe(1);
  });

  it("puts a computer's findings under the checklist's controls in the evidence report", () => {
    enrolLinux(db, "uuid-a", "RECEPTION-2", "missing");
    expect(registryOf(new Map()).controlOfFinding("host:1", "hosts.antivirus")).toBe("antivirus");
    expect(registryOf(new Map()).controlOfFinding("host:1", "hosts.disk_encryption")).toBe("inventory");
    expect(registryOf(new Map()).controlOfFinding("host:1", "hosts.checkin")).toBeUndefined();
    const report = buildEvidenceReport(db, { site: "T", timezone: "UTC", from: "2026-12-01", to: "2026-12-01", now: T0 + 3_600_000, actor: "test" });
    const av = report.controls.find((c) => c.id === "antivirus")!;
    expect(av.end_state).toBe("red");
    expect(JSON.stringify(av.evidence)).toContain("RECEPTION-2: ClamAV signatures not found");
    expect(report.alerts.find((a) => a.source === "host:1")?.control).toBe("antivirus");
  });

  it("alerts once when a computer stops checking in, writes nothing while nothing changes, and recovers when it is back", () => {
    const id = enrolLinux(db, "uuid-b", "BILLING-1", "fresh");
    expect(db.prepare("SELECT count(*) AS n FROM alerts").get()).toEqual({ n: 0 });
    const observations = () => (db.prepare("SELECT count(*) AS n FROM observations").get() as { n: number }).n;
    const before = observations();

    expect(checkOffline(db, ctx(T0 + DAY), POLICY)).toEqual([]); // quiet for a day: within the limit
    const went = checkOffline(db, ctx(T0 + 2 * DAY + 60_000), POLICY);
    expect(went.map((r) => [r.source, r.findings.find((f) => f.rule === "hosts.checkin")?.status])).toEqual([[`host:${id}`, "fail"]]);
    expect(went[0]!.outboxIds).toHaveLength(1);
    const alert = db.prepare("SELECT rule, severity, state, message FROM alerts").get();
    expect(alert).toEqual({ rule: "hosts.checkin", severity: "critical", state: "firing", message: "BILLING-1: has not checked in since 2026-12-01 10:00 UTC (limit 2 d)" });
    expect(observations()).toBe(before + 1);

    // Every minute after that: nothing new written.
    for (let m = 2; m < 10; m++) expect(checkOffline(db, ctx(T0 + 2 * DAY + m * 60_000), POLICY)).toEqual([]);
    expect(observations()).toBe(before + 1);
    expect(outboxCount(db)).toBe(1);

    // It checks in (any request with its node key touches last_seen), the watch re-judges and resolves.
    db.prepare("UPDATE osquery_hosts SET last_seen_at = ? WHERE id = ?").run(T0 + 3 * DAY, id);
    const back = checkOffline(db, ctx(T0 + 3 * DAY + 60_000), POLICY);
    expect(back[0]!.findings.find((f) => f.rule === "hosts.checkin")?.status).toBe("pass");
    expect(db.prepare("SELECT rule, state FROM alerts ORDER BY id").all()).toEqual([
      { rule: "hosts.checkin", state: "resolved" },
      // Three days on, the signatures it reported before going quiet are too old: judged on what it last said.
      { rule: "hosts.antivirus", state: "firing" },
    ]);
  });

  it("rolls the checks up across the office", () => {
    enrolLinux(db, "uuid-1", "PC-1", "fresh");
    enrolLinux(db, "uuid-2", "PC-2", "missing");
    enrolLinux(db, "uuid-3", "PC-3", "fresh");
    enrollHost(db, details("uuid-4", "PC-4"), T0, POLICY.maxHosts); // enrolled, never judged
    const { lines, checks } = rollup(listHosts(db), hostFindings(db));
    expect(checks.find((c) => c.rule === "hosts.antivirus")).toMatchObject({ summary: "Anti-virus: 2 of 4 computers green", pass: 2, fail: 1, unknown: 1 });
    expect(checks.find((c) => c.rule === "hosts.checkin")?.summary).toBe("Checking in: 3 of 4 computers green");
    expect(lines.map((l) => [l.host.hostname, l.status])).toEqual([
      ["PC-1", "unknown"], // anti-virus green, the checks without results yet unknown
      ["PC-2", "fail"],
      ["PC-3", "unknown"],
      ["PC-4", "unknown"],
    ]);
  });

  it("keeps osquery's platform string and catalog queries only; the hosts folder reads them", () => {
    const ubuntu = enrollHost(db, { ...details("uuid-u", "PC-U"), platform: "ubuntu" }, T0, POLICY.maxHosts);
    const bsd = enrollHost(db, { ...details("uuid-b", "PC-B"), platform: "freebsd" }, T0, POLICY.maxHosts);
    if (!ubuntu.ok || !bsd.ok) throw new Error("enrol failed");
    const kept = saveResults(db, ubuntu.hostId, new Map([
      ["os_version", { rows: [{ name: "Ubuntu", platform: "ubuntu" }], status: 0 }],
      ["not_a_catalog_query", { rows: [{ x: "1" }], status: 0 }],
    ]), "logger", T0 + 5);
    expect(kept).toBe(1);
    const stored = getHost(db, ubuntu.hostId)!;
    expect([stored.platform, stored.lastResultsAt]).toEqual(["ubuntu", T0 + 5]);
    const snap = hostSnapshot(db, stored);
    expect(snap.platform).toBe("linux");
    expect(Object.keys(snap.results)).toEqual(["os_version"]);
    expect(snap.results.os_version).toEqual({ rows: [{ name: "Ubuntu", platform: "ubuntu" }], status: 0, at: T0 + 5 });
    expect(hostSnapshot(db, getHost(db, bsd.hostId)!).platform).toBeUndefined();
    expect(rollup(listHosts(db), []).lines.map((l) => [l.host.hostname, l.host.platform])).toEqual([
      ["PC-B", undefined],
      ["PC-U", "linux"],
    ]);
  });

  it("writes an unchanged judgement at most once an hour, a changed one at once", () => {
    const id = enrolLinux(db, "uuid-h", "PC-H", "fresh");
    const observations = () => (db.prepare("SELECT count(*) AS n FROM observations").get() as { n: number }).n;
    const again = (at: number) => recordHost(db, ctx(at), POLICY, hostSnapshot(db, touchedHost(db, id, at)));
    expect(observations()).toBe(1);
    again(T0 + 5 * 60_000);
    again(T0 + 30 * 60_000);
    expect(observations()).toBe(1);
    again(T0 + 61 * 60_000);
    expect(observations()).toBe(2);
    // Signatures turn stale (a changed message and status): written at once.
    again(T0 + 3 * DAY + 62 * 60_000);
    expect(observations()).toBe(3);
    expect(currentFindings(db, `host:${id}`).find((f) => f.rule === "hosts.antivirus")?.status).toBe("fail");
  });

  it("looks up hosts only by the digest of their node key", () => {
    const r = enrollHost(db, details("uuid-k", "K"), T0, 10);
    if (!r.ok) throw new Error("enrol failed");
    expect(hostByNodeKey(db, r.nodeKey, T0 + 5, "192.0.2.1")?.lastSeenAt).toBe(T0 + 5);
    expect(hostByNodeKey(db, r.nodeKey.slice(0, -1), T0, "x")).toBeUndefined();
    expect(hostByNodeKey(db, "", T0, "x")).toBeUndefined();
  });
});
