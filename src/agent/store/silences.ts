/**
 * The `silences` table (maintenance windows), prepared once per connection and mapped to
 * camelCase here. What a silence may match and how long it may last is checked in
 * `alerts/silences.ts`; this module only stores and reads.
 */
import type { Db } from "./db.js";
import { statementsFor } from "./statements.js";

/** A maintenance window as stored. */
export interface Silence {
  id: number;
  match: string;
  reason: string;
  createdBy: string;
  createdAt: number;
  expiresAt: number;
  endedAt: number | null;
  endedBy: string | null;
}

interface SilenceRow {
  id: number;
  match: string;
  reason: string;
  created_by: string;
  created_at: number;
  expires_at: number;
  ended_at: number | null;
  ended_by: string | null;
}

const toSilence = (r: SilenceRow): Silence => ({
  id: r.id,
  match: r.match,
  reason: r.reason,
  createdBy: r.created_by,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  endedAt: r.ended_at,
  endedBy: r.ended_by,
});

const statements = statementsFor((db) => ({
  byId: db.prepare<[number], SilenceRow>("SELECT * FROM silences WHERE id = ?"),
  active: db.prepare<[number, number], SilenceRow>("SELECT * FROM silences WHERE ended_at IS NULL AND created_at <= ? AND expires_at > ? ORDER BY id"),
  current: db.prepare<[number, number], SilenceRow>("SELECT * FROM silences WHERE ended_at IS NULL AND expires_at > ? ORDER BY id DESC LIMIT ?"),
  all: db.prepare<[number], SilenceRow>("SELECT * FROM silences ORDER BY id DESC LIMIT ?"),
  insert: db.prepare<[string, string, string, number, number]>("INSERT INTO silences (match, reason, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?)"),
  end: db.prepare<[number, string, number, number]>("UPDATE silences SET ended_at = ?, ended_by = ? WHERE id = ? AND ended_at IS NULL AND expires_at > ?"),
}));

/** One silence by id. */
export function silenceById(db: Db, id: number): Silence | undefined {
  const r = statements(db).byId.get(id);
  return r && toSilence(r);
}

/** Silences in force at `now`, oldest first. */
export function activeSilences(db: Db, now: number): Silence[] {
  return statements(db).active.all(now, now).map(toSilence);
}

/** Silences, newest first: those not lifted and not expired at `now`, or with `all` every one. */
export function recentSilences(db: Db, q: { now: number; all: boolean; limit: number }): Silence[] {
  const s = statements(db);
  return (q.all ? s.all.all(q.limit) : s.current.all(q.now, q.limit)).map(toSilence);
}

/** Stores a silence from `createdAt` to `expiresAt`; returns it. */
export function insertSilence(db: Db, s: { match: string; reason: string; createdBy: string; createdAt: number; expiresAt: number }): Silence {
  const id = Number(statements(db).insert.run(s.match, s.reason, s.createdBy, s.createdAt, s.expiresAt).lastInsertRowid);
  return silenceById(db, id)!;
}

/** Lifts a silence still in force at `at`; undefined when there is none with that id. */
export function liftSilence(db: Db, id: number, by: string, at: number): Silence | undefined {
  return statements(db).end.run(at, by, id, at).changes === 0 ? undefined : silenceById(db, id);
}
