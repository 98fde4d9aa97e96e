/** The registers' tables (the store's column lists) and their field tables (validation, CSV, report) never drift apart. */
import { describe, expect, it } from "vitest";
import { REGISTER_IDS, REGISTERS } from "../../../src/agent/compliance/registers.js";
import { openDatabase } from "../../../src/agent/store/db.js";
import { REGISTER_TABLES } from "../../../src/agent/store/registers.js";

describe("register tables", () => {
  it("the store's columns are the register's fields, and the table has exactly those", () => {
    const db = openDatabase(":memory:");
    expect(Object.keys(REGISTER_TABLES).sort()).toEqual([...REGISTER_IDS].sort());
    for (const id of REGISTER_IDS) {
      const t = REGISTER_TABLES[id];
      expect([id, [...t.columns]]).toEqual([id, REGISTERS[id].fields.map((f) => f.name)]);
      const cols = (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(t.table) as { name: string }[]).map((c) => c.name);
      expect([id, cols.sort()]).toEqual([id, [...t.columns, "id", "created_at", "updated_at"].sort()]);
    }
  });
});
