/**
 * The audit table (append-only: triggers refuse UPDATE and DELETE), its hash chain (each row's
 * hash covers the previous row's, so an edited or deleted row breaks it) and the chain's
 * verification checkpoint. src/agent/audit.ts watches the chain of a running daemon.
 */
import { createHash } from "node:crypto";
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

const statements = statementsFor((db: Db) => ({
  tip: db.prepare<[], { id: number; hash: string }>("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1"),
  insert: db.prepare<[NewAuditRow]>("INSERT INTO audit (at, actor, action, target, detail_json, address, prev_hash, hash) VALUES (@at, @actor, @action, @target, @detail_json, @address, @prev_hash, @hash)"),
  hashOf: db.prepare<[number], string>("SELECT hash FROM audit WHERE id = ?").pluck(),
  after: db.prepare<[number, number], AuditRow>("SELECT * FROM audit WHERE id > ? ORDER BY id LIMIT ?"),
  lastId: db.prepare<[], number>("SELECT coalesce(max(id), 0) FROM audit").pluck(),
  firstAt: db.prepare<[], number | null>("SELECT min(at) FROM audit").pluck(),
  countBetween: db.prepare<[number, number], number>("SELECT count(*) FROM audit WHERE at >= ? AND at < ?").pluck(),
  actionBetween: db.prepare<[string, number, number], AuditRow>("SELECT * FROM audit WHERE action = ? AND at >= ? AND at < ? ORDER BY id"),
}));

// Apart: a store still being migrated (no audit_checkpoint yet) writes audit rows too.
const checkpointStatements = statementsFor((db: Db) => ({
  checkpoint: db.prepare<[], AuditCheckpoint>("SELECT last_id AS id, last_hash AS hash, rows FROM audit_checkpoint WHERE one = 1"),
  saveCheckpoint: db.prepare<[AuditCheckpoint & { at: number }]>(
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
export function readAuditCheckpoint(db: Db): AuditCheckpoint | undefined {
  return checkpointStatements(db).checkpoint.get();
}

/** Persists the verification checkpoint (one row, replaced). */
export function saveAuditCheckpoint(db: Db, cp: AuditCheckpoint, at: number): void {
  checkpointStatements(db).saveCheckpoint.run({ id: cp.id, hash: cp.hash, rows: cp.rows, at });
}

// --- the hash chain

export const GENESIS_HASH = "0".repeat(64);

export interface AuditEntry {
  actor: string;
  action: string;
  target?: string;
  detail?: Record<string, unknown>;
  address?: string;
  at?: number;
}

function rowHash(prev: string, r: Pick<AuditRow, "at" | "actor" | "action" | "target" | "detail_json" | "address">): string {
  return createHash("sha256")
    .update(prev)
    .update("\n")
    .update(JSON.stringify([r.at, r.actor, r.action, r.target, r.detail_json, r.address]))
    .digest("hex");
}

/** Appends one entry; call inside the transaction that makes the change it records. */
export function appendAudit(db: Db, e: AuditEntry): AuditRow {
  const prev = auditTip(db)?.hash ?? GENESIS_HASH;
  const row = {
    at: e.at ?? Date.now(),
    actor: e.actor,
    action: e.action,
    target: e.target ?? "",
    detail_json: JSON.stringify(e.detail ?? {}),
    address: e.address ?? "",
  };
  const hash = rowHash(prev, row);
  const id = insertAuditRow(db, { ...row, prev_hash: prev, hash });
  return { id, ...row, prev_hash: prev, hash };
}

export type AuditVerification = { ok: true; rows: number } | { ok: false; rows: number; brokenAt: number; reason: string };

/** How far the chain has been verified: the last verified row, its hash, and the rows up to it. */
export interface AuditCheckpoint {
  id: number;
  hash: string;
  rows: number;
}

export const AUDIT_START: AuditCheckpoint = { id: 0, hash: GENESIS_HASH, rows: 0 };

/**
 * Verifies at most `limit` rows after `from` (the rows before it were verified already) and
 * returns the new checkpoint; `done` when no row is left, `read` the rows it read. The checkpoint
 * row itself is read again first: a verified row that was since changed or deleted breaks the
 * chain there.
 */
export function verifyAuditFrom(db: Db, from: AuditCheckpoint, limit = Number.POSITIVE_INFINITY): { result: AuditVerification; checkpoint: AuditCheckpoint; done: boolean; read: number } {
  if (from.id > 0 && auditHashOf(db, from.id) !== from.hash) {
    return { result: { ok: false, rows: from.rows, brokenAt: from.id, reason: `row ${from.id} was changed or deleted after it was verified` }, checkpoint: from, done: true, read: 0 };
  }
  let { id, hash: prev, rows } = from;
  let seen = 0;
  for (const r of auditRowsAfter(db, from.id, limit)) {
    seen++;
    rows++;
    const at = { id, hash: prev, rows: rows - 1 };
    const broken = (reason: string) => ({ result: { ok: false as const, rows, brokenAt: r.id, reason }, checkpoint: at, done: true, read: seen });
    if (r.prev_hash !== prev) return broken(`row ${r.id} does not link to the row before it (a row was deleted or inserted)`);
    if (rowHash(prev, r) !== r.hash) return broken(`row ${r.id} was modified after it was written`);
    prev = r.hash;
    id = r.id;
  }
  return { result: { ok: true, rows }, checkpoint: { id, hash: prev, rows }, done: seen < limit, read: seen };
}

/**
 * Walks the chain from the first row; reports the first row whose link or hash is wrong, and a
 * chain that no longer holds the row last verified as it was (its end cut off, or the whole chain
 * rewritten after it): the persisted checkpoint is what a hash chain alone lacks.
 */
export function verifyAudit(db: Db): AuditVerification {
  const { result } = verifyAuditFrom(db, AUDIT_START);
  const saved = readAuditCheckpoint(db);
  if (!result.ok || !saved || saved.id === 0 || auditHashOf(db, saved.id) === saved.hash) return result;
  return { ok: false, rows: result.rows, brokenAt: saved.id, reason: `row ${saved.id} was changed or deleted after it was verified` };
}

// --- console reads

/** A filter of the audit page: each field absent (null) or matched. */
export interface AuditFilter {
  actor: string | null;
  actionPrefix: string | null;
  from: number | null;
  to: number | null;
  limit: number;
}

const consoleAuditReads = statementsFor((db) => ({
  // One statement for every filter, an absent one NULL: the audit table has no index but its id,
  // so every variant walks it newest first until `limit` rows matched.
  query: db.prepare<[AuditFilter], AuditRow>(
    `SELECT * FROM audit
     WHERE (@actor IS NULL OR actor = @actor)
       AND (@actionPrefix IS NULL OR substr(action, 1, length(@actionPrefix)) = @actionPrefix)
       AND (@from IS NULL OR at >= @from)
       AND (@to IS NULL OR at < @to)
     ORDER BY id DESC LIMIT @limit`,
  ),
  forTarget: db.prepare<[string, number], AuditRow>("SELECT * FROM audit WHERE target = ? ORDER BY id DESC LIMIT ?"),
  reportByDigest: db.prepare<[string], { at: number; actor: string; target: string }>(
    `SELECT at, actor, target FROM audit WHERE action = 'report.generate'
       AND ? IN (json_extract(detail_json, '$.html_sha256'), json_extract(detail_json, '$.content_sha256'), json_extract(detail_json, '$.json_sha256'))
     ORDER BY id LIMIT 1`,
  ),
}));

/** Audit rows matching `f`, newest first (the audit page and its CSV export). */
export function filteredAuditRows(db: Db, f: AuditFilter): AuditRow[] {
  return consoleAuditReads(db).query.all(f);
}

/** Audit rows about one target (a register entry "baa:3"), newest first. */
export function auditRowsForTarget(db: Db, target: string, limit: number): AuditRow[] {
  return consoleAuditReads(db).forTarget.all(target, limit);
}

/** The first `report.generate` row whose detail holds this digest (of the JSON content, the HTML, or a format /1 seal). */
export function reportGenerationByDigest(db: Db, sha256: string): { at: number; actor: string; target: string } | undefined {
  return consoleAuditReads(db).reportByDigest.get(sha256);
}
