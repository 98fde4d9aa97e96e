/**
 * The audit table (append-only: triggers refuse UPDATE and DELETE) and the chain's verification
 * checkpoint. The hash chain itself is computed in src/agent/audit.ts; this module only reads and
 * writes rows.
 */
import type { Db } from "./db.js";
import { statementsFor } from "./statements.js";

/** One audit row as stored. */
export interface AuditRow {
  id: number;
  at: number;
  actor: string;
  action: string;
  target: string;
  detail_json: string;
  address: string;
  prev_hash: string;
  hash: string;
}

/** An audit row before it is written (its id comes from the insert). */
export type NewAuditRow = Omit<AuditRow, "id">;

/** How far the chain was verified: the last verified row, its hash, and the rows up to it. */
export interface StoredAuditCheckpoint {
  id: number;
  hash: string;
  rows: number;
}

const statements = statementsFor((db: Db) => ({
  tip: db.prepare<[], { id: number; hash: string }>("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1"),
  insert: db.prepare<[NewAuditRow]>("INSERT INTO audit (at, actor, action, target, detail_json, address, prev_hash, hash) VALUES (@at, @actor, @action, @target, @detail_json, @address, @prev_hash, @hash)"),
  hashOf: db.prepare<[number], string>("SELECT hash FROM audit WHERE id = ?").pluck(),
  after: db.prepare<[number, number], AuditRow>("SELECT * FROM audit WHERE id > ? ORDER BY id LIMIT ?"),
  lastId: db.prepare<[], number>("SELECT coalesce(max(id), 0) FROM audit").pluck(),
  firstAt: db.prepare<[], number | null>("SELECT min(at) FROM audit").pluck(),
  countBetween: db.prepare<[number, number], number>("SELECT count(*) FROM audit WHERE at >= ? AND at < ?").pluck(),
  actionBetween: db.prepare<[string, number, number], AuditRow>("SELECT * FROM audit WHERE action = ? AND at >= ? AND at < ? ORDER BY id"),
  checkpoint: db.prepare<[], StoredAuditCheckpoint>("SELECT last_id AS id, last_hash AS hash, rows FROM audit_checkpoint WHERE one = 1"),
  saveCheckpoint: db.prepare<[StoredAuditCheckpoint & { at: number }]>(
    `INSERT INTO audit_checkpoint (one, last_id, last_hash, rows, verified_at) VALUES (1, @id, @hash, @rows, @at)
     ON CONFLICT (one) DO UPDATE SET last_id = excluded.last_id, last_hash = excluded.last_hash, rows = excluded.rows, verified_at = excluded.verified_at`,
  ),
}));

/** The newest row's id and hash (the chain's tip), or undefined for an empty log. */
export function auditTip(db: Db): { id: number; hash: string } | undefined {
  return statements(db).tip.get();
}

/** Writes one row; returns its id. */
export function insertAuditRow(db: Db, row: NewAuditRow): number {
  return Number(statements(db).insert.run(row).lastInsertRowid);
}

/** The stored hash of row `id`, or undefined when the row is gone. */
export function auditHashOf(db: Db, id: number): string | undefined {
  return statements(db).hashOf.get(id);
}

/** At most `limit` rows after `id`, in id order, streamed (a full walk never holds them all). */
export function auditRowsAfter(db: Db, id: number, limit: number): IterableIterator<AuditRow> {
  // SQLite reads a negative LIMIT as "no limit".
  return statements(db).after.iterate(id, Number.isFinite(limit) ? limit : -1);
}

/** The newest row's id (0 for an empty log): how far there is to verify. */
export function lastAuditId(db: Db): number {
  return statements(db).lastId.get() ?? 0;
}

/** When the first audit row was written, or null. */
export function firstAuditAt(db: Db): number | null {
  return statements(db).firstAt.get() ?? null;
}

/** Rows written in [from, to). */
export function countAuditBetween(db: Db, from: number, to: number): number {
  return statements(db).countBetween.get(from, to) ?? 0;
}

/** Rows of one action written in [from, to), oldest first. */
export function auditRowsOfAction(db: Db, action: string, from: number, to: number): AuditRow[] {
  return statements(db).actionBetween.all(action, from, to);
}

/** The persisted verification checkpoint, or undefined before the first one. */
export function readAuditCheckpoint(db: Db): StoredAuditCheckpoint | undefined {
  return statements(db).checkpoint.get();
}

/** Persists the verification checkpoint (one row, replaced). */
export function saveAuditCheckpoint(db: Db, cp: StoredAuditCheckpoint, at: number): void {
  statements(db).saveCheckpoint.run({ id: cp.id, hash: cp.hash, rows: cp.rows, at });
}
