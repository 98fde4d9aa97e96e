/**
 * The observation log: one small row per check run (source, when, how long) pointing at its
 * result (status, outcome, error, evidence, facts, findings), which is stored once per distinct
 * content and shared. A check that finds what it found before costs one ~20-byte row, so a year
 * of per-minute checks fits in a few hundred MiB instead of gigabytes. Readers keep using the
 * `observations` view (migration 007), which joins the three tables back into the old columns.
 */
import { createHash } from "node:crypto";
import type { Statement } from "better-sqlite3";
import type { Status } from "../../monitors/monitor.js";
import { dataVersion } from "./changes.js";
import type { Db } from "./db.js";
import { statementsFor } from "./statements.js";

/** One check run as stored: the JSON is already serialized, evidence already shortened. */
export interface ObservationRow {
  monitor: string;
  startedAt: number;
  durationMs: number;
  status: Status;
  outcome: "ok" | "not_applicable" | "error";
  error: string | null;
  evidence: string;
  factsJson: string;
  findingsJson: string;
}

const statements = statementsFor((db) => ({
  sourceId: db.prepare<[string], number>("SELECT id FROM observation_sources WHERE name = ?").pluck(),
  addSource: db.prepare<[string]>("INSERT INTO observation_sources (name) VALUES (?)"),
  resultId: db.prepare<[Buffer], number>("SELECT id FROM observation_results WHERE hash = ?").pluck(),
  addResult: db.prepare<[Buffer, string, string, string | null, string, string, string]>(
    "INSERT INTO observation_results (hash, status, outcome, error, evidence, facts_json, findings_json) VALUES (?, ?, ?, ?, ?, ?, ?)",
  ),
  addLog: db.prepare<[number, number, number, number]>("INSERT INTO observation_log (source_id, started_at, duration_ms, result_id) VALUES (?, ?, ?, ?)"),
  sources: db.prepare<[], number>("SELECT id FROM observation_sources ORDER BY id").pluck(),
  pruneLog: db.prepare<[number, number, number]>("DELETE FROM observation_log WHERE id IN (SELECT id FROM observation_log WHERE source_id = ? AND started_at < ? LIMIT ?)"),
  pruneResults: db.prepare<[]>("DELETE FROM observation_results WHERE NOT EXISTS (SELECT 1 FROM observation_log l WHERE l.result_id = observation_results.id)"),
  latestPerSource: db.prepare<[], LatestRun>(
    `SELECT s.name AS monitor, l.started_at, l.duration_ms, r.status, r.outcome FROM observation_sources s
     JOIN observation_log l ON l.id = (SELECT id FROM observation_log WHERE source_id = s.id ORDER BY started_at DESC, id DESC LIMIT 1)
     JOIN observation_results r ON r.id = l.result_id
     ORDER BY s.name`,
  ),
  first: db.prepare<[], number | null>("SELECT min((SELECT started_at FROM observation_log WHERE source_id = s.id ORDER BY started_at LIMIT 1)) FROM observation_sources s").pluck(),
  last: db.prepare<[], number | null>("SELECT max((SELECT started_at FROM observation_log WHERE source_id = s.id ORDER BY started_at DESC LIMIT 1)) FROM observation_sources s").pluck(),
  statusPerRange: db.prepare<[string, string], RangeStatus>(
    `WITH b(i, lo, hi) AS (SELECT key, json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?))
     SELECT b.i AS i, count(l.id) AS n,
            max(CASE r.status WHEN 'fail' THEN 3 WHEN 'warn' THEN 2 WHEN 'unknown' THEN 1 ELSE 0 END) AS worst
     FROM b LEFT JOIN observation_log l ON l.source_id = (SELECT id FROM observation_sources WHERE name = ?) AND l.started_at >= b.lo AND l.started_at < b.hi
     LEFT JOIN observation_results r ON r.id = l.result_id
     GROUP BY b.i ORDER BY b.i`,
  ),
  counts: db.prepare<[], { observations: number; results: number; sources: number }>(
    "SELECT (SELECT count(*) FROM observation_log) AS observations, (SELECT count(*) FROM observation_results) AS results, (SELECT count(*) FROM observation_sources) AS sources",
  ),
}));

/** sha256 of everything a result holds: equal content, equal hash, one stored row. */
export function resultHash(r: Pick<ObservationRow, "status" | "outcome" | "error" | "evidence" | "factsJson" | "findingsJson">): Buffer {
  return createHash("sha256").update(JSON.stringify([r.status, r.outcome, r.error, r.evidence, r.factsJson, r.findingsJson])).digest();
}

/**
 * Appends one observation: its source and result are looked up (and added when new) in the same
 * transaction as the row, so a concurrent prune can never leave it pointing at nothing.
 * Returns the observation's id. Finding state is not touched (see insertObservation).
 */
export function appendObservation(db: Db, o: ObservationRow): number {
  const s = statements(db);
  return db.transaction(() => {
    const sourceId = (s.sourceId.get(o.monitor) as number | undefined) ?? Number(s.addSource.run(o.monitor).lastInsertRowid);
    const hash = resultHash(o);
    const resultId =
      (s.resultId.get(hash) as number | undefined) ??
      Number(s.addResult.run(hash, o.status, o.outcome, o.error, o.evidence, o.factsJson, o.findingsJson).lastInsertRowid);
    const id = Number(s.addLog.run(sourceId, o.startedAt, Math.round(o.durationMs), resultId).lastInsertRowid);
    forgetRangesAt(db, o.monitor, o.startedAt);
    return id;
  })();
}

/**
 * Deletes observations that started before `cutoff` (ms), per source in batches of `batch` rows
 * (each its own short transaction, so the daemon's writer never waits long), then the results no
 * observation points at any more. A result still referenced is never deleted: the query checks
 * it, and the foreign key would refuse it. Returns the number of observations deleted.
 */
export function pruneObservationLog(db: Db, cutoff: number, batch = 5000): number {
  const s = statements(db);
  let total = 0;
  try {
    for (const sourceId of s.sources.all() as number[]) {
      for (;;) {
        const n = s.pruneLog.run(sourceId, cutoff, batch).changes;
        total += n;
        if (n < batch) break;
      }
    }
    s.pruneResults.run();
  } finally {
    // Also after a batch failed half-way: the batches before it were committed.
    forgetRangesBefore(db, cutoff);
  }
  return total;
}

/** The latest observation of one source, as /metrics reports it. */
export interface LatestRun {
  monitor: string;
  started_at: number;
  duration_ms: number;
  status: Status;
  outcome: "ok" | "not_applicable" | "error";
}

/**
 * The latest observation of every source, by name: one indexed lookup per source, where a
 * GROUP BY over the observations would read a year of them at every scrape.
 */
export function latestPerSource(db: Db): LatestRun[] {
  return statements(db).latestPerSource.all();
}

/**
 * When the oldest kept observation started (ms), or null when there is none: one indexed lookup
 * per source, where min() over the observations view would read every row.
 */
export function firstObservationAt(db: Db): number | null {
  return statements(db).first.get() ?? null;
}

/** When the newest observation started (ms), or null: one indexed lookup per source, like firstObservationAt. */
export function lastObservationAt(db: Db): number | null {
  return statements(db).last.get() ?? null;
}

/** One range's count of observations and worst status rank (i: the range's index in the call). */
export interface RangeStatus {
  i: number;
  n: number;
  worst: number | null;
}

/**
 * What statusPerRange worked out, per connection and source, by range: a finished day of a
 * monitor's history never changes, so the monitor page's 30-day strip reads a year of checks once,
 * not at every view. Kept counts are dropped when they may be stale: an observation appended into
 * a kept range (appendObservation), a prune reaching into one (pruneObservationLog), or any commit
 * by another connection or process (`PRAGMA data_version`, e.g. `gatehouse check` run by hand).
 * Ranges are kept only when read outside a transaction, so a rolled-back write is never counted.
 */
interface KeptRange {
  from: number;
  to: number;
  n: number;
  worst: number | null;
}

interface KeptRanges {
  dataVersion: number;
  bySource: Map<string, Map<string, KeptRange>>;
}

/** Kept ranges per source beyond which they start over (a year of days for a few views is far less). */
const MAX_KEPT_RANGES = 1_000;
const keptRanges = new WeakMap<Db, KeptRanges>();

function keptOf(db: Db): KeptRanges {
  let k = keptRanges.get(db);
  if (!k) keptRanges.set(db, (k = { dataVersion: -1, bySource: new Map() }));
  return k;
}

/** Forgets the kept ranges of `source` that hold `at`. */
function forgetRangesAt(db: Db, source: string, at: number): void {
  const ranges = keptRanges.get(db)?.bySource.get(source);
  if (!ranges) return;
  for (const [key, r] of ranges) if (r.from <= at && at < r.to) ranges.delete(key);
}

/** Forgets every kept range that starts before `cutoff` (a prune deleted rows there). */
function forgetRangesBefore(db: Db, cutoff: number): void {
  for (const ranges of keptRanges.get(db)?.bySource.values() ?? []) {
    for (const [key, r] of ranges) if (r.from < cutoff) ranges.delete(key);
  }
}

/**
 * For each time range [from, to): how many observations `monitor` has in it and the worst status
 * rank (3 fail, 2 warn, 1 unknown, 0 pass, and 0 when n is 0). Ranges read before and unchanged
 * since come from memory (see KeptRanges); the others in one statement of indexed range scans on
 * the log (a LEFT JOIN onto the observations view would materialize the whole view first).
 */
export function statusPerRange(db: Db, monitor: string, ranges: readonly { from: number; to: number }[]): RangeStatus[] {
  const kept = keptOf(db);
  const version = dataVersion(db);
  if (version !== kept.dataVersion) {
    kept.bySource.clear();
    kept.dataVersion = version;
  }
  let mine = kept.bySource.get(monitor);
  if (!mine) kept.bySource.set(monitor, (mine = new Map()));
  const key = (r: { from: number; to: number }) => `${r.from}:${r.to}`;
  const missing = ranges.filter((r) => !mine.has(key(r)));
  const fresh = new Map<string, KeptRange>();
  if (missing.length > 0) {
    const remember = !db.inTransaction;
    if (remember && mine.size + missing.length > MAX_KEPT_RANGES) mine.clear();
    for (const row of statements(db).statusPerRange.all(JSON.stringify(missing.map((r) => [r.from, r.to])), monitor)) {
      const r = missing[row.i]!;
      const value = { from: r.from, to: r.to, n: row.n, worst: row.worst };
      fresh.set(key(r), value);
      if (remember) mine.set(key(r), value);
    }
  }
  return ranges.map((r, i) => {
    const v = fresh.get(key(r)) ?? mine.get(key(r))!;
    return { i, n: v.n, worst: v.worst };
  });
}

/** Rows and distinct results, for the benchmark's bytes-per-row and for tests. */
export function observationLogCounts(db: Db): { observations: number; results: number; sources: number } {
  return statements(db).counts.get()!;
}

// --- compliance reads

/** The latest observation of a source, as the compliance scorecard and report read it. */
export interface LatestObservationRow {
  started_at: number;
  outcome: "ok" | "not_applicable" | "error";
  evidence: string;
  findings_json: string;
}

/** A source's state over one window: rule → control overrides, longest prefix first. */
export interface HistoryQuery {
  source: string;
  from: number;
  to: number;
  /** An observation's state holds until the next one, but never longer than this. */
  staleMs: number;
  /** Only for sources several controls share: the control whose state is asked for… */
  control?: string;
  /** …the source's own control (findings no override claims)… */
  ownControl?: string;
  /** …and the rule prefixes that belong to other controls, longest first. */
  overrides?: readonly { prefix: string; control: string }[];
}

// State ranks: 0 grey (no evidence, not applicable), 1 green, 2 amber, 3 red.
const OBSERVATION_STATE = "CASE WHEN outcome = 'not_applicable' THEN 0 WHEN status = 'pass' THEN 1 WHEN status = 'fail' THEN 3 ELSE 2 END";
const FINDING_STATE = `CASE WHEN rule IS NULL THEN 1 WHEN rule LIKE '%\\_no\\_evidence' ESCAPE '\\' OR rule LIKE '%.not\\_applicable' ESCAPE '\\' THEN 0
  WHEN st = 'pass' THEN 1 WHEN st = 'fail' THEN 3 ELSE 2 END`;
const PROBE_RULE = "rule LIKE '%.probe\\_error' ESCAPE '\\' OR rule LIKE '%.policy\\_error' ESCAPE '\\' OR rule LIKE '%.not\\_applicable' ESCAPE '\\'";
// The observations in the window, and the last one before it (its state reaches into the window).
const IN_WINDOW = (cols: string) => `SELECT ${cols} FROM observations WHERE monitor = @source AND started_at >= @from AND started_at < @to
  UNION ALL SELECT * FROM (SELECT ${cols} FROM observations WHERE monitor = @source AND started_at < @from ORDER BY started_at DESC LIMIT 1)`;
// Each state's time: until the next observation, the window's end or staleness, whichever is first.
const TIME_IN_STATE = "w AS (SELECT t, s, lead(t) OVER (ORDER BY t) AS nt FROM b) SELECT s, sum(max(0, min(coalesce(nt, @to), @to, t + @stale) - max(t, @from))) AS ms FROM w GROUP BY s";

type WindowParams = { source: string; from: number; to: number; stale: number };

/**
 * Several controls share the source: the worst finding that maps to @control decides (probe
 * findings count for every control of the source); rule → control is the first override whose
 * LIKE pattern @p<i> matches (they come longest first: control @c<i>), else @own. The text
 * depends only on how many overrides a source declares (a few), so each shape is prepared once
 * per connection; the patterns and controls are bound. (A subquery over a bound JSON list, or a
 * JavaScript function per finding row, made a year's scan two to four times slower.)
 */
function sharedHistorySql(n: number): string {
  const ctl = `CASE ${Array.from({ length: n }, (_, i) => `WHEN rule LIKE @p${i} ESCAPE '\\' THEN @c${i}`).join(" ")} ELSE @own END`;
  return `WITH f AS (SELECT o.id AS id, o.t AS t, json_extract(j.value, '$.rule') AS rule, json_extract(j.value, '$.status') AS st
            FROM (${IN_WINDOW("id, started_at AS t, findings_json")}) o LEFT JOIN json_each(o.findings_json) j),
     c AS (SELECT id, t, coalesce(${PROBE_RULE}, 0) AS probe, ${ctl} AS ctl, ${FINDING_STATE} AS fs FROM f),
     b AS (SELECT t, coalesce(max(CASE WHEN probe OR ctl = @control THEN fs END), 0) AS s FROM c GROUP BY id, t),
     ${TIME_IN_STATE}`;
}

const sharedHistoryStatements = statementsFor(() => new Map<number, Statement<[Record<string, string | number>], { s: number; ms: number }>>());

const complianceStatements = statementsFor((db: Db) => ({
  latest: db.prepare<[string], LatestObservationRow>("SELECT started_at, outcome, evidence, findings_json FROM observations WHERE monitor = ? ORDER BY started_at DESC, id DESC LIMIT 1"),
  latestIn: db.prepare<[string, number, number], LatestObservationRow>(
    "SELECT started_at, outcome, evidence, findings_json FROM observations WHERE monitor = ? AND started_at >= ? AND started_at < ? ORDER BY started_at DESC, id DESC LIMIT 1",
  ),
  // The observation's own status is the control's state.
  history: db.prepare<WindowParams, { s: number; ms: number }>(`WITH b AS (${IN_WINDOW(`started_at AS t, ${OBSERVATION_STATE} AS s`)}), ${TIME_IN_STATE}`),
  // Several controls share the source: the worst finding that maps to @control decides (probe
  // findings count for every control of the source); rule → control is the first override
  // whose pattern matches (they come longest first), else the source's own control.
}));

/** The latest observation of a source, or undefined when it never reported. */
export function latestObservationOf(db: Db, source: string): LatestObservationRow | undefined {
  return complianceStatements(db).latest.get(source);
}

/** The latest observation of a source in [from, to), or undefined. */
export function latestObservationIn(db: Db, source: string, from: number, to: number): LatestObservationRow | undefined {
  return complianceStatements(db).latestIn.get(source, from, to);
}

/**
 * Milliseconds in each state rank (0 grey, 1 green, 2 amber, 3 red) for a source over one window,
 * as SQL computes them in one indexed scan; ranks never seen are absent.
 */
export function observationStateTimes(db: Db, q: HistoryQuery): Map<number, number> {
  const s = complianceStatements(db);
  const window = { source: q.source, from: q.from, to: q.to, stale: q.staleMs };
  const overrides = q.overrides ?? [];
  if (overrides.length === 0) return new Map(s.history.all(window).map((r) => [r.s, r.ms]));
  const shapes = sharedHistoryStatements(db);
  let shared = shapes.get(overrides.length);
  if (!shared) shapes.set(overrides.length, (shared = db.prepare(sharedHistorySql(overrides.length))));
  const bound: Record<string, string | number> = { ...window, control: q.control ?? "", own: q.ownControl ?? "" };
  overrides.forEach((o, i) => {
    bound[`p${i}`] = `${o.prefix.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
    bound[`c${i}`] = o.control;
  });
  const rows = shared.all(bound);
  return new Map(rows.map((r) => [r.s, r.ms]));
}
