import { describe, expect, it } from "vitest";
import { applyFindings, enqueueReminders, settleAlerts } from "../../../src/agent/alerts/engine.js";
import { ackAlert, AlertActionError, listAlerts } from "../../../src/agent/alerts/manage.js";
import type { Notification } from "../../../src/agent/alerts/notification.js";
import { addSilence, endSilence, SilenceError } from "../../../src/agent/alerts/silences.js";
import { sealGroups } from "../../../src/agent/notify/worker.js";
import { verifyAudit } from "../../../src/agent/audit.js";
import type { Db } from "../../../src/agent/store/db.js";
import { alerts, ctx, finding, memDb, MIN, outbox, T0 } from "./helpers.js";

function apply(db: Db, now: number, source: string, fs: ReturnType<typeof finding>[], complete = true, c = ctx(now)) {
  return db.transaction(() => applyFindings(db, { ...c, now }, source, fs, complete))();
}
const payload = (r: { payload_json: string }) => JSON.parse(r.payload_json) as Notification;

describe("alert engine: lifecycle", () => {
  it("opens once, queues one notice (a critical one due at once), never twice for the same key", () => {
    const db = memDb();
    apply(db, T0, "firewall", [finding("firewall.disabled", "fail")]);
    apply(db, T0 + 5 * MIN, "firewall", [finding("firewall.disabled", "fail")]);
    expect(alerts(db)).toHaveLength(1);
    const rows = outbox(db);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ event: "firing", channel: "email", next_attempt_at: T0, group_key: "email|firing" });
    expect(payload(rows[0]!).items[0]).toMatchObject({ severity: "critical", source: "firewall", control: "firewall", since: T0 });
    // The unique index backs the rule even if code tried.
    expect(() => db.prepare("INSERT INTO alerts (key, source, rule, severity, state, message, opened_at) VALUES (?, 'firewall', 'r', 'critical', 'firing', 'm', 0)").run(alerts(db)[0]!.key)).toThrow(/UNIQUE/);
  });

  it("damps flapping into one alert with a count and resolves only after the window stays good", () => {
    const db = memDb();
    const f = (s: "fail" | "pass") => [finding("firewall.disabled", s)];
    let t = T0;
    apply(db, t, "firewall", f("fail"));
    for (let i = 0; i < 5; i++) {
      apply(db, (t += MIN), "firewall", f("pass"));
      apply(db, (t += MIN), "firewall", f("fail"));
    }
    expect(alerts(db)).toMatchObject([{ state: "firing", flap_count: 5, good_since: null }]);
    expect(outbox(db)).toHaveLength(1); // only the first firing notice
    apply(db, (t += MIN), "firewall", f("pass"));
    const goodAt = t;
    apply(db, (t += 9 * MIN), "firewall", f("pass"));
    expect(alerts(db)[0]).toMatchObject({ state: "firing", good_since: goodAt });
    apply(db, goodAt + 10 * MIN, "firewall", f("pass"));
    expect(alerts(db)[0]!.state).toBe("resolved");
    const rows = outbox(db);
    expect(rows.map((r) => r.event)).toEqual(["firing", "resolved"]);
    expect(payload(rows[1]!).items[0]).toMatchObject({ flaps: 5, message: "resolved: firewall.disabled is pass" });
    // A new failure after resolution is a new alert.
    apply(db, goodAt + 11 * MIN, "firewall", f("fail"));
    expect(alerts(db).map((a) => a.state)).toEqual(["resolved", "firing"]);
  });

  it("settleAlerts resolves a pending alert without waiting for the next run", () => {
    const db = memDb();
    apply(db, T0, "backups", [finding("backups.stale", "fail")]);
    apply(db, T0 + MIN, "backups", []);
    expect(db.transaction(() => settleAlerts(db, ctx(T0 + 10 * MIN)))()).toHaveLength(0);
    expect(db.transaction(() => settleAlerts(db, ctx(T0 + 11 * MIN)))()).toHaveLength(1);
    expect(alerts(db)[0]!.state).toBe("resolved");
  });

  it("keeps policy alerts when the probe failed (not knowing is not recovering)", () => {
    const db = memDb();
    apply(db, T0, "firewall", [finding("firewall.disabled", "fail")]);
    apply(db, T0 + MIN, "firewall", [finding("firewall.probe_error", "unknown", "nft failed", { kind: "probe" })], false);
    apply(db, T0 + 20 * MIN, "firewall", [finding("firewall.probe_error", "unknown", "nft failed", { kind: "probe" })], false);
    expect(alerts(db).map((a) => [a.key, a.state, a.good_since])).toEqual([
      ["firewall|firewall.disabled|", "firing", null],
      ["firewall|firewall.probe_error|", "firing", null],
    ]);
  });

  it("reminds every renotify_after while firing and unacknowledged, never after ack", () => {
    const db = memDb();
    const R = 4 * 60 * MIN;
    apply(db, T0, "firewall", [finding("firewall.disabled", "fail")]);
    let reminders = 0;
    for (let t = T0; t <= T0 + 13 * 60 * MIN; t += MIN) reminders += db.transaction(() => enqueueReminders(db, ctx(t), R))();
    expect(reminders).toBe(3); // at 4h, 8h, 12h
    expect(outbox(db).map((r) => r.event)).toEqual(["firing", "reminder", "reminder", "reminder"]);
    const [a] = listAlerts(db);
    ackAlert(db, a!.id, { actor: "os:alice", note: "replacing the switch", now: T0 + 13 * 60 * MIN });
    for (let t = T0 + 13 * 60 * MIN; t <= T0 + 30 * 60 * MIN; t += 10 * MIN) reminders += db.transaction(() => enqueueReminders(db, ctx(t), R))();
    expect(reminders).toBe(3);
    // Recovery is still announced once.
    apply(db, T0 + 31 * 60 * MIN, "firewall", []);
    apply(db, T0 + 41 * 60 * MIN, "firewall", []);
    apply(db, T0 + 51 * 60 * MIN, "firewall", []);
    expect(outbox(db).filter((r) => r.event === "resolved")).toHaveLength(1);
  });
});

describe("acknowledgement", () => {
  it("records who, when and the note, audited in the hash chain", () => {
    const db = memDb();
    apply(db, T0, "firewall", [finding("firewall.disabled", "fail")]);
    const v = ackAlert(db, 1, { actor: "console:bob", note: "  on it  ", now: T0 + MIN, address: "10.0.0.5" });
    expect(v).toMatchObject({ state: "acknowledged", ack: { by: "console:bob", at: T0 + MIN, note: "on it" } });
    const audit = db.prepare("SELECT actor, action, target, detail_json, address FROM audit").all();
    expect(audit).toEqual([{ actor: "console:bob", action: "alerts.ack", target: "alert:1", detail_json: JSON.stringify({ key: "firewall|firewall.disabled|", note: "on it" }), address: "10.0.0.5" }]);
    expect(verifyAudit(db).ok).toBe(true);
  });

  it.each([
    [1, "", /needs a note/],
    [1, "x".repeat(1001), /longer than/],
    [99, "note", /no alert 99/],
  ])("refuses garbage: alert %s note %j", (id, note, re) => {
    const db = memDb();
    apply(db, T0, "firewall", [finding("firewall.disabled", "fail")]);
    expect(() => ackAlert(db, id, { actor: "a", note, now: T0 })).toThrow(re);
    expect(db.prepare("SELECT count(*) AS n FROM audit").get()).toEqual({ n: 0 });
  });

  it("refuses to acknowledge twice or a resolved alert", () => {
    const db = memDb();
    apply(db, T0, "firewall", [finding("firewall.disabled", "fail")]);
    ackAlert(db, 1, { actor: "a", note: "n", now: T0 });
    expect(() => ackAlert(db, 1, { actor: "a", note: "n", now: T0 })).toThrow(AlertActionError);
  });
});

describe("silences", () => {
  it("records a silenced alert without sending, then announces it once the silence expires", () => {
    const db = memDb();
    const s = addSilence(db, { match: "firewall.*", forMs: 2 * 60 * MIN, reason: "switch maintenance", actor: "os:alice", now: T0 });
    apply(db, T0 + MIN, "firewall", [finding("firewall.disabled", "fail")]);
    expect(alerts(db)).toMatchObject([{ state: "firing", silenced_by: s.id, last_notified_at: null }]);
    expect(outbox(db)).toHaveLength(0);
    expect(db.transaction(() => enqueueReminders(db, ctx(T0 + 60 * MIN), 4 * 60 * MIN))()).toBe(0);
    expect(db.transaction(() => enqueueReminders(db, ctx(T0 + 2 * 60 * MIN), 4 * 60 * MIN))()).toBe(1);
    expect(outbox(db).map((r) => r.event)).toEqual(["firing"]);
    expect(alerts(db)[0]).toMatchObject({ silenced_by: null, last_notified_at: T0 + 2 * 60 * MIN });
  });

  it("an alert that opened and recovered under a silence sends nothing at all", () => {
    const db = memDb();
    addSilence(db, { match: "doors", forMs: 60 * MIN, reason: "locksmith", actor: "a", now: T0 });
    apply(db, T0, "doors", [finding("doors.held_open", "fail", "Back door held open", { subject: "back-door" })]);
    apply(db, T0 + MIN, "doors", []);
    apply(db, T0 + 12 * MIN, "doors", []);
    expect(alerts(db)[0]!.state).toBe("resolved");
    expect(outbox(db)).toHaveLength(0);
  });

  it("matches source, rule or key globs, and lifting it early is audited", () => {
    const db = memDb();
    const s = addSilence(db, { match: "*.disabled", forMs: 60 * MIN, reason: "r", actor: "a", now: T0 });
    apply(db, T0, "firewall", [finding("firewall.disabled", "fail"), finding("firewall.ipv6_open", "fail")]);
    expect(outbox(db)).toHaveLength(1);
    expect(payload(outbox(db)[0]!).items.map((i) => i.rule)).toEqual(["firewall.ipv6_open"]);
    expect(endSilence(db, s.id, { actor: "b", now: T0 + MIN })).toMatchObject({ endedBy: "b" });
    expect(endSilence(db, s.id, { actor: "b", now: T0 + MIN })).toBeUndefined();
    expect(db.prepare("SELECT action FROM audit ORDER BY id").all()).toEqual([{ action: "alerts.silence.add" }, { action: "alerts.silence.end" }]);
  });

  it.each([
    ["", 60_000, "r", /1 to 200/],
    ["firewall; rm -rf /", 60_000, "r", /may only contain/],
    ["a".repeat(201), 60_000, "r", /1 to 200/],
    ["firewall", 0, "r", /positive/],
    ["firewall", Number.NaN, "r", /positive/],
    ["firewall", 31 * 86_400_000, "r", /30 days/],
    ["firewall", 60_000, "   ", /needs a reason/],
  ])("refuses garbage: match %j for %s reason %j", (match, forMs, reason, re) => {
    const db = memDb();
    expect(() => addSilence(db, { match, forMs, reason, actor: "a", now: T0 })).toThrow(SilenceError);
    expect(() => addSilence(db, { match, forMs, reason, actor: "a", now: T0 })).toThrow(re);
    expect(db.prepare("SELECT count(*) AS n FROM silences").get()).toEqual({ n: 0 });
  });
});

describe("routing", () => {
  const routes = [
    { channel: "it", minSeverity: "warning" as const, controls: ["firewall", "updates"] },
    { channel: "office", minSeverity: "critical" as const, controls: ["physical"] },
    { channel: "siem", minSeverity: "info" as const },
  ];
  it("sends each channel only its controls at or above its minimum severity", () => {
    const db = memDb();
    const c = ctx(T0, routes);
    apply(db, T0, "firewall", [finding("firewall.disabled", "fail")], true, c);
    apply(db, T0, "doors", [finding("doors.offline", "warn", "sensor offline", { subject: "lobby" }), finding("doors.held_open", "fail", "held open", { subject: "back" })], true, c);
    apply(db, T0, "patches", [finding("patches.pending", "warn")], true, c);
    apply(db, T0, "firewall", [finding("firewall.disabled", "fail"), finding("firewall.baseline_missing", "warn", "no baseline", { kind: "drift" })], true, c);
    const by = (ch: string) => outbox(db).filter((r) => r.channel === ch).flatMap((r) => payload(r).items.map((i) => i.rule));
    expect(by("it")).toEqual(["firewall.disabled", "patches.pending"]);
    expect(by("office")).toEqual(["doors.held_open"]);
    expect(by("siem")).toEqual(["firewall.disabled", "doors.offline", "doors.held_open", "patches.pending", "firewall.baseline_missing"]);
  });
});

describe("grouping", () => {
  it("merges warnings of different sources within group_wait into one per channel and event", () => {
    const db = memDb();
    const routes = [
      { channel: "email", minSeverity: "warning" as const },
      { channel: "hook", minSeverity: "warning" as const },
    ];
    apply(db, T0, "firewall", [finding("firewall.baseline_drift", "warn")], true, ctx(T0, routes));
    apply(db, T0 + 10_000, "patches", [finding("patches.pending", "warn")], true, ctx(T0, routes));
    apply(db, T0 + 25_000, "backups", [finding("backups.small", "warn")], true, ctx(T0, routes));
    expect(outbox(db)[0]).toMatchObject({ next_attempt_at: T0 + 30_000 }); // the default wait for warnings
    expect(sealGroups(db, T0 + 29_999)).toBe(0); // nothing due yet
    expect(sealGroups(db, T0 + 30_000)).toBe(4);
    const live = outbox(db).filter((r) => r.merged_into === null);
    expect(live.map((r) => [r.channel, r.group_key, r.alert_id])).toEqual([
      ["email", null, null],
      ["hook", null, null],
    ]);
    expect(payload(live[0]!).items.map((i) => i.source)).toEqual(["firewall", "patches", "backups"]);
    // A notice written after sealing starts a new group.
    apply(db, T0 + 31_000, "wifi", [finding("wifi.weak", "warn")], true, ctx(T0 + 31_000, routes));
    expect(sealGroups(db, T0 + 40_000)).toBe(0);
    expect(outbox(db).filter((r) => r.merged_into === null)).toHaveLength(4);
  });

  it("a critical notice is due at once and takes the warnings still waiting with it", () => {
    const db = memDb();
    apply(db, T0, "patches", [finding("patches.pending", "warn")]);
    apply(db, T0 + 5_000, "doors", [finding("doors.after_hours_open", "fail", "Server room opened after hours", { subject: "server-room" })]);
    expect(outbox(db).map((r) => r.next_attempt_at)).toEqual([T0 + 30_000, T0 + 5_000]);
    expect(sealGroups(db, T0 + 5_000)).toBe(1); // the earlier warning joins the alarm's message
    const live = outbox(db).filter((r) => r.merged_into === null);
    expect(live).toHaveLength(1);
    expect(payload(live[0]!).items.map((i) => [i.source, i.severity])).toEqual([
      ["doors", "critical"],
      ["patches", "warning"],
    ]);
  });

  it("group_wait may hold criticals too, but only when configured so", () => {
    const db = memDb();
    apply(db, T0, "firewall", [finding("firewall.disabled", "fail")], true, ctx(T0, undefined, { groupWaitMs: { critical: 10_000, warning: 30_000, info: 30_000 } }));
    expect(outbox(db)[0]).toMatchObject({ next_attempt_at: T0 + 10_000 });
  });

  it("keeps firing and resolved notices apart", () => {
    const db = memDb();
    const c = ctx(T0, undefined, { flapWindowMs: 0 });
    apply(db, T0, "firewall", [finding("firewall.disabled", "fail")], true, c);
    apply(db, T0 + 1000, "firewall", [], true, c);
    sealGroups(db, T0 + 60_000);
    expect(outbox(db).map((r) => r.event)).toEqual(["firing", "resolved"]);
  });
});
