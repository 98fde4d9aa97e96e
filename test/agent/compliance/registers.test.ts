import { describe, expect, it } from "vitest";
import { verifyAudit } from "../../../src/agent/audit.js";
import { addYears, isIsoDate } from "../../../src/kit/time.js";
import {
  addRegisterRow,
  deleteRegisterRow,
  exportRegisterCsv,
  importRegisterCsv,
  listRegister,
  registerSpec,
  RegisterPermissionError,
  RegisterValidationError,
  updateRegisterRow,
  validateRegisterInput,
  REGISTERS,
  type RegisterActor,
} from "../../../src/agent/compliance/registers.js";
import { openDatabase, type Db } from "../../../src/agent/store/db.js";

const manager: RegisterActor = { name: "user:mia", role: "manager", address: "10.0.0.5" };
const viewer: RegisterActor = { name: "user:val", role: "viewer" };
const T = Date.parse("2026-03-01T12:00:00Z");

const fresh = (): Db => openDatabase(":memory:");
const auditRows = (db: Db) => db.prepare("SELECT actor, action, target, detail_json, address FROM audit ORDER BY id").all() as { actor: string; action: string; target: string; detail_json: string; address: string }[];
const count = (db: Db, table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

describe("register edits", () => {
  it("adds, updates and deletes with an audit entry each, before → after", () => {
    const db = fresh();
    const row = addRegisterRow(db, manager, "baa", { covered_entity: "Desert Clinic", signed_on: "2025-01-10", expires_on: "2027-01-10", copy_location: "Binder 3" }, T);
    expect(row).toMatchObject({ covered_entity: "Desert Clinic", expires_on: "2027-01-10", contact: "" });
    updateRegisterRow(db, manager, "baa", row.id, { covered_entity: "Desert Clinic", signed_on: "2025-01-10", expires_on: "2028-01-10" }, T + 1);
    deleteRegisterRow(db, manager, "baa", row.id, T + 2);
    const a = auditRows(db);
    expect(a.map((r) => r.action)).toEqual(["register.baa.add", "register.baa.update", "register.baa.delete"]);
    expect(a.every((r) => r.actor === "user:mia" && r.address === "10.0.0.5" && r.target === `baa:${row.id}`)).toBe(true);
    const upd = JSON.parse(a[1]!.detail_json) as { before: Record<string, unknown>; after: Record<string, unknown> };
    expect(upd.before.expires_on).toBe("2027-01-10");
    expect(upd.after.expires_on).toBe("2028-01-10");
    expect(JSON.parse(a[2]!.detail_json)).toMatchObject({ before: { covered_entity: "Desert Clinic" }, after: null });
    expect(verifyAudit(db).ok).toBe(true);
    expect(count(db, "compliance_baas")).toBe(0);
  });

  it("refuses viewers, and writes nothing", () => {
    const db = fresh();
    expect(() => addRegisterRow(db, viewer, "incident", { occurred_on: "2026-01-01", description: "x" })).toThrow(RegisterPermissionError);
    expect(() => importRegisterCsv(db, viewer, "incident", "occurred_on,description\r\n2026-01-01,x\r\n")).toThrow(RegisterPermissionError);
    expect(count(db, "compliance_incidents") + count(db, "audit")).toBe(0);
  });

  it("training is due a year after completion by default (29 Feb → 28 Feb)", () => {
    const db = fresh();
    expect(addRegisterRow(db, manager, "training", { person: "Ana", training: "HIPAA awareness", completed_on: "2026-02-03" }, T).due_on).toBe("2027-02-03");
    expect(addYears("2024-02-29", 1)).toBe("2025-02-28");
  });

  it("an update of a missing row fails without an audit entry", () => {
    const db = fresh();
    expect(() => updateRegisterRow(db, manager, "incident", 99, { occurred_on: "2026-01-01", description: "x" })).toThrow(/no row 99/);
    expect(count(db, "audit")).toBe(0);
  });
});

describe("validation of garbage input", () => {
  const spec = REGISTERS.baa;
  it.each([
    [{}, ["covered_entity: required", "signed_on: required"]],
    [{ covered_entity: "A", signed_on: "2026-02-30" }, [/signed_on: expected a date/]],
    [{ covered_entity: "A", signed_on: "01/02/2026" }, [/signed_on: expected a date/]],
    [{ covered_entity: "A", signed_on: "2026-01-01", expires_on: "2025-01-01" }, ["expires_on: earlier than signed_on"]],
    [{ covered_entity: "A\nB", signed_on: "2026-01-01" }, ["covered_entity: must be a single line"]],
    [{ covered_entity: "x".repeat(201), signed_on: "2026-01-01" }, ["covered_entity: longer than 200 characters"]],
    [{ covered_entity: "A\u0000", signed_on: "2026-01-01" }, ["covered_entity: contains control characters"]],
    [{ covered_entity: { evil: 1 }, signed_on: "2026-01-01" }, ["covered_entity: expected text"]],
  ])("%j", (input, expected) => {
    const r = validateRegisterInput(spec, input as Record<string, unknown>);
    expect("errors" in r).toBe(true);
    const errors = "errors" in r ? r.errors : [];
    expect(errors).toHaveLength(expected.length);
    expected.forEach((e, i) => (typeof e === "string" ? expect(errors[i]).toBe(e) : expect(errors[i]).toMatch(e)));
  });

  it("enum and number fields", () => {
    const rt = REGISTERS.restore_test;
    expect(validateRegisterInput(rt, { tested_on: "2026-01-01", result: "maybe" })).toEqual({ errors: ['result: expected one of pass, fail, partial, got "maybe"'] });
    expect(validateRegisterInput(rt, { tested_on: "2026-01-01", result: "pass", restore_hours: "1e9" })).toMatchObject({ errors: [/restore_hours: expected a number/] });
    expect(validateRegisterInput(rt, { tested_on: "2026-01-01", result: "pass", restore_hours: "2.5" })).toMatchObject({ values: { restore_hours: 2.5 } });
  });

  it("dates", () => {
    for (const ok of ["2024-02-29", "2026-12-31"]) expect(isIsoDate(ok)).toBe(true);
    for (const bad of ["2023-02-29", "2026-13-01", "2026-1-1", "26-01-01", "2026-01-01T00:00", "", "0000-01-01"]) expect(isIsoDate(bad)).toBe(false);
  });

  it("unknown register ids are a clear error", () => {
    expect(() => registerSpec("nope")).toThrow(/unknown register "nope"; known: baa, training/);
  });

  it("the thrown validation error lists every problem", () => {
    const db = fresh();
    try {
      addRegisterRow(db, manager, "training", { person: "", completed_on: "x" });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RegisterValidationError);
      expect((e as RegisterValidationError).errors).toEqual(["person: required", "training: required", 'completed_on: expected a date YYYY-MM-DD, got "x"']);
    }
  });
});

describe("CSV import and export", () => {
  it("imports malformed rows as per-row errors and imports NOTHING", () => {
    const db = fresh();
    addRegisterRow(db, manager, "training", { person: "Existing", training: "Phishing", completed_on: "2026-01-05" }, T);
    const auditBefore = count(db, "audit");
    const csv = [
      "person,training,completed_on,due_on",
      "Ana,HIPAA awareness,2026-01-10,",
      "Ben,HIPAA awareness,2026-13-01,", // bad date
      ",Phishing,2026-01-10,", // missing person
      '"Cara, RN",Phishing,2026-01-10,2025-01-01', // due before completed
      "Dan,Phishing", // too few fields
      "Eve,Phishing,2026-01-10,2027-01-10",
    ].join("\r\n");
    const r = importRegisterCsv(db, manager, "training", csv, T);
    expect(r).toEqual({
      ok: false,
      errors: [
        { line: 3, message: 'completed_on: expected a date YYYY-MM-DD, got "2026-13-01"' },
        { line: 4, message: "person: required" },
        { line: 5, message: "due_on: earlier than completed_on" },
        { line: 6, message: "expected 4 fields, found 2" },
      ],
    });
    expect(listRegister(db, "training").map((x) => x.person)).toEqual(["Existing"]);
    expect(count(db, "audit")).toBe(auditBefore);
  });

  it.each([
    ["empty file", "", /empty file/],
    ["unknown column", "person,training,completed_on,salary\r\n", /unknown column "salary"/],
    ["missing required column", "person,training\r\n", /missing required column "completed_on"/],
    ["duplicate column", "person,person,training,completed_on\r\n", /duplicate column "person"/],
    ["broken quoting", 'person,training,completed_on\r\n"Ana,x,2026-01-01\r\n', /quoted field is not closed/],
    ["binary garbage", "\u0000\u0001\u0002PK\u0003\u0004", /unknown column/],
  ])("refuses %s", (_, text, re) => {
    const db = fresh();
    const r = importRegisterCsv(db, manager, "training", text, T);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.message).join("\n")).toMatch(re);
    expect(count(db, "compliance_training")).toBe(0);
  });

  it("ids: must exist, appear once, and be numbers", () => {
    const db = fresh();
    const a = addRegisterRow(db, manager, "incident", { occurred_on: "2026-01-01", description: "Phish" }, T);
    const r = importRegisterCsv(db, manager, "incident", `id,occurred_on,description\r\n${a.id},2026-01-01,x\r\n${a.id},2026-01-01,y\r\n42,2026-01-01,z\r\nabc,2026-01-01,w\r\n`, T);
    expect(r).toEqual({
      ok: false,
      errors: [
        { line: 3, message: `id: row ${a.id} appears twice in the file` },
        { line: 4, message: "id: no row 42 in Incidents; leave id empty to add a new row" },
        { line: 5, message: 'id: expected a row number or empty, got "abc"' },
      ],
    });
  });

  it("refuses an oversized file", () => {
    const db = fresh();
    const r = importRegisterCsv(db, manager, "incident", "x".repeat(5 * 1024 * 1024 + 1), T);
    expect(r).toEqual({ ok: false, errors: [{ line: 0, message: "file larger than 5 MiB" }] });
  });

  it("export → import round-trips awkward values and updates rows in place", () => {
    const db = fresh();
    const tricky = 'Lost laptop, "Dell", =cmd\r\nsecond line';
    addRegisterRow(db, manager, "incident", { occurred_on: "2026-02-01", description: tricky, actions: "=HYPERLINK(\"x\")", closed_on: "2026-02-03" }, T);
    addRegisterRow(db, manager, "incident", { occurred_on: "2026-02-10", description: "@SUM(1)" }, T);
    const csv = exportRegisterCsv(db, "incident");
    expect(csv.startsWith("\ufeffid,occurred_on,description,actions,closed_on\r\n")).toBe(true);
    expect(csv).toContain(`"'=HYPERLINK(""x"")"`);
    expect(csv).toContain("'@SUM(1)");
    expect(csv).not.toMatch(/(^|,)[=+\-@]/m);

    const before = listRegister(db, "incident");
    const auditBefore = count(db, "audit");
    // Importing the same file changes nothing.
    expect(importRegisterCsv(db, manager, "incident", csv, T + 5)).toEqual({ ok: true, added: 0, updated: 0 });
    expect(listRegister(db, "incident")).toEqual(before);
    expect(count(db, "audit")).toBe(auditBefore + 1); // only the import summary
    expect(before[0]!.description).toBe(tricky.replace(/\r\n/g, "\n"));

    // Edit one row, add one: one update and one add, each audited.
    const edited = csv.replace(",2026-02-10,", ",2026-02-11,") + ",2026-02-20,New one,,\r\n";
    expect(importRegisterCsv(db, manager, "incident", edited, T + 6)).toEqual({ ok: true, added: 1, updated: 1 });
    const actions = auditRows(db).slice(-3).map((r) => r.action);
    expect(actions).toEqual(["register.incident.update", "register.incident.add", "register.incident.import"]);
    expect(listRegister(db, "incident").map((r) => r.occurred_on)).toEqual(["2026-02-01", "2026-02-11", "2026-02-20"]);
  });

  it("every register exports a header of its fields", () => {
    const db = fresh();
    for (const spec of Object.values(REGISTERS)) {
      expect(exportRegisterCsv(db, spec.id)).toBe(`\ufeff${["id", ...spec.fields.map((f) => f.name)].join(",")}\r\n`);
    }
  });
});
