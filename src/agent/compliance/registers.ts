/**
 * The compliance registers managers keep: business associate agreements, workforce training,
 * access reviews, restore tests and incidents. One field table per register drives validation,
 * storage, CSV import/export and the report, so a field is declared once.
 *
 * Every change runs in one transaction with its audit entry (before → after); only managers and
 * admins may change a register. The tables are src/agent/store/registers.ts's (its column lists
 * equal the field tables below; a test keeps them so).
 */
import { appendAudit } from "../audit.js";
import type { Db } from "../store/db.js";
import { deleteRegisterRowById, insertRegisterRow, listRegisterRows, markRegistersChanged, REGISTERS_CHANGED_KEY, registerRow, updateRegisterRowFields } from "../store/registers.js";
import { CsvError, parseCsv, restoreFormula, writeCsv } from "../../kit/csv.js";
import { addYears, isIsoDate } from "../../kit/time.js";

export const REGISTER_IDS = ["baa", "training", "access_review", "restore_test", "incident"] as const;
export type RegisterId = (typeof REGISTER_IDS)[number];

export interface FieldSpec {
  name: string;
  label: string;
  type: "text" | "multiline" | "date" | "enum" | "number";
  required: boolean;
  max?: number;
  values?: readonly string[];
}

export interface RegisterSpec {
  id: RegisterId;
  title: string;
  fields: readonly FieldSpec[];
}

const text = (name: string, label: string, required = false, max = 200): FieldSpec => ({ name, label, type: "text", required, max });
const multiline = (name: string, label: string, required = false, max = 20_000): FieldSpec => ({ name, label, type: "multiline", required, max });
const date = (name: string, label: string, required = true): FieldSpec => ({ name, label, type: "date", required });

/** The registers and their fields. */
export const REGISTERS: Readonly<Record<RegisterId, RegisterSpec>> = {
  baa: {
    id: "baa",
    title: "Business associate agreements",
    fields: [
      text("covered_entity", "Covered entity", true),
      text("contact", "Contact"),
      multiline("phi_scope", "PHI scope", false, 2000),
      date("signed_on", "Signed"),
      date("expires_on", "Renewal / expiry", false),
      text("copy_location", "Signed copy kept at", false, 500),
    ],
  },
  training: {
    id: "training",
    title: "Workforce training",
    fields: [text("person", "Person", true), text("training", "Training", true), date("completed_on", "Completed"), date("due_on", "Due", false)],
  },
  access_review: {
    id: "access_review",
    title: "Access reviews",
    fields: [date("reviewed_on", "Reviewed"), text("reviewer", "Reviewer", true), multiline("accounts", "Accounts reviewed"), multiline("changes", "Changes made")],
  },
  restore_test: {
    id: "restore_test",
    title: "Restore tests",
    fields: [
      date("tested_on", "Tested"),
      text("backup_set", "Backup set"),
      { name: "result", label: "Result", type: "enum", required: true, values: ["pass", "fail", "partial"] },
      { name: "restore_hours", label: "Hours to restore", type: "number", required: false },
      text("tested_by", "Tested by"),
      multiline("notes", "Notes", false, 5000),
    ],
  },
  incident: {
    id: "incident",
    title: "Incidents",
    fields: [date("occurred_on", "Occurred"), multiline("description", "Description", true, 5000), multiline("actions", "Actions taken", false, 10_000), date("closed_on", "Closed", false)],
  },
};

export type FieldValue = string | number | null;
/** A stored row: the register's fields plus id and timestamps. */
export type RegisterRow = { id: number; created_at: number; updated_at: number } & Record<string, FieldValue>;

export class RegisterError extends Error {
  override readonly name: string = "RegisterError";
}

/** Refused because the actor's role may not change registers. */
export class RegisterPermissionError extends RegisterError {
  override readonly name = "RegisterPermissionError";
}

/** Input that failed validation; `errors` are "field: message" lines. */
export class RegisterValidationError extends RegisterError {
  override readonly name = "RegisterValidationError";
  constructor(readonly errors: string[]) {
    super(errors.join("; "));
  }
}

/** Who changes a register: a console user (user:alice) or an OS user of the CLI (os:alice). */
export interface RegisterActor {
  name: string;
  role: "admin" | "manager" | "viewer";
  address?: string;
}

/** Spec of a register id, or a RegisterError naming the known ones. */
export function registerSpec(id: string): RegisterSpec {
  if (!(REGISTER_IDS as readonly string[]).includes(id)) throw new RegisterError(`unknown register "${id}"; known: ${REGISTER_IDS.join(", ")}`);
  return REGISTERS[id as RegisterId];
}

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/**
 * Validates raw input (form fields, CSV cells: strings or absent) into stored values.
 * Returns the values or the list of problems; never throws on bad input.
 */
export function validateRegisterInput(spec: RegisterSpec, raw: Readonly<Record<string, unknown>>): { values: Record<string, FieldValue> } | { errors: string[] } {
  const errors: string[] = [];
  const values: Record<string, FieldValue> = {};
  for (const f of spec.fields) {
    const v0 = raw[f.name];
    if (v0 !== undefined && v0 !== null && typeof v0 !== "string" && typeof v0 !== "number") {
      errors.push(`${f.name}: expected text`);
      continue;
    }
    let v = v0 === undefined || v0 === null ? "" : String(v0).replace(/\r\n?/g, "\n");
    v = f.type === "multiline" ? v.trim() : v.trim();
    if (v === "") {
      if (f.required) errors.push(`${f.name}: required`);
      values[f.name] = f.type === "date" || f.type === "number" ? null : "";
      continue;
    }
    if (CONTROL_CHARS.test(v)) {
      errors.push(`${f.name}: contains control characters`);
      continue;
    }
    switch (f.type) {
      case "text":
        if (v.includes("\n")) errors.push(`${f.name}: must be a single line`);
        else if (v.length > (f.max ?? 200)) errors.push(`${f.name}: longer than ${f.max ?? 200} characters`);
        else values[f.name] = v;
        break;
      case "multiline":
        if (v.length > (f.max ?? 20_000)) errors.push(`${f.name}: longer than ${f.max ?? 20_000} characters`);
        else values[f.name] = v;
        break;
      case "date":
        if (!isIsoDate(v)) errors.push(`${f.name}: expected a date YYYY-MM-DD, got ${JSON.stringify(v.slice(0, 40))}`);
        else values[f.name] = v;
        break;
      case "enum":
        if (!f.values?.includes(v)) errors.push(`${f.name}: expected one of ${f.values?.join(", ")}, got ${JSON.stringify(v.slice(0, 40))}`);
        else values[f.name] = v;
        break;
      case "number": {
        const n = /^\d{1,6}(\.\d{1,3})?$/.test(v) ? Number(v) : NaN;
        if (!Number.isFinite(n)) errors.push(`${f.name}: expected a number such as 4 or 2.5, got ${JSON.stringify(v.slice(0, 40))}`);
        else values[f.name] = n;
        break;
      }
    }
  }
  if (errors.length === 0) crossCheck(spec.id, values, errors);
  return errors.length ? { errors } : { values };
}

/** Rules across fields, and defaults that depend on other fields. */
function crossCheck(id: RegisterId, v: Record<string, FieldValue>, errors: string[]): void {
  const before = (a: string, b: string, msg: string) => {
    if (typeof v[a] === "string" && typeof v[b] === "string" && (v[b] as string) < (v[a] as string)) errors.push(msg);
  };
  if (id === "baa") before("signed_on", "expires_on", "expires_on: earlier than signed_on");
  if (id === "training") {
    // Yearly by default: a completion without a due date is due again a year later.
    if (v.due_on === null && typeof v.completed_on === "string") v.due_on = addYears(v.completed_on, 1);
    before("completed_on", "due_on", "due_on: earlier than completed_on");
  }
  if (id === "incident") before("occurred_on", "closed_on", "closed_on: earlier than occurred_on");
}

function requireManager(actor: RegisterActor): void {
  if (actor.role !== "manager" && actor.role !== "admin") throw new RegisterPermissionError(`${actor.name} (${actor.role}) may not change compliance registers; a manager or admin may`);
}

/** Every row of a register, in its listing order. */
export function listRegister(db: Db, id: RegisterId): RegisterRow[] {
  return listRegisterRows(db, id);
}

/** One row, or undefined. */
export function getRegisterRow(db: Db, id: RegisterId, rowId: number): RegisterRow | undefined {
  return registerRow(db, id, rowId);
}

/** The row's fields only (what audit entries and exports show). */
export function rowFields(spec: RegisterSpec, row: Record<string, unknown>): Record<string, FieldValue> {
  return Object.fromEntries(spec.fields.map((f) => [f.name, (row[f.name] ?? null) as FieldValue]));
}

function validated(spec: RegisterSpec, input: Readonly<Record<string, unknown>>): Record<string, FieldValue> {
  const r = validateRegisterInput(spec, input);
  if ("errors" in r) throw new RegisterValidationError(r.errors);
  return r.values;
}

export { REGISTERS_CHANGED_KEY };

/** Audits a change and marks the registers changed, in the caller's transaction. */
const audit = (db: Db, actor: RegisterActor, action: string, target: string, detail: Record<string, unknown>, now: number) => {
  markRegistersChanged(db, action, now);
  return appendAudit(db, { actor: actor.name, action, target, detail, at: now, ...(actor.address ? { address: actor.address } : {}) });
};

/** Adds a row (audited). Throws RegisterValidationError / RegisterPermissionError. */
export function addRegisterRow(db: Db, actor: RegisterActor, id: RegisterId, input: Readonly<Record<string, unknown>>, now = Date.now()): RegisterRow {
  requireManager(actor);
  const spec = REGISTERS[id];
  const values = validated(spec, input);
  return db.transaction(() => {
    const rowId = insertRegisterRow(db, id, values, now);
    audit(db, actor, `register.${id}.add`, `${id}:${rowId}`, { before: null, after: values }, now);
    return getRegisterRow(db, id, rowId)!;
  })();
}

/** Replaces a row's fields (audited with before → after). */
export function updateRegisterRow(db: Db, actor: RegisterActor, id: RegisterId, rowId: number, input: Readonly<Record<string, unknown>>, now = Date.now()): RegisterRow {
  requireManager(actor);
  const spec = REGISTERS[id];
  const values = validated(spec, input);
  return db.transaction(() => {
    const before = getRegisterRow(db, id, rowId);
    if (!before) throw new RegisterError(`${spec.title}: no row ${rowId}`);
    updateRegisterRowFields(db, id, rowId, values, now);
    audit(db, actor, `register.${id}.update`, `${id}:${rowId}`, { before: rowFields(spec, before), after: values }, now);
    return getRegisterRow(db, id, rowId)!;
  })();
}

/** Deletes a row (audited with what it held). */
export function deleteRegisterRow(db: Db, actor: RegisterActor, id: RegisterId, rowId: number, now = Date.now()): void {
  requireManager(actor);
  const spec = REGISTERS[id];
  db.transaction(() => {
    const before = getRegisterRow(db, id, rowId);
    if (!before) throw new RegisterError(`${spec.title}: no row ${rowId}`);
    deleteRegisterRowById(db, id, rowId);
    audit(db, actor, `register.${id}.delete`, `${id}:${rowId}`, { before: rowFields(spec, before), after: null }, now);
  })();
}

/** A register as CSV: header of field names, `id` first so that a re-import updates in place. */
export function exportRegisterCsv(db: Db, id: RegisterId): string {
  const spec = REGISTERS[id];
  const header = ["id", ...spec.fields.map((f) => f.name)];
  const rows = listRegister(db, id).map((r) => [String(r.id), ...spec.fields.map((f) => (r[f.name] === null || r[f.name] === undefined ? "" : String(r[f.name])))]);
  return writeCsv([header, ...rows]);
}

export interface CsvRowError {
  /** Line of the file the record starts on (1 = header). */
  line: number;
  message: string;
}

export type ImportResult = { ok: true; added: number; updated: number } | { ok: false; errors: CsvRowError[] };

/** Largest CSV accepted: registers are small; a huge upload is a mistake or an attack. */
export const MAX_IMPORT_BYTES = 5 * 1024 * 1024;
export const MAX_IMPORT_ROWS = 10_000;

/**
 * Imports CSV into a register in one transaction: rows with an `id` update that row, rows
 * without add one. Every row is validated first; any error means nothing is written and every
 * bad row is reported with its line.
 */
export function importRegisterCsv(db: Db, actor: RegisterActor, id: RegisterId, text: string, now = Date.now()): ImportResult {
  requireManager(actor);
  const spec = REGISTERS[id];
  if (Buffer.byteLength(text, "utf8") > MAX_IMPORT_BYTES) return { ok: false, errors: [{ line: 0, message: `file larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MiB` }] };
  let records;
  try {
    records = parseCsv(text);
  } catch (e) {
    if (e instanceof CsvError) return { ok: false, errors: [{ line: e.line, message: e.message.replace(/^line \d+: /, "") }] };
    throw e;
  }
  const [head, ...body] = records;
  if (!head) return { ok: false, errors: [{ line: 1, message: "empty file: expected a header row" }] };
  if (body.length > MAX_IMPORT_ROWS) return { ok: false, errors: [{ line: 0, message: `more than ${MAX_IMPORT_ROWS} rows` }] };
  const known = new Set(["id", ...spec.fields.map((f) => f.name)]);
  const header = head.fields.map((h) => h.trim().toLowerCase());
  const headErrors: string[] = [];
  for (const h of header) if (!known.has(h)) headErrors.push(`unknown column ${JSON.stringify(h.slice(0, 40))}`);
  const dup = header.filter((h, i) => header.indexOf(h) !== i);
  if (dup.length) headErrors.push(`duplicate column ${JSON.stringify(dup[0])}`);
  for (const f of spec.fields) if (f.required && !header.includes(f.name)) headErrors.push(`missing required column "${f.name}"`);
  if (headErrors.length) return { ok: false, errors: [{ line: head.line, message: `${headErrors.join("; ")} (expected: ${[...known].join(", ")})` }] };

  const errors: CsvRowError[] = [];
  const planned: { line: number; rowId: number | undefined; values: Record<string, FieldValue> }[] = [];
  const seenIds = new Set<number>();
  for (const rec of body) {
    if (rec.fields.length !== header.length) {
      errors.push({ line: rec.line, message: `expected ${header.length} fields, found ${rec.fields.length}` });
      continue;
    }
    const raw: Record<string, string> = {};
    header.forEach((h, i) => (raw[h] = restoreFormula(rec.fields[i]!)));
    let rowId: number | undefined;
    const idText = (raw.id ?? "").trim();
    if (idText !== "") {
      rowId = /^[1-9]\d{0,15}$/.test(idText) ? Number(idText) : NaN;
      if (!Number.isSafeInteger(rowId)) {
        errors.push({ line: rec.line, message: `id: expected a row number or empty, got ${JSON.stringify(idText.slice(0, 40))}` });
        continue;
      }
      if (seenIds.has(rowId)) {
        errors.push({ line: rec.line, message: `id: row ${rowId} appears twice in the file` });
        continue;
      }
      seenIds.add(rowId);
      if (!getRegisterRow(db, id, rowId)) {
        errors.push({ line: rec.line, message: `id: no row ${rowId} in ${spec.title}; leave id empty to add a new row` });
        continue;
      }
    }
    const r = validateRegisterInput(spec, raw);
    if ("errors" in r) errors.push({ line: rec.line, message: r.errors.join("; ") });
    else planned.push({ line: rec.line, rowId, values: r.values });
  }
  if (errors.length) return { ok: false, errors };

  let added = 0;
  let updated = 0;
  db.transaction(() => {
    for (const p of planned) {
      if (p.rowId === undefined) {
        const rowId = insertRegisterRow(db, id, p.values, now);
        audit(db, actor, `register.${id}.add`, `${id}:${rowId}`, { before: null, after: p.values, via: "csv import" }, now);
        added++;
      } else {
        const before = getRegisterRow(db, id, p.rowId)!;
        const beforeFields = rowFields(spec, before);
        if (JSON.stringify(beforeFields) === JSON.stringify(p.values)) continue;
        updateRegisterRowFields(db, id, p.rowId, p.values, now);
        audit(db, actor, `register.${id}.update`, `${id}:${p.rowId}`, { before: beforeFields, after: p.values, via: "csv import" }, now);
        updated++;
      }
    }
    audit(db, actor, `register.${id}.import`, id, { added, updated, rows: planned.length }, now);
  })();
  return { ok: true, added, updated };
}
