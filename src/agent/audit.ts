/**
 * The audit log: append-only (triggers refuse UPDATE and DELETE) and hash-chained, so that an
 * edited or deleted row is detected by `verifyAudit`. Never pass a secret in `detail`.
 */
import { createHash } from "node:crypto";
import type { Db } from "./store/db.js";

export const GENESIS_HASH = "0".repeat(64);

export interface AuditEntry {
  actor: string;
  action: string;
  target?: string;
  detail?: Record<string, unknown>;
  address?: string;
  at?: number;
}

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

function rowHash(prev: string, r: Pick<AuditRow, "at" | "actor" | "action" | "target" | "detail_json" | "address">): string {
  return createHash("sha256")
    .update(prev)
    .update("\n")
    .update(JSON.stringify([r.at, r.actor, r.action, r.target, r.detail_json, r.address]))
    .digest("hex");
}

/** Appends one entry; call inside the transaction that makes the change it records. */
export function appendAudit(db: Db, e: AuditEntry): AuditRow {
  const last = db.prepare("SELECT hash FROM audit ORDER BY id DESC LIMIT 1").get() as { hash: string } | undefined;
  const prev = last?.hash ?? GENESIS_HASH;
  const row = {
    at: e.at ?? Date.now(),
    actor: e.actor,
    action: e.action,
    target: e.target ?? "",
    detail_json: JSON.stringify(e.detail ?? {}),
    address: e.address ?? "",
  };
  const hash = rowHash(prev, row);
  const info = db
    .prepare("INSERT INTO audit (at, actor, action, target, detail_json, address, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
    .run(row.at, row.actor, row.action, row.target, row.detail_json, row.address, prev, hash);
  return { id: Number(info.lastInsertRowid), ...row, prev_hash: prev, hash };
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
 * returns the new checkpoint; `done` when no row is left. The checkpoint row itself is read again
 * first: a verified row that was since changed or deleted breaks the chain there.
 */
export function verifyAuditFrom(db: Db, from: AuditCheckpoint, limit = Number.POSITIVE_INFINITY): { result: AuditVerification; checkpoint: AuditCheckpoint; done: boolean } {
  if (from.id > 0) {
    const anchor = db.prepare("SELECT hash FROM audit WHERE id = ?").get(from.id) as { hash: string } | undefined;
    if (anchor?.hash !== from.hash) {
      return { result: { ok: false, rows: from.rows, brokenAt: from.id, reason: `row ${from.id} was changed or deleted after it was verified` }, checkpoint: from, done: true };
    }
  }
  let { id, hash: prev, rows } = from;
  let seen = 0;
  const stmt = db.prepare(Number.isFinite(limit) ? "SELECT * FROM audit WHERE id > ? ORDER BY id LIMIT ?" : "SELECT * FROM audit WHERE id > ? ORDER BY id");
  const args = Number.isFinite(limit) ? [from.id, limit] : [from.id];
  for (const r of stmt.iterate(...args) as Iterable<AuditRow>) {
    seen++;
    rows++;
    const at = { id, hash: prev, rows: rows - 1 };
    if (r.prev_hash !== prev) return { result: { ok: false, rows, brokenAt: r.id, reason: `row ${r.id} does not link to the row before it (a row was deleted or inserted)` }, checkpoint: at, done: true };
    if (rowHash(prev, r) !== r.hash) return { result: { ok: false, rows, brokenAt: r.id, reason: `row ${r.id} was modified after it was written` }, checkpoint: at, done: true };
    prev = r.hash;
    id = r.id;
  }
  return { result: { ok: true, rows }, checkpoint: { id, hash: prev, rows }, done: seen < limit };
}

/** Walks the chain from the first row; reports the first row whose link or hash is wrong. */
export function verifyAudit(db: Db): AuditVerification {
  return verifyAuditFrom(db, AUDIT_START).result;
}

/** Rows verified per slice of a background walk (a few ms of the event loop each). */
const SLICE_ROWS = 1_000;
/** A full walk from the first row again, at most this often (catches edits behind the checkpoint). */
const FULL_WALK_EVERY_MS = 24 * 3_600_000;

/**
 * The chain of one database as the daemon watches it: verified incrementally from the last
 * verified row (the checkpoint, kept in memory), in slices between other work, never on a
 * caller's time. Pages and health checks read `current()`, which costs one indexed lookup.
 */
export class AuditChain {
  private checkpoint = AUDIT_START;
  private result: AuditVerification = { ok: true, rows: 0 };
  private walking: Promise<AuditVerification> | undefined;
  private lastFullWalk = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The state as last verified, and how many rows wait for verification. Starts a background walk
   * when rows were added (or a full one is due); never walks on the caller's time.
   */
  current(): AuditVerification & { pending: number } {
    const last = (this.db.prepare("SELECT max(id) AS id FROM audit").get() as { id: number | null }).id ?? 0;
    const pending = Math.max(0, last - this.checkpoint.id);
    if (this.result.ok && !this.walking && (pending > 0 || this.now() - this.lastFullWalk >= FULL_WALK_EVERY_MS)) void this.walk();
    return { ...this.result, pending: this.result.ok ? pending : 0 };
  }

  /**
   * Verifies up to the last row, in slices that yield to the event loop: from the checkpoint, or
   * from the first row when `full` (or when a daily full walk is due). Resolves with the state
   * reached. A call while a walk runs joins it (a full walk asked for then starts after it).
   */
  async walk(opts: { full?: boolean } = {}): Promise<AuditVerification> {
    if (this.walking) {
      const r = await this.walking;
      if (!opts.full) return r;
    }
    this.walking ??= this.run(opts.full ?? false).finally(() => (this.walking = undefined));
    return this.walking;
  }

  /** Verifies the rows added since the checkpoint right away (for callers off the request path). */
  verifyNow(): AuditVerification {
    if (!this.result.ok) return this.result;
    const r = verifyAuditFrom(this.db, this.checkpoint);
    this.checkpoint = r.checkpoint;
    this.result = r.result;
    return this.result;
  }

  private async run(asked: boolean): Promise<AuditVerification> {
    const full = asked || this.now() - this.lastFullWalk >= FULL_WALK_EVERY_MS;
    if (full) this.lastFullWalk = this.now();
    let cp = full ? AUDIT_START : this.checkpoint;
    for (;;) {
      // Yield first: a walk started by a caller never runs on that caller's time.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (!this.db.open) return this.result;
      const r = verifyAuditFrom(this.db, cp, SLICE_ROWS);
      cp = r.checkpoint;
      if (!r.result.ok) {
        this.result = r.result;
        this.checkpoint = cp;
        return this.result;
      }
      // The shared checkpoint only moves forward: a full walk takes over once it has caught up.
      if (cp.id >= this.checkpoint.id) {
        this.checkpoint = cp;
        this.result = r.result;
      }
      if (r.done) return this.result;
    }
  }
}

const chains = new WeakMap<Db, AuditChain>();

/** The one AuditChain of a database connection (console pages, health and compliance share its checkpoint). */
export function auditChain(db: Db): AuditChain {
  let c = chains.get(db);
  if (!c) chains.set(db, (c = new AuditChain(db)));
  return c;
}
