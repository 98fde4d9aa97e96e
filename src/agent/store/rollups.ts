/**
 * Daily rollups of the compliance history (table `compliance_rollups`): time in each state per
 * source, control and complete UTC day, computed once and summed afterwards.
 */
import type { Db } from "./db.js";
import { statementsFor } from "./statements.js";

/** Which rollups: one source's evidence of one control, computed with one staleness and version. */
export interface RollupKey {
  source: string;
  control: string;
  staleMs: number;
  version: number;
}

/** Milliseconds in each state. */
export interface StateMs {
  green: number;
  amber: number;
  red: number;
  grey: number;
}

type KeyParams = { source: string; control: string; stale: number; version: number };
const params = (k: RollupKey): KeyParams => ({ source: k.source, control: k.control, stale: k.staleMs, version: k.version });
const KEY = "source = @source AND control = @control AND stale_ms = @stale AND version = @version";

const statements = statementsFor((db: Db) => ({
  days: db.prepare<KeyParams & { lo: number; hi: number }, number>(`SELECT day FROM compliance_rollups WHERE ${KEY} AND day >= @lo AND day < @hi`).pluck(),
  put: db.prepare<KeyParams & StateMs & { day: number }>(
    "INSERT OR REPLACE INTO compliance_rollups (source, control, stale_ms, version, day, green_ms, amber_ms, red_ms, grey_ms) VALUES (@source, @control, @stale, @version, @day, @green, @amber, @red, @grey)",
  ),
  sum: db.prepare<KeyParams & { lo: number; hi: number }, StateMs>(
    `SELECT coalesce(sum(green_ms), 0) AS green, coalesce(sum(amber_ms), 0) AS amber, coalesce(sum(red_ms), 0) AS red, coalesce(sum(grey_ms), 0) AS grey
     FROM compliance_rollups WHERE ${KEY} AND day >= @lo AND day < @hi`,
  ),
}));

/** The days in [lo, hi) that have a rollup. */
export function rolledDays(db: Db, key: RollupKey, lo: number, hi: number): Set<number> {
  return new Set(statements(db).days.all({ ...params(key), lo, hi }));
}

/** Stores the rollup of one day. */
export function putRollup(db: Db, key: RollupKey, day: number, t: StateMs): void {
  statements(db).put.run({ ...params(key), day, green: t.green, amber: t.amber, red: t.red, grey: t.grey });
}

/** The sum of the rollups of the days in [lo, hi). */
export function sumRollups(db: Db, key: RollupKey, lo: number, hi: number): StateMs {
  return { ...statements(db).sum.get({ ...params(key), lo, hi })! };
}
