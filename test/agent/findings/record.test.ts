/**
 * The findings pipeline on an in-memory store: finding state, alerts and outbox rows written
 * together for every kind of source, complete and incomplete sets, and all or nothing.
 */
import { describe, expect, it } from "vitest";
import { record } from "../../../src/agent/findings/record.js";
import { RULES, SOURCE } from "../../../src/agent/doors/transitions.js";
import { currentFindings, findingSources, findingsWithSourcePrefix } from "../../../src/agent/store/findings.js";
import { alerts, ctx, finding, memDb, MIN, outbox, T0 } from "../alerts/helpers.js";
import { clock, engineFor, memoryDb } from "../doors/helpers.js";

const door = (rule: string, status: "pass" | "warn" | "fail", sensor: string) => finding(rule, status, `${sensor} ${rule} ${status}`, { subject: sensor });
const state = (rows: ReturnType<typeof currentFindings>) => rows.map((r) => [r.rule, r.subject, r.status]);

describe("record(): one pipeline for every source", () => {
  it("writes finding state, the alert and its outbox row for a monitor; a complete set replaces the state", () => {
    const db = memDb();
    const ids = record(db, ctx(T0), "firewall", [finding("firewall.enabled", "fail"), finding("firewall.ipv4_filtered", "pass")], { complete: true });
    expect(ids).toHaveLength(1);
    expect(outbox(db)).toEqual([expect.objectContaining({ id: ids[0], event: "firing" })]);
    expect(alerts(db)).toEqual([expect.objectContaining({ key: "firewall|firewall.enabled|", state: "firing", severity: "critical" })]);
    expect(state(currentFindings(db, "firewall"))).toEqual([
      ["firewall.enabled", "", "fail"],
      ["firewall.ipv4_filtered", "", "pass"],
    ]);

    record(db, ctx(T0 + MIN, undefined, { flapWindowMs: 0 }), "firewall", [finding("firewall.enabled", "pass")], { complete: true });
    expect(state(currentFindings(db, "firewall"))).toEqual([["firewall.enabled", "", "pass"]]);
    expect(alerts(db)[0]!.state).toBe("resolved");
  });

  it("keeps `since` while a status holds and moves it when the status changes", () => {
    const db = memDb();
    record(db, ctx(T0), "patches", [finding("patches.security_pending", "warn", "3 pending")], { complete: true });
    record(db, ctx(T0 + MIN), "patches", [finding("patches.security_pending", "warn", "4 pending")], { complete: true });
    expect(currentFindings(db, "patches")[0]).toMatchObject({ status: "warn", message: "4 pending", since: T0, last_seen: T0 + MIN });
    record(db, ctx(T0 + 2 * MIN), "patches", [finding("patches.security_pending", "pass")], { complete: true });
    expect(currentFindings(db, "patches")[0]).toMatchObject({ status: "pass", since: T0 + 2 * MIN });
  });

  it("a blind source (probe failed) replaces its state but keeps its policy alerts open", () => {
    const db = memDb();
    const c = ctx(T0, undefined, { flapWindowMs: 0 });
    record(db, c, "firewall", [finding("firewall.enabled", "fail")], { complete: true });
    record(db, { ...c, now: T0 + MIN }, "firewall", [finding("firewall.probe_error", "unknown", "nft: exit 1", { kind: "probe" })], { complete: true, blind: true });
    expect(state(currentFindings(db, "firewall"))).toEqual([["firewall.probe_error", "", "unknown"]]);
    expect(alerts(db).find((a) => a.key === "firewall|firewall.enabled|")?.state).toBe("firing");
  });

  it("an incomplete record (a door event) upserts the keys it names and keeps every other key", () => {
    const db = memDb();
    const c = ctx(T0, undefined, { flapWindowMs: 0 });
    record(db, c, SOURCE, [door(RULES.tamper, "fail", "server-room"), door(RULES.offline, "warn", "lobby")], { complete: false });
    record(db, { ...c, now: T0 + MIN }, SOURCE, [door(RULES.tamper, "pass", "server-room")], { complete: false });
    expect(state(currentFindings(db, SOURCE))).toEqual([
      [RULES.offline, "lobby", "warn"],
      [RULES.tamper, "server-room", "pass"],
    ]);
    expect(alerts(db).map((a) => [a.key, a.state])).toEqual([
      ["doors|doors.tamper|server-room", "resolved"],
      ["doors|doors.offline|lobby", "firing"],
    ]);
  });

  it("is one transaction: an alert step that throws leaves the finding state as it was", () => {
    const db = memDb();
    record(db, ctx(T0), "firewall", [finding("firewall.enabled", "pass")], { complete: true });
    const before = currentFindings(db);
    // Routing the new alert to a control throws inside the alert step, after the state was written.
    const broken = { ...ctx(T0 + MIN), controlOf: (): string => { throw new Error("no control registry"); } };
    expect(() => record(db, broken, "firewall", [finding("firewall.enabled", "fail")], { complete: true })).toThrow(/no control registry/);
    expect(currentFindings(db)).toEqual(before);
    expect(alerts(db)).toEqual([]);
    expect(outbox(db)).toEqual([]);
  });

  it("joins the caller's transaction: rolled back with it", () => {
    const db = memDb();
    expect(() =>
      db.transaction(() => {
        record(db, ctx(T0), "backups", [finding("backups.fresh", "fail")], { complete: true });
        throw new Error("the observation insert failed");
      })(),
    ).toThrow(/observation insert/);
    expect(currentFindings(db)).toEqual([]);
    expect(alerts(db)).toEqual([]);
  });

  it("lists sources and prefixed sources from the finding state", () => {
    const db = memDb();
    record(db, ctx(T0), "host:7", [finding("hosts.antivirus", "fail")], { complete: true });
    record(db, ctx(T0), "host:12", [finding("hosts.disk_encryption", "pass")], { complete: true });
    record(db, ctx(T0), "hostile", [finding("x.y", "pass")], { complete: true });
    record(db, ctx(T0), "firewall", [finding("firewall.enabled", "pass")], { complete: true });
    expect(findingSources(db)).toEqual(["firewall", "host:12", "host:7", "hostile"]);
    expect(findingsWithSourcePrefix(db, "host:").map((f) => f.monitor)).toEqual(["host:12", "host:7"]);
    expect(findingsWithSourcePrefix(db, "%")).toEqual([]);
  });
});

describe("door findings in the finding state", () => {
  it("an event, the tick and the input status all land in finding_state under source doors", () => {
    const db = memoryDb();
    const c = clock("2026-11-28T03:14:00Z"); // Fri 22:14 EST: after hours
    const e = engineFor(db, undefined, () => c.now);
    e.handle({ sensorId: "server-room", source: "mqtt", payload: "open", signal: { state: "open" } });
    expect(currentFindings(db, SOURCE).map((f) => [f.rule, f.subject, f.status])).toEqual([
      [RULES.afterHoursOpen, "server-room", "fail"],
      [RULES.offline, "server-room", "pass"],
    ]);
    c.advance(2 * MIN);
    expect(e.tick()).toHaveLength(1);
    e.inputStatus(["back-door"], false, "gpiomon: no such chip");
    expect(currentFindings(db, SOURCE).map((f) => [f.rule, f.subject, f.status])).toEqual([
      [RULES.afterHoursOpen, "server-room", "fail"],
      [RULES.heldOpen, "server-room", "fail"],
      [RULES.inputError, "back-door", "warn"],
      [RULES.offline, "server-room", "pass"],
    ]);
    // Closing passes what the opening raised; the other sensor's finding stays.
    e.handle({ sensorId: "server-room", source: "mqtt", payload: "closed", signal: { state: "closed" } });
    expect(currentFindings(db, SOURCE).filter((f) => f.status !== "pass").map((f) => [f.rule, f.subject])).toEqual([[RULES.inputError, "back-door"]]);
  });
});
