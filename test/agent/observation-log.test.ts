/**
 * Observations store what a check found once per distinct result (migration 007): repeats cost a
 * small row, readers see exactly the old columns, existing rows are converted, and pruning never
 * deletes a result an observation still points at.
 */
import { describe, expect, it } from "vitest";
import type { Finding } from "../../src/agent/evaluator.js";
import { migrate, openDatabase, type Db } from "../../src/agent/store/db.js";
import { MIGRATIONS } from "../../src/agent/store/migrations/index.js";
import { firstObservationAt, lastObservationAt, latestPerSource, statusPerRange, observationLogCounts } from "../../src/agent/store/observation-log.js";
import { insertObservation, latestObservation, pruneObservations, recentObservations, type ObservationRecord } from "../../src/agent/store/observations.js";

const T0 = Date.parse("2026-01-01T00:00:00Z");
const MIN = 60_000;

const finding = (status: Finding["status"], message: string): Finding => ({ rule: "patches.pending", kind: "policy", status, message, facts: ["patches.pending"] });

function record(at: number, pending: string[], overrides: Partial<ObservationRecord> = {}): ObservationRecord {
  const status = pending.length > 0 ? "warn" : "pass";
  return {
    monitor: "patches",
    startedAt: at,
    durationMs: 40 + (at / MIN) % 7,
    status,
    outcome: "ok",
    evidence: `apt-get -s upgrade\n${pending.map((p) => `Inst ${p}`).join("\n")}`,
    facts: { "patches.pending": pending, "patches.security": pending.length },
    findings: [finding(status, `${pending.length} pending`)],
    ...overrides,
  };
}

/** Every column of every observation through the view, in id order. */
const viewRows = (db: Db) => db.prepare("SELECT * FROM observations ORDER BY id").all();

describe("observation log", () => {
  it("stores a repeated result once and reads every observation back as it was written", () => {
    const db = openDatabase(":memory:");
    const written: ObservationRecord[] = [];
    for (let i = 0; i < 30; i++) {
      const r = record(T0 + i * MIN, i < 10 || i >= 20 ? [] : ["openssl"]);
      written.push(r);
      insertObservation(db, r);
    }
    // Two distinct results (nothing pending, openssl pending): the third run repeats the first.
    expect(observationLogCounts(db)).toEqual({ observations: 30, results: 2, sources: 1 });
    const back = recentObservations(db, "patches", 100).reverse();
    expect(back.map(({ id: _, ...o }) => o)).toEqual(written.map((w) => ({ ...w, durationMs: Math.round(w.durationMs) })));
    expect(latestObservation(db, "patches")?.startedAt).toBe(T0 + 29 * MIN);
    db.close();
  });

  it("keeps error, outcome and evidence apart per result and sources apart per monitor", () => {
    const db = openDatabase(":memory:");
    insertObservation(db, record(T0, [], { outcome: "error", status: "unknown", error: "apt-get: exit 100", findings: [] }));
    insertObservation(db, record(T0 + MIN, [], { outcome: "error", status: "unknown", error: "apt-get: exit 101", findings: [] }));
    insertObservation(db, record(T0 + MIN, [], { monitor: "firewall" }));
    insertObservation(db, record(T0 + 2 * MIN, [], { evidence: "other output" }));
    expect(observationLogCounts(db)).toEqual({ observations: 4, results: 4, sources: 2 });
    expect(latestObservation(db, "firewall")).toMatchObject({ monitor: "firewall", status: "pass", outcome: "ok" });
    expect(recentObservations(db, "patches").map((o) => o.error ?? o.evidence)).toEqual(["other output", "apt-get: exit 101", "apt-get: exit 100"]);
    db.close();
  });

  it("a year of per-minute repeats costs at most 100 bytes per observation, indexes included", () => {
    const db = openDatabase(":memory:");
    // 8 monitors × 2 days, a change every 6 hours: the steady state of a year, scaled down.
    const monitors = ["patches", "antivirus", "inventory", "firewall", "wifi", "backups", "accounts", "tls"];
    for (let i = 0; i < 2 * 1440; i++) {
      db.transaction(() => {
        for (const m of monitors) insertObservation(db, record(T0 + i * MIN, i % 1440 < 360 ? ["openssl", "libc6"] : [], { monitor: m }));
      })();
    }
    const bytes = (db.prepare("SELECT sum(pgsize) AS b FROM dbstat WHERE name LIKE 'observation%' OR name LIKE 'sqlite_autoindex_observation%'").get() as { b: number }).b;
    const { observations } = observationLogCounts(db);
    expect(observations).toBe(8 * 2 * 1440);
    expect(bytes / observations, `${(bytes / observations).toFixed(1)} B/row`).toBeLessThanOrEqual(100);
    db.close();
  });

  it("pruning deletes old observations and unreferenced results, never a result still pointed at", () => {
    const db = openDatabase(":memory:");
    for (let i = 0; i < 10; i++) insertObservation(db, record(T0 + i * MIN, i < 3 ? ["openssl"] : i < 6 ? ["zlib"] : []));
    // The result "nothing pending" is shared by a pruned row (i = 6) and kept ones; "openssl" only by pruned rows.
    insertObservation(db, record(T0 - MIN, []));
    expect(pruneObservations(db, T0 + 7 * MIN, 2)).toBe(8);
    expect(observationLogCounts(db)).toEqual({ observations: 3, results: 1, sources: 1 });
    expect(recentObservations(db, "patches").map((o) => o.facts["patches.pending"])).toEqual([[], [], []]);
    // The database itself refuses to delete a result that is still referenced.
    expect(() => db.prepare("DELETE FROM observation_results").run()).toThrow(/FOREIGN KEY/);
    db.close();
  });

  it("latestPerSource gives each source's latest run, as the GROUP BY over the view did", () => {
    const db = openDatabase(":memory:");
    for (let i = 0; i < 20; i++) insertObservation(db, record(T0 + i * MIN, i % 5 === 0 ? ["openssl"] : [], { monitor: ["patches", "firewall", "host:7"][i % 3]! }));
    const viaView = db
      .prepare(
        `SELECT o.monitor, o.started_at, o.duration_ms, o.status, o.outcome FROM observations o
         JOIN (SELECT monitor, max(id) AS id FROM observations GROUP BY monitor) l ON l.id = o.id ORDER BY o.monitor`,
      )
      .all();
    expect(latestPerSource(db)).toEqual(viaView);
    expect(latestPerSource(db).map((r) => r.monitor)).toEqual(["firewall", "host:7", "patches"]);
    db.close();
  });

  it("firstObservationAt and lastObservationAt are the oldest and newest kept starts, null on an empty store", () => {
    const db = openDatabase(":memory:");
    expect(firstObservationAt(db)).toBeNull();
    expect(lastObservationAt(db)).toBeNull();
    insertObservation(db, record(T0 + 5 * MIN, []));
    insertObservation(db, record(T0 + 2 * MIN, [], { monitor: "firewall" }));
    insertObservation(db, record(T0 + 9 * MIN, [], { monitor: "firewall" }));
    expect(firstObservationAt(db)).toBe(T0 + 2 * MIN);
    expect(firstObservationAt(db)).toBe((db.prepare("SELECT min(started_at) AS t FROM observations").get() as { t: number }).t);
    expect(lastObservationAt(db)).toBe(T0 + 9 * MIN);
    db.close();
  });

  it("statusPerRange counts each range's observations and their worst status, as the join onto the view did", () => {
    const db = openDatabase(":memory:");
    for (let i = 0; i < 40; i++) insertObservation(db, record(T0 + i * MIN, i >= 12 && i < 15 ? ["openssl"] : [], { monitor: i % 4 === 0 ? "firewall" : "patches" }));
    const ranges = [0, 10, 20, 30, 40, 50].map((m) => ({ from: T0 + m * MIN, to: T0 + (m + 10) * MIN }));
    const viaView = db
      .prepare(
        `WITH b(i, lo, hi) AS (SELECT key, json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?))
         SELECT b.i AS i, count(o.id) AS n, max(CASE o.status WHEN 'fail' THEN 3 WHEN 'warn' THEN 2 WHEN 'unknown' THEN 1 ELSE 0 END) AS worst
         FROM b LEFT JOIN observations o ON o.monitor = ? AND o.started_at >= b.lo AND o.started_at < b.hi GROUP BY b.i ORDER BY b.i`,
      )
      .all(JSON.stringify(ranges.map((r) => [r.from, r.to])), "patches");
    expect(statusPerRange(db, "patches", ranges)).toEqual(viaView);
    expect(statusPerRange(db, "patches", ranges).map((r) => [r.n, r.worst])).toEqual([[7, 0], [8, 2], [7, 0], [8, 0], [0, 0], [0, 0]]);
    expect(statusPerRange(db, "nobody", ranges.slice(0, 1))).toEqual([{ i: 0, n: 0, worst: 0 }]);
    db.close();
  });

  it("a failed write leaves nothing behind: no orphan result, no row", () => {
    const db = openDatabase(":memory:");
    expect(() => insertObservation(db, record(T0, [], { status: "bogus" as never }))).toThrow(/CHECK/);
    expect(observationLogCounts(db)).toEqual({ observations: 0, results: 0, sources: 0 });
    db.close();
  });
});

describe("migration 007 converts existing observations", () => {
  const upTo6 = MIGRATIONS.filter((m) => m.version <= 6);

  it("keeps every row's columns, shares runs of equal results, and new rows append after them", () => {
    const db = openDatabase(":memory:", { migrations: upTo6 });
    const insert = db.prepare(
      `INSERT INTO observations (id, monitor, started_at, duration_ms, status, outcome, error, evidence, facts_json, findings_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const A = ["pass", "ok", null, "ev a", '{"x":1}', "[]"] as const;
    const B = ["warn", "ok", null, "ev b", '{"x":2}', '[{"rule":"patches.pending","kind":"policy","status":"warn","message":"1 pending","facts":[]}]'] as const;
    const E = ["unknown", "error", "timeout", "", "{}", "[]"] as const;
    // patches: A A B A (ids out of time order for the last two), firewall: A E E; ids interleaved.
    insert.run(1, "patches", T0, 10, ...A);
    insert.run(2, "firewall", T0, 11, ...A);
    insert.run(3, "patches", T0 + MIN, 12, ...A);
    insert.run(4, "firewall", T0 + MIN, 13, ...E);
    insert.run(6, "patches", T0 + 2 * MIN, 14, ...B);
    insert.run(5, "patches", T0 + 3 * MIN, 15, ...A);
    insert.run(7, "firewall", T0 + 2 * MIN, 16, ...E);
    const before = viewRows(db);

    expect(migrate(db, MIGRATIONS)).toBe(MIGRATIONS.length - upTo6.length);
    expect(viewRows(db)).toEqual(before);
    // patches: runs A A | B | A → 3 results; firewall: A | E E → 2 results.
    expect(observationLogCounts(db)).toEqual({ observations: 7, results: 5, sources: 2 });
    expect((db.prepare("SELECT result_id FROM observation_log ORDER BY id").all() as { result_id: number }[]).map((r) => r.result_id)).toEqual([1, 2, 1, 4, 5, 6, 4]);
    // The daemon carries on: a new observation gets the next id and reads back.
    const id = insertObservation(db, record(T0 + 4 * MIN, []));
    expect(id).toBe(8);
    expect(latestObservation(db, "patches")).toMatchObject({ id: 8, facts: { "patches.pending": [] } });
    db.close();
  });

  it("converts an empty table and a fresh store alike", () => {
    const db = openDatabase(":memory:");
    expect(viewRows(db)).toEqual([]);
    expect((db.prepare("SELECT max(version) AS v FROM schema_migrations").get() as { v: number }).v).toBe(MIGRATIONS.at(-1)!.version);
    db.close();
  });
});
