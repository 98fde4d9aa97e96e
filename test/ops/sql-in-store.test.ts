/**
 * The store owns the SQL: no module outside src/agent/store prepares or executes a statement
 * against our database. Everything else calls the store's functions (each statement prepared
 * once per connection, see src/agent/store/statements.ts). SQL sent to osquery hosts is theirs,
 * not ours, and is not looked for (it is never prepared here).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");
const STORE = "src/agent/store/";

/** Calls that hand SQL to better-sqlite3: prepare/pragma on anything, exec with a literal or on a db. */
const SQL_CALL = /\.(?:prepare|pragma)\s*[(<]|\.exec\(\s*[`"']|\bdb\s*\.\s*exec\(/g;

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

describe("the store owns the SQL", () => {
  const files = sources("src").filter((f) => !f.startsWith(STORE));

  it("looks at the whole tree", () => {
    expect(files.length).toBeGreaterThan(100);
  });

  it("no module outside src/agent/store prepares or executes SQL", () => {
    const found: Record<string, number> = {};
    for (const f of files) {
      const n = readFileSync(join(ROOT, f), "utf8").match(SQL_CALL)?.length ?? 0;
      if (n > 0) found[f] = n;
    }
    expect(found).toEqual({});
  });

  it("the pattern finds the calls it is meant to find", () => {
    const probe = [
      'db.prepare("SELECT 1")',
      "this.db.prepare<[number]>(`SELECT ?`)",
      'db.exec("DELETE FROM x")',
      "tx.exec(`VACUUM`)",
      'db.pragma("user_version")',
      "/x/.exec(line)",
      "RE.exec(value)",
    ].map((s) => s.match(SQL_CALL)?.length ?? 0);
    expect(probe).toEqual([1, 1, 1, 1, 1, 0, 0]);
  });
});
