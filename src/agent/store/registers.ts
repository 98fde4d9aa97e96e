/**
 * The compliance registers' tables (compliance_baas, _training, _access_reviews, _restore_tests,
 * _incidents) and the "registers changed" mark. Each table's statements are built once per
 * connection from the constant column lists below (never from input; values are always bound);
 * src/agent/compliance/registers.ts declares the same fields for validation, and a test keeps
 * the two equal.
 */
import type { Statement } from "better-sqlite3";
import type { Db } from "./db.js";
import { statementsFor } from "./statements.js";

/** Each register's table, its field columns (besides id, created_at, updated_at) and listing order. */
export const REGISTER_TABLES = {
  baa: { table: "compliance_baas", columns: ["covered_entity", "contact", "phi_scope", "signed_on", "expires_on", "copy_location"], orderBy: "covered_entity, id" },
  training: { table: "compliance_training", columns: ["person", "training", "completed_on", "due_on"], orderBy: "person, training, completed_on, id" },
  access_review: { table: "compliance_access_reviews", columns: ["reviewed_on", "reviewer", "accounts", "changes"], orderBy: "reviewed_on, id" },
  restore_test: { table: "compliance_restore_tests", columns: ["tested_on", "backup_set", "result", "restore_hours", "tested_by", "notes"], orderBy: "tested_on, id" },
  incident: { table: "compliance_incidents", columns: ["occurred_on", "description", "actions", "closed_on"], orderBy: "occurred_on, id" },
} as const satisfies Record<string, { table: string; columns: readonly string[]; orderBy: string }>;

export type RegisterTableId = keyof typeof REGISTER_TABLES;

export type StoredValue = string | number | null;
/** A stored row: the register's fields plus id and timestamps. */
export type StoredRegisterRow = { id: number; created_at: number; updated_at: number } & Record<string, StoredValue>;

/** alerting_state key set by every register change; the daemon's minute tick re-evaluates. */
export const REGISTERS_CHANGED_KEY = "compliance.registers_changed";

interface TableStatements {
  list: Statement<[], StoredRegisterRow>;
  get: Statement<[number], StoredRegisterRow>;
  insert: Statement<StoredValue[]>;
  update: Statement<StoredValue[]>;
  remove: Statement<[number]>;
}

const statements = statementsFor((db: Db) => {
  const tables = {} as Record<RegisterTableId, TableStatements>;
  for (const [id, t] of Object.entries(REGISTER_TABLES) as [RegisterTableId, (typeof REGISTER_TABLES)[RegisterTableId]][]) {
    const cols: readonly string[] = t.columns;
    tables[id] = {
      list: db.prepare<[], StoredRegisterRow>(`SELECT * FROM ${t.table} ORDER BY ${t.orderBy}`),
      get: db.prepare<[number], StoredRegisterRow>(`SELECT * FROM ${t.table} WHERE id = ?`),
      insert: db.prepare<StoredValue[]>(`INSERT INTO ${t.table} (${cols.join(", ")}, created_at, updated_at) VALUES (${cols.map(() => "?").join(", ")}, ?, ?)`),
      update: db.prepare<StoredValue[]>(`UPDATE ${t.table} SET ${cols.map((c) => `${c} = ?`).join(", ")}, updated_at = ? WHERE id = ?`),
      remove: db.prepare<[number]>(`DELETE FROM ${t.table} WHERE id = ?`),
    };
  }
  return {
    tables,
    mark: db.prepare<[string, string, number]>("INSERT INTO alerting_state (key, value, at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, at = excluded.at"),
    marked: db.prepare<[string], number>("SELECT at FROM alerting_state WHERE key = ?").pluck(),
    unmark: db.prepare<[string]>("DELETE FROM alerting_state WHERE key = ?"),
  };
});

const valuesOf = (id: RegisterTableId, values: Readonly<Record<string, StoredValue>>): StoredValue[] => REGISTER_TABLES[id].columns.map((c) => values[c] ?? null);

/** Every row of a register, in its listing order. */
export function listRegisterRows(db: Db, id: RegisterTableId): StoredRegisterRow[] {
  return statements(db).tables[id].list.all();
}

/** One row, or undefined. */
export function registerRow(db: Db, id: RegisterTableId, rowId: number): StoredRegisterRow | undefined {
  return statements(db).tables[id].get.get(rowId);
}

/** Inserts a row (missing fields are NULL); returns its id. */
export function insertRegisterRow(db: Db, id: RegisterTableId, values: Readonly<Record<string, StoredValue>>, now: number): number {
  return Number(statements(db).tables[id].insert.run(...valuesOf(id, values), now, now).lastInsertRowid);
}

/** Replaces a row's fields. */
export function updateRegisterRowFields(db: Db, id: RegisterTableId, rowId: number, values: Readonly<Record<string, StoredValue>>, now: number): void {
  statements(db).tables[id].update.run(...valuesOf(id, values), now, rowId);
}

/** Deletes a row. */
export function deleteRegisterRowById(db: Db, id: RegisterTableId, rowId: number): void {
  statements(db).tables[id].remove.run(rowId);
}

/** Marks the registers changed (`action` says how), in the caller's transaction. */
export function markRegistersChanged(db: Db, action: string, now: number): void {
  statements(db).mark.run(REGISTERS_CHANGED_KEY, action, now);
}

/** Takes the "registers changed" mark: true when it was set (and clears it). */
export function takeRegistersChanged(db: Db): boolean {
  const s = statements(db);
  if (s.marked.get(REGISTERS_CHANGED_KEY) === undefined) return false;
  s.unmark.run(REGISTERS_CHANGED_KEY);
  return true;
}
