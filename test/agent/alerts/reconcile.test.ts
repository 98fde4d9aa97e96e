import { describe, expect, it } from "vitest";
import { applyFindings } from "../../../src/agent/alerts/engine.js";
import { ackAlert } from "../../../src/agent/alerts/manage.js";
import type { Notification } from "../../../src/agent/alerts/notification.js";
import { reconcileChannels } from "../../../src/agent/alerts/reconcile.js";
import { addSilence } from "../../../src/agent/alerts/silences.js";
import type { Db } from "../../../src/agent/store/db.js";
import { ctx, finding, memDb, MIN, outbox, T0 } from "./helpers.js";

const office = { channel: "office", minSeverity: "warning" as const };
const email = { channel: "email", minSeverity: "warning" as const };
const apply = (db: Db, now: number, source: string, fs: ReturnType<typeof finding>[], routes = [email]) =>
  db.transaction(() => applyFindings(db, ctx(now, routes, { flapWindowMs: 0 }), source, fs, true))();
const items = (db: Db, channel: string) => outbox(db).filter((r) => r.channel === channel).flatMap((r) => (JSON.parse(r.payload_json) as Notification).items.map((i) => i.rule));

describe("reconcileChannels: a channel configured after alerts opened", () => {
  it("queues each firing, unacknowledged alert once for a channel that never had it", () => {
    const db = memDb();
    apply(db, T0, "firewall", [finding("firewall.disabled", "fail")], []); // no channel at all yet
    apply(db, T0, "patches", [finding("patches.pending", "warn")]);
    apply(db, T0, "backups", [finding("backups.stale", "fail")]);
    apply(db, T0 + MIN, "backups", []); // recovered: resolved
    apply(db, T0, "wifi", [finding("wifi.open", "fail")]);
    const wifi = db.prepare("SELECT id FROM alerts WHERE source = 'wifi'").get() as { id: number };
    ackAlert(db, wifi.id, { actor: "os:alice", note: "known", now: T0 + MIN });
    const before = outbox(db).length;

    const ids = reconcileChannels(db, ctx(T0 + 2 * MIN, [email, office]));
    expect(ids).toHaveLength(2);
    // email already had patches; it never had the firewall alert (opened with no channel).
    expect(items(db, "email").slice(-1)).toEqual(["firewall.disabled"]);
    expect(items(db, "office")).toEqual(["firewall.disabled", "patches.pending"]);
    expect(outbox(db).slice(before).map((r) => r.event)).toEqual(["firing", "firing"]);
    // Not twice, also after the rows were sealed and sent.
    expect(reconcileChannels(db, ctx(T0 + 3 * MIN, [email, office]))).toEqual([]);
    db.prepare("UPDATE outbox SET sent_at = ?").run(T0 + 3 * MIN);
    expect(reconcileChannels(db, ctx(T0 + 4 * MIN, [email, office]))).toEqual([]);
  });

  it("routes as any notice: severity and controls of the new channel apply", () => {
    const db = memDb();
    apply(db, T0, "patches", [finding("patches.pending", "warn")], []);
    apply(db, T0, "doors", [finding("doors.after_hours_open", "fail", "Server room opened after hours", { subject: "server-room" })], []);
    reconcileChannels(db, ctx(T0, [{ channel: "pager", minSeverity: "critical" }, { channel: "office", minSeverity: "warning", controls: ["physical"] }]));
    expect(items(db, "pager")).toEqual(["doors.after_hours_open"]);
    expect(items(db, "office")).toEqual(["doors.after_hours_open"]);
  });

  it("leaves silenced alerts to the end of their silence", () => {
    const db = memDb();
    apply(db, T0, "firewall", [finding("firewall.disabled", "fail")], []);
    addSilence(db, { match: "firewall", forMs: 60 * MIN, reason: "maintenance", actor: "os:alice", now: T0 });
    expect(reconcileChannels(db, ctx(T0 + MIN, [office]))).toEqual([]);
  });
});
