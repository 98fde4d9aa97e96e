import { describe, expect, it } from "vitest";
import { buildDigest, enqueueDigestIfDue, localDayTime } from "../../../src/agent/jobs/digest.js";
import type { Notification } from "../../../src/agent/alerts/notification.js";
import { appendAudit } from "../../../src/agent/audit.js";
import { renderSubject, renderText } from "../../../src/agent/notify/render.js";
import type { Db } from "../../../src/agent/store/db.js";
import { insertObservation } from "../../../src/agent/store/observations.js";
import { memDb, outbox } from "../alerts/helpers.js";

const MONITORS = [
  { id: "firewall", control: "firewall" },
  { id: "patches", control: "updates" },
  { id: "accounts", control: "accounts" },
];

/** A monitor's observation and its findings, as the runner records them. */
function observe(db: Db, monitor: string, at: number, findings: { rule: string; status: "pass" | "warn" | "fail"; message: string }[]) {
  insertObservation(db, { monitor, startedAt: at, durationMs: 5, status: findings.some((f) => f.status === "fail") ? "fail" : "pass", outcome: "ok", evidence: "", facts: {}, findings: findings.map((f) => ({ ...f, kind: "policy" as const, facts: [] })) });
  for (const f of findings) {
    db.prepare("INSERT OR REPLACE INTO finding_state (key, monitor, rule, subject, kind, status, message, since, last_seen) VALUES (?, ?, ?, '', 'policy', ?, ?, ?, ?)").run(`${monitor}|${f.rule}|`, monitor, f.rule, f.status, f.message, at, at);
  }
}

// 07:30 in Phoenix (UTC-7, no DST) is 14:30 UTC.
const AT_0730_PHX = Date.UTC(2026, 10, 28, 14, 30);
const opts = { now: AT_0730_PHX, timezone: "America/Phoenix", monitors: MONITORS };
const digestOf = (db: Db): Notification => ({ event: "digest", site: "Acme Phoenix", host: "edge-01", at: AT_0730_PHX, items: [], digest: buildDigest(db, opts) });

describe("daily digest", () => {
  it("a new install says 'no data yet', not OK, and names what nothing watches", () => {
    const db = memDb();
    const n = digestOf(db);
    const by = (c: string) => n.digest!.find((e) => e.control === c)!;
    expect(by("firewall")).toMatchObject({ status: "no data", detail: expect.stringMatching(/^no data yet: /) as unknown as string });
    expect(by("wifi")).toMatchObject({ status: "unwatched" }); // no wifi monitor on this box
    expect(renderSubject(n)).toBe("[Gatehouse][DIGEST NO DATA] Acme Phoenix (edge-01): 13 controls have no data yet");
  });

  it("least-privilege, passwords, two-factor and audit are watched by the accounts monitor, TOTP and the audit chain", () => {
    const db = memDb();
    observe(db, "accounts", AT_0730_PHX, [
      { rule: "accounts.generic", status: "pass", message: "no shared logins" },
      { rule: "accounts.sudo_unexpected", status: "pass", message: "only alice may sudo" },
      { rule: "accounts.password_age", status: "pass", message: "passwords within 180 days" },
    ]);
    db.prepare("INSERT INTO users (username, role, password_hash, password_changed_at, totp_secret_sealed, created_at, created_by) VALUES ('mia', 'admin', 'x', 0, 'sealed', 0, 'test')").run();
    appendAudit(db, { actor: "os:alice", action: "test", at: AT_0730_PHX });
    const d = digestOf(db).digest!;
    for (const c of ["accounts", "least-privilege", "passwords", "two-factor", "audit"]) expect(d.find((e) => e.control === c), c).toMatchObject({ status: "pass" });
  });

  it("says OK only when nothing fails: open alerts and failing controls make it WARNING or CRITICAL", () => {
    const db = memDb();
    observe(db, "firewall", AT_0730_PHX, [{ rule: "firewall.enabled", status: "pass", message: "on" }]);
    observe(db, "patches", AT_0730_PHX, [{ rule: "patches.pending", status: "warn", message: "3 security updates pending" }]);
    db.prepare("INSERT INTO alerts (key, source, rule, severity, state, message, opened_at) VALUES ('compliance|compliance.baa_expired|Saguaro', 'compliance', 'compliance.baa_expired', 'critical', 'firing', 'BAA with Saguaro expired', 0)").run();
    const n = digestOf(db);
    expect(n.digest!.find((e) => e.control === "updates")).toMatchObject({ status: "warn", detail: "3 security updates pending" });
    expect(n.digest!.find((e) => e.control === "baa")).toMatchObject({ open: 1 });
    expect(renderSubject(n)).toMatch(/^\[Gatehouse\]\[DIGEST WARNING\] Acme Phoenix \(edge-01\): 1 control need attention \(updates\); 1 open alert; /);
    db.prepare("INSERT INTO finding_state (key, monitor, rule, subject, kind, status, message, since, last_seen) VALUES ('firewall|firewall.disabled|', 'firewall', 'firewall.disabled', '', 'policy', 'fail', 'firewall disabled', ?, ?)").run(AT_0730_PHX, AT_0730_PHX);
    const n2 = digestOf(db);
    expect(renderSubject(n2)).toMatch(/^\[Gatehouse\]\[DIGEST CRITICAL\] /);
    expect(renderText(n2)).toContain("FAIL      firewall          firewall disabled");
  });

  it("is queued once per local day at or after the configured time, and after a missed slot", () => {
    const db = memDb();
    const o = { channel: "digest", at: "07:30", timezone: "America/Phoenix", site: "S", monitors: MONITORS };
    expect(localDayTime(AT_0730_PHX, "America/Phoenix")).toEqual({ day: "2026-11-28", time: "07:30" });
    expect(enqueueDigestIfDue(db, { ...o, now: AT_0730_PHX - 60_000 })).toBeUndefined();
    expect(enqueueDigestIfDue(db, { ...o, now: AT_0730_PHX })).toBeTypeOf("number");
    expect(enqueueDigestIfDue(db, { ...o, now: AT_0730_PHX + 60_000 })).toBeUndefined();
    expect(enqueueDigestIfDue(db, { ...o, now: AT_0730_PHX + 10 * 3_600_000 })).toBeUndefined(); // 17:30 same day
    // Next day the daemon was down at 07:30 and comes back at 09:00: sent then.
    expect(enqueueDigestIfDue(db, { ...o, now: AT_0730_PHX + 86_400_000 + 90 * 60_000 })).toBeTypeOf("number");
    const rows = outbox(db);
    expect(rows.map((r) => [r.event, r.channel, r.group_key])).toEqual([
      ["digest", "digest", null],
      ["digest", "digest", null],
    ]);
    expect(rows[0]!.message_id).toMatch(/^<digest-2026-11-28-[0-9a-f-]+@gatehouse>$/);
  });
});
