/**
 * The alerting store modules (src/agent/store/alerts.ts, silences.ts, outbox.ts): the typed
 * reads the console, the report and the metrics use, and that the engine's statements are
 * prepared once per connection rather than at every call.
 */
import { describe, expect, it, vi } from "vitest";
import { applyFindings } from "../../../src/agent/alerts/engine.js";
import type { Severity } from "../../../src/agent/alerts/transitions.js";
import {
  acknowledgeAlert,
  alertsInPeriod,
  consoleAlertRows,
  firingAlertCount,
  insertAlert,
  openAlertCounts,
  queryAlerts,
  resolveAlert,
} from "../../../src/agent/store/alerts.js";
import type { Db } from "../../../src/agent/store/db.js";
import { listDoorStates } from "../../../src/agent/store/doors.js";
import {
  clearAlertingState,
  deliveryAttempts,
  insertNotice,
  readAlertingState,
  recordDeliveryAttempt,
  writeAlertingState,
} from "../../../src/agent/store/outbox.js";
import { insertSilence, liftSilence, recentSilences } from "../../../src/agent/store/silences.js";
import { ctx, finding, memDb, MIN, T0 } from "./helpers.js";

function open(db: Db, key: string, o: { source?: string; severity?: Severity; at?: number } = {}): number {
  const source = o.source ?? "firewall";
  return insertAlert(db, { key, source, rule: `${source}.x`, subject: key, severity: o.severity ?? "warning", message: key, detailsJson: "{}", openedAt: o.at ?? T0 });
}

describe("store: alerts", () => {
  it("queryAlerts filters by state and source, newest first, and clamps the limit", () => {
    const db = memDb();
    const a = open(db, "a", { at: T0 });
    const b = open(db, "b", { at: T0 + MIN, source: "doors" });
    const c = open(db, "c", { at: T0 + 2 * MIN });
    acknowledgeAlert(db, b, { by: "user:mia", at: T0 + 3 * MIN, note: "on it" });
    resolveAlert(db, c, T0 + 4 * MIN);
    const ids = (f: Parameters<typeof queryAlerts>[1]) => queryAlerts(db, f).map((r) => r.id);
    expect(ids({ state: "open", limit: 10 })).toEqual([b, a]);
    expect(ids({ state: "all", limit: 10 })).toEqual([c, b, a]);
    expect(ids({ state: "firing", limit: 10 })).toEqual([a]);
    expect(ids({ state: "acknowledged", limit: 10 })).toEqual([b]);
    expect(ids({ state: "resolved", limit: 10 })).toEqual([c]);
    expect(ids({ state: "open", source: "doors", limit: 10 })).toEqual([b]);
    expect(ids({ state: "all", source: "nobody", limit: 10 })).toEqual([]);
    expect(ids({ state: "all", limit: 0 })).toEqual([c]);
    expect(ids({ state: "all", limit: -5 })).toEqual([c]);
  });

  it("a source or state that looks like SQL is only a value", () => {
    const db = memDb();
    open(db, "a");
    expect(queryAlerts(db, { state: "all", source: "x' OR '1'='1", limit: 10 })).toEqual([]);
    expect(queryAlerts(db, { state: "firing' OR 1=1 --" as never, limit: 10 })).toEqual([]);
  });

  it("acknowledging only takes a firing alert", () => {
    const db = memDb();
    const a = open(db, "a");
    expect(acknowledgeAlert(db, a, { by: "u", at: T0, note: "n" })).toBe(true);
    expect(acknowledgeAlert(db, a, { by: "u", at: T0, note: "n" })).toBe(false);
    expect(acknowledgeAlert(db, 999, { by: "u", at: T0, note: "n" })).toBe(false);
  });

  it("consoleAlertRows: open ones most severe first, then at most 50 resolved, latest resolved first", () => {
    const db = memDb();
    const info = open(db, "info", { severity: "info", at: T0 + 3 * MIN });
    const oldCrit = open(db, "old-critical", { severity: "critical", at: T0 });
    const warn = open(db, "warning", { severity: "warning", at: T0 + 2 * MIN });
    const newCrit = open(db, "new-critical", { severity: "critical", at: T0 + MIN });
    const resolved: number[] = [];
    for (let i = 0; i < 55; i++) {
      const id = open(db, `gone-${i}`, { at: T0 - 100 * MIN });
      resolveAlert(db, id, T0 - 90 * MIN + i);
      resolved.push(id);
    }
    const ids = consoleAlertRows(db).map((r) => r.id);
    expect(ids.slice(0, 4)).toEqual([newCrit, oldCrit, warn, info]);
    expect(ids.slice(4)).toEqual(resolved.reverse().slice(0, 50));
  });

  it("alertsInPeriod: open at any time in [from, to), by source when asked, in the order they opened", () => {
    const db = memDb();
    const from = T0;
    const to = T0 + 60 * MIN;
    const before = open(db, "ended-before", { at: from - 10 * MIN });
    resolveAlert(db, before, from - 1);
    const atStart = open(db, "ended-at-start", { at: from - 10 * MIN });
    resolveAlert(db, atStart, from);
    const stillOpen = open(db, "still-open", { at: from - 20 * MIN, source: "doors" });
    const inside = open(db, "inside", { at: from + 5 * MIN });
    resolveAlert(db, inside, from + 6 * MIN);
    open(db, "opened-at-end", { at: to });
    expect(alertsInPeriod(db, from, to).map((r) => r.id)).toEqual([stillOpen, atStart, inside]);
    expect(alertsInPeriod(db, from, to, "doors").map((r) => r.id)).toEqual([stillOpen]);
  });

  it("counts open alerts by state, severity and source, and the firing ones", () => {
    const db = memDb();
    open(db, "a", { severity: "critical" });
    open(db, "b", { severity: "critical" });
    const c = open(db, "c", { source: "doors" });
    acknowledgeAlert(db, c, { by: "u", at: T0, note: "n" });
    resolveAlert(db, open(db, "d"), T0);
    expect(openAlertCounts(db).sort((x, y) => x.source.localeCompare(y.source))).toEqual([
      { state: "acknowledged", severity: "warning", source: "doors", n: 1 },
      { state: "firing", severity: "critical", source: "firewall", n: 2 },
    ]);
    expect(firingAlertCount(db)).toBe(2);
  });

  it("applyFindings prepares its statements once per connection, not at every call", () => {
    const db = memDb();
    const run = (now: number, status: "fail" | "pass") =>
      db.transaction(() => applyFindings(db, ctx(now), "firewall", [finding("firewall.disabled", status), finding("firewall.drift", "warn")], true))();
    run(T0, "fail"); // first use on this connection prepares everything
    run(T0 + MIN, "pass");
    const prepare = vi.spyOn(db, "prepare");
    for (let i = 2; i < 12; i++) run(T0 + i * MIN, i % 2 === 0 ? "fail" : "pass");
    run(T0 + 30 * MIN, "pass");
    expect(prepare).not.toHaveBeenCalled();
    // A second connection gets its own statements.
    const other = memDb();
    const prepareOther = vi.spyOn(other, "prepare");
    other.transaction(() => applyFindings(other, ctx(T0), "firewall", [finding("firewall.disabled", "fail")], true))();
    expect(prepareOther).toHaveBeenCalled();
  });
});

describe("store: silences", () => {
  it("lists current silences newest first, or all; lifting only takes one still in force", () => {
    const db = memDb();
    const expired = insertSilence(db, { match: "doors", reason: "r", createdBy: "u", createdAt: T0 - 60 * MIN, expiresAt: T0 - MIN });
    const current = insertSilence(db, { match: "firewall.*", reason: "r", createdBy: "u", createdAt: T0, expiresAt: T0 + 60 * MIN });
    const later = insertSilence(db, { match: "*.drift", reason: "r", createdBy: "u", createdAt: T0, expiresAt: T0 + 120 * MIN });
    expect(recentSilences(db, { now: T0, all: false, limit: 10 }).map((s) => s.id)).toEqual([later.id, current.id]);
    expect(recentSilences(db, { now: T0, all: true, limit: 10 }).map((s) => s.id)).toEqual([later.id, current.id, expired.id]);
    expect(recentSilences(db, { now: T0, all: true, limit: 1 }).map((s) => s.id)).toEqual([later.id]);
    expect(liftSilence(db, expired.id, "u", T0)).toBeUndefined();
    expect(liftSilence(db, current.id, "user:mia", T0 + MIN)).toMatchObject({ id: current.id, endedAt: T0 + MIN, endedBy: "user:mia" });
    expect(liftSilence(db, current.id, "user:mia", T0 + 2 * MIN)).toBeUndefined();
  });
});

describe("store: outbox, delivery attempts, alerting state", () => {
  it("delivery attempts of one notice or of all, newest first", () => {
    const db = memDb();
    const notice = (m: string) =>
      insertNotice(db, { alertId: null, event: "test", channel: "email", messageId: m, payloadJson: "{}", createdAt: T0, nextAttemptAt: T0, groupKey: null });
    const one = notice("<1@x>");
    const two = notice("<2@x>");
    recordDeliveryAttempt(db, { outboxId: one, channel: "email", at: T0, durationMs: 5, error: "email failed: 535" });
    recordDeliveryAttempt(db, { outboxId: two, channel: "email", at: T0 + 1, durationMs: 6, error: null });
    recordDeliveryAttempt(db, { outboxId: one, channel: "email", at: T0 + 2, durationMs: 7, error: null });
    expect(deliveryAttempts(db, { outboxId: one, limit: 10 })).toEqual([
      { outboxId: one, channel: "email", at: T0 + 2, durationMs: 7, ok: true, error: null },
      { outboxId: one, channel: "email", at: T0, durationMs: 5, ok: false, error: "email failed: 535" },
    ]);
    expect(deliveryAttempts(db, { limit: 2 }).map((a) => a.at)).toEqual([T0 + 2, T0 + 1]);
  });

  it("alerting state: written, replaced, read and forgotten", () => {
    const db = memDb();
    expect(readAlertingState(db, "digest.last_day")).toBeUndefined();
    writeAlertingState(db, "digest.last_day", "2026-11-27", T0);
    writeAlertingState(db, "digest.last_day", "2026-11-28", T0 + MIN);
    expect(readAlertingState(db, "digest.last_day")).toEqual({ value: "2026-11-28", at: T0 + MIN });
    clearAlertingState(db, "digest.last_day");
    expect(readAlertingState(db, "digest.last_day")).toBeUndefined();
  });
});

describe("store: door sensor gauges (read for the metrics)", () => {
  it("maps each sensor's row, by sensor id", () => {
    const db = memDb();
    expect(listDoorStates(db)).toEqual([]);
    db.prepare("INSERT INTO door_state (sensor_id, state, online, last_seen_at) VALUES ('server-room', 'open', 1, ?), ('back-door', 'unknown', 0, NULL)").run(T0);
    expect(listDoorStates(db).map(({ sensorId, state, online, lastSeenAt }) => ({ sensorId, state, online, lastSeenAt }))).toEqual([
      { sensorId: "back-door", state: "unknown", online: false, lastSeenAt: null },
      { sensorId: "server-room", state: "open", online: true, lastSeenAt: T0 },
    ]);
  });
});
