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

/** Walks the chain from the first row; reports the first row whose link or hash is wrong. */
export function verifyAudit(db: Db): AuditVerification {
  let prev = GENESIS_HASH;
  let rows = 0;
  let lastId = 0;
  for (const r of db.prepare("SELECT * FROM audit ORDER BY id").iterate() as Iterable<AuditRow>) {
    rows++;
    if (r.prev_hash !== prev) return { ok: false, rows, brokenAt: r.id, reason: `row ${r.id} does not link to the row before it (a row was deleted or inserted)` };
    if (rowHash(prev, r) !== r.hash) return { ok: false, rows, brokenAt: r.id, reason: `row ${r.id} was modified after it was written` };
    prev = r.hash;
    lastId = r.id;
  }
  void lastId;
  return { ok: true, rows };
}
