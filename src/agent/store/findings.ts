/**
 * Finding state (what every source says now, and since when) and remembered list items (when
 * each item of a list fact was first seen). Written by the findings pipeline
 * (src/agent/findings/record.ts) and the runner; read by the console, the scorecard, the door
 * engine's tick and the CLI.
 */
import type { Facts, Status } from "../../monitors/monitor.js";
import { findingKey, type Finding, type FindingKind } from "../evaluator.js";
import type { Db } from "./db.js";
import { statementsFor } from "./statements.js";

/** One row of finding_state: the current finding of one key (`source|rule|subject`). */
export interface FindingStateRow {
  key: string;
  monitor: string;
  rule: string;
  subject: string;
  kind: FindingKind;
  status: Status;
  message: string;
  since: number;
  last_seen: number;
}

/** An upsert's parameters: the row without its times, and the instant it was seen. */
type UpsertParams = Omit<FindingStateRow, "since" | "last_seen"> & { at: number };

const statements = statementsFor((db: Db) => ({
  keysOf: db.prepare<[string], string>("SELECT key FROM finding_state WHERE monitor = ?").pluck(),
  upsert: db.prepare<UpsertParams>(
    `INSERT INTO finding_state (key, monitor, rule, subject, kind, status, message, since, last_seen)
     VALUES (@key, @monitor, @rule, @subject, @kind, @status, @message, @at, @at)
     ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, message = excluded.message, last_seen = excluded.last_seen,
       since = CASE WHEN finding_state.status = excluded.status THEN finding_state.since ELSE excluded.since END,
       status = excluded.status`,
  ),
  deleteKey: db.prepare<[string]>("DELETE FROM finding_state WHERE key = ?"),
  ofSource: db.prepare<[string], FindingStateRow>("SELECT * FROM finding_state WHERE monitor = ? ORDER BY key"),
  all: db.prepare<[], FindingStateRow>("SELECT * FROM finding_state ORDER BY key"),
  // LIKE with an escaped prefix: `host:%` must not match `hostile`, and `_` in a prefix is literal.
  withPrefix: db.prepare<[string], FindingStateRow>("SELECT * FROM finding_state WHERE monitor LIKE ? ESCAPE '\\' ORDER BY monitor, rule, subject"),
  sources: db.prepare<[], string>("SELECT DISTINCT monitor FROM finding_state ORDER BY monitor").pluck(),
  rememberItem: db.prepare<[string, string, string, number, number]>(
    `INSERT INTO fact_items (monitor, fact_key, item, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (monitor, fact_key, item) DO UPDATE SET last_seen = excluded.last_seen`,
  ),
  forgetItems: db.prepare<[string, number]>("DELETE FROM fact_items WHERE monitor = ? AND last_seen < ?"),
  items: db.prepare<[string], { fact_key: string; item: string; first_seen: number }>("SELECT fact_key, item, first_seen FROM fact_items WHERE monitor = ?"),
}));

/**
 * Writes a source's findings as its current state at `at`. `complete`: the findings are the
 * source's whole set, so keys it no longer reports are deleted; otherwise only the keys given
 * change (a door event reports one sensor's rules, not every sensor's). A key keeps its `since`
 * while its status stays the same. Call inside the caller's transaction.
 */
export function writeFindingState(db: Db, source: string, findings: readonly Finding[], at: number, complete: boolean): void {
  const s = statements(db);
  const seen = new Set<string>();
  for (const f of findings) {
    const key = findingKey(source, f);
    seen.add(key);
    s.upsert.run({ key, monitor: source, rule: f.rule, subject: f.subject ?? "", kind: f.kind, status: f.status, message: f.message, at });
  }
  if (!complete) return;
  for (const key of s.keysOf.all(source)) if (!seen.has(key)) s.deleteKey.run(key);
}

/** Current findings of one source (`firewall`, `doors`, `host:7`), or of every source; by key. */
export function currentFindings(db: Db, source?: string): FindingStateRow[] {
  const s = statements(db);
  return source === undefined ? s.all.all() : s.ofSource.all(source);
}

/** Current findings of every source whose name starts with `prefix` (`host:` = every computer). */
export function findingsWithSourcePrefix(db: Db, prefix: string): FindingStateRow[] {
  return statements(db).withPrefix.all(`${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
}

/** Every source that has a current finding (monitors, `compliance`, `doors`, `host:<id>` …). */
export function findingSources(db: Db): string[] {
  return statements(db).sources.all();
}

/**
 * Remembers the items of a source's list facts as seen at `at`; an item no longer listed is
 * forgotten, so one that comes back later starts a new "first seen".
 */
export function rememberItems(db: Db, source: string, facts: Facts, at: number): void {
  const s = statements(db);
  for (const [key, value] of Object.entries(facts)) {
    if (!Array.isArray(value)) continue;
    for (const item of value) s.rememberItem.run(source, key, item, at, at);
  }
  s.forgetItems.run(source, at);
}

/** first_seen per item of a source's list facts, for PolicyContext.firstSeen. */
export function loadFirstSeen(db: Db, source: string): (factKey: string, item: string) => Date | undefined {
  const map = new Map(statements(db).items.all(source).map((r) => [`${r.fact_key}\u0000${r.item}`, r.first_seen]));
  return (factKey, item) => {
    const t = map.get(`${factKey}\u0000${item}`);
    return t === undefined ? undefined : new Date(t);
  };
}
