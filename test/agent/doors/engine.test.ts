/**
 * The door engine on an in-memory store with an injected clock: every rule, the one-transaction
 * write of event + alert + outbox, on-site declarations, malformed input and retention.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { verifyAudit } from "../../../src/agent/audit.js";
import { REDELIVERY_WINDOW_MS } from "../../../src/agent/doors/engine.js";
import { RULES } from "../../../src/agent/doors/transitions.js";
import { currentFindings } from "../../../src/agent/store/findings.js";
import { cancelOnsite, declareOnsite, OnsiteError, parseUntil } from "../../../src/agent/doors/onsite.js";
import { getDoorState, pruneDoorEvents, recentDoorEvents } from "../../../src/agent/store/doors.js";
import { alerts, clock, engineFor, memoryDb, openAlerts, outbox, TZ } from "./helpers.js";

const MIN = 60_000;
const z2m = (o: object) => JSON.stringify({ linkquality: 120, battery: 91, battery_low: false, tamper: false, voltage: 3000, ...o });
const opened = { state: "open" as const };
const closed = { state: "closed" as const };

afterEach(() => vi.useRealTimers());

describe("door engine rules", () => {
  it("opened outside business hours → critical alert and outbox row written with the event; closing resolves it", () => {
    const db = memoryDb();
    const c = clock("2026-11-28T03:14:00Z"); // Fri 22:14 EST
    const kicks: number[][] = [];
    const e = engineFor(db, undefined, () => c.now, (ids) => kicks.push(ids));
    const r = e.handle({ sensorId: "server-room", source: "mqtt", payload: z2m({ contact: false }), signal: opened });
    expect(r?.outcome).toBe("alarm");
    expect(openAlerts(db)).toEqual([expect.objectContaining({ rule: RULES.afterHoursOpen, subject: "server-room", severity: "critical", state: "firing" })]);
    expect(openAlerts(db)[0]!.message).toMatch(/Server room opened outside business hours at Fri 2026-11-27 22:14/);
    expect(outbox(db)).toEqual([expect.objectContaining({ event: "firing", channel: "email", created_at: c.now })]);
    expect(kicks).toEqual([r!.outboxIds]);
    expect(recentDoorEvents(db)[0]).toMatchObject({ sensorId: "server-room", source: "mqtt", state: "open", outcome: "alarm", receivedAt: c.now });
    expect(recentDoorEvents(db)[0]!.payloadSha256).toMatch(/^[0-9a-f]{64}$/);

    c.advance(MIN);
    const r2 = e.handle({ sensorId: "server-room", source: "mqtt", payload: z2m({ contact: true }), signal: closed });
    expect(r2?.outcome).toBe("closed");
    expect(openAlerts(db)).toEqual([]);
    expect(outbox(db).map((o) => o.event)).toEqual(["firing", "resolved"]);
  });

  it("a failed transaction leaves neither the event nor the alert behind", () => {
    const db = memoryDb();
    const c = clock("2026-11-28T03:14:00Z");
    const e = engineFor(db, undefined, () => c.now);
    db.exec("CREATE TRIGGER boom BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'disk full'); END");
    expect(() => e.handle({ sensorId: "server-room", source: "mqtt", payload: "{}", signal: opened })).toThrow(/disk full/);
    expect(recentDoorEvents(db)).toEqual([]);
    expect(alerts(db)).toEqual([]);
    expect(getDoorState(db, "server-room")?.state).toBe("unknown");
    expect(currentFindings(db, "doors")).toEqual([]);
  });

  it("inside business hours: recorded, no alert; repeated state is no_change", () => {
    const db = memoryDb();
    const c = clock("2026-11-27T15:00:00Z"); // Fri 10:00 EST
    const e = engineFor(db, undefined, () => c.now);
    expect(e.handle({ sensorId: "server-room", source: "mqtt", payload: "a", signal: opened })?.outcome).toBe("business_hours");
    expect(e.handle({ sensorId: "server-room", source: "mqtt", payload: "b", signal: opened })?.outcome).toBe("no_change");
    expect(alerts(db)).toEqual([]);
    expect(recentDoorEvents(db)).toHaveLength(2);
  });

  it("a holiday is outside business hours all day", () => {
    const db = memoryDb();
    const c = clock("2026-12-25T15:00:00Z"); // Fri 10:00 EST, Christmas
    const e = engineFor(db, undefined, () => c.now);
    expect(e.handle({ sensorId: "server-room", source: "mqtt", payload: "a", signal: opened })?.outcome).toBe("alarm");
  });

  it("policy always: a restricted door alarms at noon on a weekday", () => {
    const db = memoryDb();
    const c = clock("2026-11-27T17:00:00Z");
    const e = engineFor(db, undefined, () => c.now);
    e.handle({ sensorId: "closet", source: "mqtt", payload: "open", signal: opened });
    expect(openAlerts(db)).toEqual([expect.objectContaining({ rule: RULES.restrictedOpen, subject: "closet", severity: "critical" })]);
    e.handle({ sensorId: "closet", source: "mqtt", payload: "close", signal: closed });
    expect(openAlerts(db)).toEqual([]);
  });

  it("held open: a critical alarm after held_open_after, one notice; closing resolves", () => {
    const db = memoryDb();
    const c = clock("2026-11-27T15:00:00Z"); // business hours: no after-hours alarm
    const e = engineFor(db, undefined, () => c.now);
    e.handle({ sensorId: "server-room", source: "mqtt", payload: "a", signal: opened });
    c.advance(2 * MIN - 1);
    expect(e.tick()).toEqual([]);
    c.advance(1);
    expect(e.tick()).toHaveLength(1);
    expect(openAlerts(db)).toEqual([expect.objectContaining({ rule: RULES.heldOpen, severity: "critical", message: "Server room held open longer than 2m" })]);
    c.advance(10 * MIN);
    expect(e.tick()).toEqual([]); // still open: nothing new (reminders come from renotify_after)
    e.handle({ sensorId: "server-room", source: "mqtt", payload: "b", signal: closed });
    expect(openAlerts(db)).toEqual([]);
    expect(outbox(db).map((o) => o.event)).toEqual(["firing", "resolved"]);
  });

  it("offline: nothing for offline_after → warning; any message resolves; availability offline → warning", () => {
    const db = memoryDb();
    const c = clock("2026-11-27T15:00:00Z");
    const e = engineFor(db, undefined, () => c.now);
    c.advance(2 * 3_600_000);
    e.tick();
    expect(openAlerts(db)).toEqual([expect.objectContaining({ rule: RULES.offline, subject: "server-room", severity: "warning", message: "Server room has sent nothing for 2h" })]);
    e.handle({ sensorId: "server-room", source: "mqtt", payload: z2m({ contact: true }), signal: { ...closed, battery: 91 } });
    expect(openAlerts(db)).toEqual([]);
    e.handle({ sensorId: "server-room", source: "mqtt", payload: "offline", signal: { online: false } });
    expect(openAlerts(db)).toEqual([expect.objectContaining({ rule: RULES.offline, message: "Server room reports itself offline" })]);
    expect(getDoorState(db, "server-room")?.online).toBe(false);
    e.handle({ sensorId: "server-room", source: "mqtt", payload: "online", signal: { online: true } });
    expect(openAlerts(db)).toEqual([]);
  });

  it("tamper → critical, battery low → warning (flag or < 20 %), both resolve when reported fine", () => {
    const db = memoryDb();
    const c = clock("2026-11-27T15:00:00Z");
    const e = engineFor(db, undefined, () => c.now);
    e.handle({ sensorId: "server-room", source: "mqtt", payload: "x", signal: { tamper: true, battery: 15 } });
    expect(openAlerts(db).map((a) => [a.rule, a.severity])).toEqual([
      [RULES.tamper, "critical"],
      [RULES.batteryLow, "warning"],
    ]);
    e.handle({ sensorId: "server-room", source: "mqtt", payload: "y", signal: { tamper: false, battery: 80, batteryLow: false } });
    expect(openAlerts(db)).toEqual([]);
    e.handle({ sensorId: "server-room", source: "mqtt", payload: "z", signal: { batteryLow: true } });
    expect(openAlerts(db).map((a) => a.rule)).toEqual([RULES.batteryLow]);
  });

  it("the first state ever learned (retained message) does not alarm; a change seen while running does", () => {
    const db = memoryDb();
    const c = clock("2026-11-28T03:00:00Z");
    const e = engineFor(db, undefined, () => c.now);
    expect(e.handle({ sensorId: "server-room", source: "mqtt", payload: "r", signal: opened, initial: true })?.outcome).toBe("initial");
    expect(openAlerts(db)).toEqual([]);
    e.handle({ sensorId: "server-room", source: "mqtt", payload: "c", signal: closed });
    // Known closed, then a retained "open" after a restart: it opened while we were away.
    expect(e.handle({ sensorId: "server-room", source: "mqtt", payload: "r2", signal: opened, initial: true })?.outcome).toBe("alarm");
  });

  it("an unknown sensor is refused and counted; malformed payloads are counted per sensor", () => {
    const db = memoryDb();
    const e = engineFor(db, undefined, () => Date.parse("2026-11-27T15:00:00Z"));
    expect(e.handle({ sensorId: "nope", source: "webhook", payload: "x", signal: opened })).toBeUndefined();
    e.refuse("server-room", "mqtt", "not a JSON object", "garbage");
    e.refuse("server-room", "mqtt", "not a JSON object", "garbage2");
    expect(e.stats()).toMatchObject({ malformed: 3, malformedByReason: { "unknown sensor": 1, "not a JSON object": 2 } });
    expect(getDoorState(db, "server-room")?.malformed).toBe(2);
  });

  it("retention: prune deletes old events in batches, keeps recent ones", () => {
    const db = memoryDb();
    const c = clock("2026-01-01T15:00:00Z");
    const e = engineFor(db, undefined, () => c.now);
    for (let i = 0; i < 25; i++) {
      e.handle({ sensorId: "closet", source: "mqtt", payload: String(i), signal: i % 2 ? closed : opened });
      c.advance(86_400_000);
    }
    const cutoff = Date.parse("2026-01-11T00:00:00Z");
    expect(pruneDoorEvents(db, cutoff, { batch: 3 })).toBe(10);
    expect(recentDoorEvents(db, { limit: 100 }).every((ev) => ev.receivedAt >= cutoff)).toBe(true);
    expect(recentDoorEvents(db, { limit: 100 })).toHaveLength(15);
  });
});

describe("idempotency of at-least-once deliveries", () => {
  it("a redelivery of a stored key is not stored again; a first delivery always is, also with a reused packet id", () => {
    const db = memoryDb();
    const c = clock("2026-11-27T15:00:00Z");
    const e = engineFor(db, undefined, () => c.now);
    const ev = (redelivered: boolean) => ({ sensorId: "closet", source: "mqtt" as const, payload: "p", signal: opened, delivery: { key: "mqtt:7:abc", redelivered } });
    expect(e.handle(ev(false))).toBeDefined();
    c.advance(5_000);
    expect(e.handle(ev(true))).toBeUndefined(); // the broker resent it after a crash
    expect(e.stats()).toMatchObject({ events: 1, duplicates: 1 });
    c.advance(60_000);
    expect(e.handle(ev(false))).toBeDefined(); // packet id 7 reused for a new message: stored
    c.advance(REDELIVERY_WINDOW_MS + 1);
    expect(e.handle(ev(true))).toBeDefined(); // nothing recent under that key: stored
    expect(recentDoorEvents(db, { sensorId: "closet" })).toHaveLength(3);
  });
});

describe("on-site declarations", () => {
  it("turn after-hours openings into recorded events without alerts, until they end; audited", () => {
    const db = memoryDb();
    const c = clock("2026-11-27T23:30:00Z"); // Fri 18:30 EST
    const e = engineFor(db, undefined, () => c.now);
    const until = parseUntil("21:30", c.now, TZ);
    expect(new Date(until).toISOString()).toBe("2026-11-28T02:30:00.000Z");
    const d = declareOnsite(db, { untilAt: until, declaredBy: "Maria Lopez", reason: "month-end billing", actor: "os:maria", now: c.now });

    c.set("2026-11-28T01:00:00Z"); // 20:00 EST, after hours
    const r = e.handle({ sensorId: "server-room", source: "mqtt", payload: "a", signal: opened });
    expect(r?.outcome).toBe("onsite");
    expect(recentDoorEvents(db)[0]).toMatchObject({ outcome: "onsite", onsiteId: d.id });
    expect(alerts(db)).toEqual([]);
    e.handle({ sensorId: "server-room", source: "mqtt", payload: "b", signal: closed });

    c.set("2026-11-28T02:31:00Z"); // 21:31: the declaration has ended
    expect(e.handle({ sensorId: "server-room", source: "mqtt", payload: "c", signal: opened })?.outcome).toBe("alarm");

    const audit = db.prepare("SELECT actor, action, target, detail_json FROM audit").all() as Array<{ actor: string; action: string; target: string; detail_json: string }>;
    expect(audit).toEqual([{ actor: "os:maria", action: "doors.onsite.declare", target: `onsite:${d.id}`, detail_json: expect.stringContaining("month-end billing") }]);
    expect(verifyAudit(db)).toMatchObject({ ok: true });
  });

  it("a cancelled declaration no longer covers openings (cancel audited)", () => {
    const db = memoryDb();
    const c = clock("2026-11-28T01:00:00Z");
    const e = engineFor(db, undefined, () => c.now);
    const d = declareOnsite(db, { untilAt: c.now + 3_600_000, declaredBy: "Maria", reason: "inventory", actor: "os:maria", now: c.now });
    expect(cancelOnsite(db, d.id, "os:maria", c.now + 1)).toBe(true);
    expect(cancelOnsite(db, d.id, "os:maria", c.now + 2)).toBe(false);
    c.advance(10);
    expect(e.handle({ sensorId: "server-room", source: "mqtt", payload: "a", signal: opened })?.outcome).toBe("alarm");
    expect((db.prepare("SELECT action FROM audit ORDER BY id").all() as Array<{ action: string }>).map((a) => a.action)).toEqual(["doors.onsite.declare", "doors.onsite.cancel"]);
  });

  it("--until parsing: later today, after midnight, local date-time; refuses past, > 24 h and garbage", () => {
    const now = Date.parse("2026-11-28T03:00:00Z"); // 22:00 EST Fri
    expect(new Date(parseUntil("23:15", now, TZ)).toISOString()).toBe("2026-11-28T04:15:00.000Z");
    expect(new Date(parseUntil("01:00", now, TZ)).toISOString()).toBe("2026-11-28T06:00:00.000Z");
    expect(new Date(parseUntil("2026-11-28T06:00", now, TZ)).toISOString()).toBe("2026-11-28T11:00:00.000Z");
    expect(() => parseUntil("2026-11-27T21:00", now, TZ)).toThrow(/in the past/);
    expect(() => parseUntil("2026-11-30T08:00", now, TZ)).toThrow(/more than 24 hours/);
    for (const bad of ["25:00", "9pm", "", "21:30; rm -rf /", "2026-13-01T10:00"]) expect(() => parseUntil(bad, now, TZ)).toThrow(OnsiteError);
    // Across the fall change: 01:30 on 2026-11-01 declared at 23:00 EDT the night before is the first 01:30 (EDT).
    expect(new Date(parseUntil("01:30", Date.parse("2026-11-01T03:00:00Z"), TZ)).toISOString()).toBe("2026-11-01T05:30:00.000Z");
  });

  it("declareOnsite validates name, reason and window", () => {
    const db = memoryDb();
    const now = Date.parse("2026-11-28T01:00:00Z");
    expect(() => declareOnsite(db, { untilAt: now + 1000, declaredBy: " ", reason: "x", actor: "os:a", now })).toThrow(/name/);
    expect(() => declareOnsite(db, { untilAt: now + 1000, declaredBy: "A", reason: "", actor: "os:a", now })).toThrow(/reason/);
    expect(() => declareOnsite(db, { untilAt: now - 1, declaredBy: "A", reason: "r", actor: "os:a", now })).toThrow(/future/);
    expect(() => declareOnsite(db, { untilAt: now + 25 * 3_600_000, declaredBy: "A", reason: "r", actor: "os:a", now })).toThrow(/24 hours/);
    expect(db.prepare("SELECT count(*) AS n FROM audit").get()).toEqual({ n: 0 });
  });
});

describe("door engine under fake timers across DST (America/New_York)", () => {
  it("spring forward night: 06:30 EDT Monday is outside, 07:00 EDT inside; held-open counts real minutes across the change", () => {
    vi.useFakeTimers({ now: new Date("2026-03-08T06:50:00Z") }); // Sun 01:50 EST
    const db = memoryDb();
    const e = engineFor(db, { business_hours: { "mon-fri": "07:00-19:00" }, sensors: [{ id: "d", held_open_after: "15m", input: { webhook: { secret_file: "/k" } } }] });
    e.start(1000);
    e.handle({ sensorId: "d", source: "webhook", payload: "1", signal: opened }); // Sunday night: alarm
    expect(openAlerts(db).map((a) => a.rule)).toEqual([RULES.afterHoursOpen]);
    vi.advanceTimersByTime(14 * MIN); // 03:04 EDT: 14 real minutes, though the wall clock moved 74
    expect(openAlerts(db).map((a) => a.rule)).toEqual([RULES.afterHoursOpen]);
    vi.advanceTimersByTime(MIN + 1000);
    expect(openAlerts(db).map((a) => [a.rule, a.severity])).toEqual([
      [RULES.afterHoursOpen, "critical"],
      [RULES.heldOpen, "critical"],
    ]);
    e.handle({ sensorId: "d", source: "webhook", payload: "2", signal: closed });
    vi.setSystemTime(new Date("2026-03-09T10:30:00Z")); // Mon 06:30 EDT
    expect(e.handle({ sensorId: "d", source: "webhook", payload: "3", signal: opened })?.outcome).toBe("alarm");
    e.handle({ sensorId: "d", source: "webhook", payload: "4", signal: closed });
    vi.setSystemTime(new Date("2026-03-09T11:00:00Z")); // Mon 07:00 EDT
    expect(e.handle({ sensorId: "d", source: "webhook", payload: "5", signal: opened })?.outcome).toBe("business_hours");
    e.stop();
  });

  it("fall back: Monday 07:00 EST (12:00Z) opens; 11:30Z (06:30 EST) is still after hours", () => {
    vi.useFakeTimers({ now: new Date("2026-11-01T05:30:00Z") }); // Sun 01:30 EDT
    const db = memoryDb();
    const e = engineFor(db, { business_hours: { "mon-fri": "07:00-19:00" }, sensors: [{ id: "d", input: { webhook: { secret_file: "/k" } } }] });
    const seq: string[] = [];
    for (const iso of ["2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z", "2026-11-02T11:30:00Z", "2026-11-02T12:00:00Z"]) {
      vi.setSystemTime(new Date(iso));
      seq.push(e.handle({ sensorId: "d", source: "webhook", payload: iso, signal: opened })!.outcome);
      e.handle({ sensorId: "d", source: "webhook", payload: `${iso}c`, signal: closed });
    }
    expect(seq).toEqual(["alarm", "alarm", "alarm", "business_hours"]);
  });
});

describe("with the alert engine's default policy (flap window, group wait)", () => {
  it("a door bouncing open/closed after hours is one alert with a flap count; closing settles after the window", async () => {
    const { settleAlerts } = await import("../../../src/agent/alerts/engine.js");
    const { DEFAULT_POLICY } = await import("../../../src/agent/alerts/config.js");
    const db = memoryDb();
    const c = clock("2026-11-28T03:00:00Z");
    const e = engineFor(db, undefined, () => c.now, undefined, DEFAULT_POLICY);
    for (let i = 0; i < 4; i++) {
      e.handle({ sensorId: "server-room", source: "mqtt", payload: `o${i}`, signal: opened });
      c.advance(5000);
      e.handle({ sensorId: "server-room", source: "mqtt", payload: `c${i}`, signal: closed });
      c.advance(5000);
    }
    const rows = db.prepare("SELECT rule, state, flap_count, good_since FROM alerts WHERE source = 'doors'").all();
    expect(rows).toEqual([{ rule: RULES.afterHoursOpen, state: "firing", flap_count: 3, good_since: expect.any(Number) }]);
    expect(outbox(db).map((o) => o.event)).toEqual(["firing"]);
    c.advance(DEFAULT_POLICY.flapWindowMs);
    db.transaction(() => settleAlerts(db, { site: "x", routes: [{ channel: "email", minSeverity: "warning" }], now: c.now, policy: DEFAULT_POLICY }))();
    expect(openAlerts(db)).toEqual([]);
    expect(outbox(db).map((o) => o.event)).toEqual(["firing", "resolved"]);
  });

  it("the tick reads the finding state: a door closed and held open again within the flap window relapses its alert at once", async () => {
    const { DEFAULT_POLICY } = await import("../../../src/agent/alerts/config.js");
    const db = memoryDb();
    const c = clock("2026-11-27T15:00:00Z"); // business hours: only the held-open rule applies
    const e = engineFor(db, undefined, () => c.now, undefined, DEFAULT_POLICY);
    e.handle({ sensorId: "server-room", source: "mqtt", payload: "o1", signal: opened });
    c.advance(2 * MIN);
    expect(e.tick()).toHaveLength(1);
    e.handle({ sensorId: "server-room", source: "mqtt", payload: "c1", signal: closed });
    expect(db.prepare("SELECT state, good_since FROM alerts WHERE source = 'doors'").get()).toEqual({ state: "firing", good_since: c.now });
    c.advance(MIN);
    e.handle({ sensorId: "server-room", source: "mqtt", payload: "o2", signal: opened });
    c.advance(2 * MIN);
    e.tick();
    expect(db.prepare("SELECT rule, state, flap_count, good_since FROM alerts WHERE source = 'doors'").all()).toEqual([{ rule: RULES.heldOpen, state: "firing", flap_count: 1, good_since: null }]);
  });
});
