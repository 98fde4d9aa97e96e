/**
 * The monitor page's status strip keeps what statusPerRange worked out per range: a finished day
 * is read once, and the kept counts always equal a fresh count over the observations view — after
 * appends into today, into a finished day (a late check), across midnight, after pruning, and after
 * another connection wrote to the file.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase, openStore, type Db } from "../../../src/agent/store/db.js";
import { appendObservation, pruneObservationLog, statusPerRange, type ObservationRow } from "../../../src/agent/store/observation-log.js";
import type { Status } from "../../../src/monitors/monitor.js";

const DAY = 86_400_000;
const HOUR = 3_600_000;
const D0 = Date.parse("2026-03-01T00:00:00Z");

/** Five whole days, oldest first: [from, to) of each. */
const days = Array.from({ length: 5 }, (_, i) => ({ from: D0 + i * DAY, to: D0 + (i + 1) * DAY }));

function obs(monitor: string, startedAt: number, status: Status): ObservationRow {
  return { monitor, startedAt, durationMs: 5, status, outcome: "ok", error: null, evidence: "", factsJson: "{}", findingsJson: "[]" };
}

/** The same counts worked out afresh through the observations view (what the strip showed before it kept anything). */
function computed(db: Db, monitor: string, ranges: readonly { from: number; to: number }[]) {
  return db
    .prepare(
      `WITH b(i, lo, hi) AS (SELECT key, json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?))
       SELECT b.i AS i, count(o.id) AS n, max(CASE o.status WHEN 'fail' THEN 3 WHEN 'warn' THEN 2 WHEN 'unknown' THEN 1 ELSE 0 END) AS worst
       FROM b LEFT JOIN observations o ON o.monitor = ? AND o.started_at >= b.lo AND o.started_at < b.hi GROUP BY b.i ORDER BY b.i`,
    )
    .all(JSON.stringify(ranges.map((r) => [r.from, r.to])), monitor);
}

/** Every hour of days 0–3 for two monitors; firewall warns on day 1 at noon. */
function seed(db: Db): void {
  db.transaction(() => {
    for (let t = D0; t < D0 + 4 * DAY; t += HOUR) {
      appendObservation(db, obs("firewall", t, t === D0 + DAY + 12 * HOUR ? "warn" : "pass"));
      appendObservation(db, obs("patches", t + 60_000, "pass"));
    }
  })();
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("status strip kept per range", () => {
  it("serves a range it has read from memory (a finished day costs no query)", () => {
    const db = openDatabase(":memory:");
    seed(db);
    const first = statusPerRange(db, "firewall", days);
    expect(first.map((r) => r.n)).toEqual([24, 24, 24, 24, 0]);
    // Rows removed behind the store's back (no store function ran): the kept counts are still served.
    db.prepare("DELETE FROM observation_log WHERE started_at < ?").run(D0 + DAY);
    expect(statusPerRange(db, "firewall", days)).toEqual(first);
    expect(statusPerRange(db, "firewall", days)).not.toEqual(computed(db, "firewall", days));
    db.close();
  });

  it("equals a fresh count after appends into today, into a finished day, and across midnight", () => {
    const db = openDatabase(":memory:");
    seed(db);
    for (const m of ["firewall", "patches"]) expect(statusPerRange(db, m, days)).toEqual(computed(db, m, days));

    // Today (day 3) goes on; a late check lands in finished day 2; the clock crosses into day 4.
    appendObservation(db, obs("firewall", D0 + 3 * DAY + 23 * HOUR + 30 * 60_000, "fail"));
    appendObservation(db, obs("firewall", D0 + 3 * DAY - 1, "unknown"));
    appendObservation(db, obs("firewall", D0 + 4 * DAY, "warn"));
    appendObservation(db, obs("firewall", D0 + 4 * DAY + HOUR, "pass"));
    const after = statusPerRange(db, "firewall", days);
    expect(after).toEqual(computed(db, "firewall", days));
    expect(after.map((r) => [r.n, r.worst])).toEqual([[24, 0], [24, 2], [25, 1], [25, 3], [2, 2]]);
    // The other monitor's kept days are untouched and still right.
    expect(statusPerRange(db, "patches", days)).toEqual(computed(db, "patches", days));
    db.close();
  });

  it("equals a fresh count after pruning, also of a day pruned half-way", () => {
    const db = openDatabase(":memory:");
    seed(db);
    for (const m of ["firewall", "patches"]) statusPerRange(db, m, days);
    expect(pruneObservationLog(db, D0 + DAY + 12 * HOUR, 7)).toBe(2 * 36);
    for (const m of ["firewall", "patches"]) expect(statusPerRange(db, m, days)).toEqual(computed(db, m, days));
    expect(statusPerRange(db, "firewall", days).map((r) => [r.n, r.worst])).toEqual([[0, 0], [12, 2], [24, 0], [24, 0], [0, 0]]);
    db.close();
  });

  it("equals a fresh count after another connection appends to the file (a CLI `gatehouse check`)", () => {
    const dir = mkdtempSync(join(tmpdir(), "gh-strip-"));
    dirs.push(dir);
    const daemon = openStore(dir);
    const cli = openStore(dir);
    seed(daemon);
    statusPerRange(daemon, "firewall", days);
    appendObservation(cli, obs("firewall", D0 + 2 * DAY + HOUR + 1, "fail"));
    expect(statusPerRange(daemon, "firewall", days)).toEqual(computed(daemon, "firewall", days));
    expect(statusPerRange(daemon, "firewall", days)[2]).toMatchObject({ n: 25, worst: 3 });
    cli.close();
    daemon.close();
  });

  it("does not keep what it read inside a transaction that is rolled back", () => {
    const db = openDatabase(":memory:");
    seed(db);
    expect(() =>
      db.transaction(() => {
        appendObservation(db, obs("firewall", D0 + DAY + HOUR + 1, "fail"));
        expect(statusPerRange(db, "firewall", days)[1]).toMatchObject({ n: 25, worst: 3 });
        throw new Error("rolled back");
      })(),
    ).toThrow("rolled back");
    expect(statusPerRange(db, "firewall", days)).toEqual(computed(db, "firewall", days));
    expect(statusPerRange(db, "firewall", days)[1]).toMatchObject({ n: 24, worst: 2 });
    db.close();
  });
});
