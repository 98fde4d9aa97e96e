import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ProbeError } from "../../../src/monitors/monitor.js";
import { parseBorgError, parseBorgList } from "../../../src/monitors/backups/parse-borg.js";
import {
  parseResticCheck,
  parseResticError,
  parseResticSnapshots,
} from "../../../src/monitors/backups/parse-restic.js";

const FIXTURES = join(import.meta.dirname, "../../fixtures/backups");

const PARSERS: Record<string, (text: string) => unknown> = {
  "restic-snapshots": parseResticSnapshots,
  "restic-error": parseResticError,
  "restic-check": parseResticCheck,
  "borg-list": parseBorgList,
  "borg-error": parseBorgError,
};

function cases(folder: string): { scenario: string; input: string; expected: unknown }[] {
  const dir = join(FIXTURES, folder);
  return readdirSync(dir)
    .filter((f) => !f.endsWith(".expected.json") && f !== "SOURCE.md")
    .map((f) => {
      const scenario = f.replace(/\.(txt|json)$/, "");
      return {
        scenario,
        input: readFileSync(join(dir, f), "utf8"),
        expected: JSON.parse(readFileSync(join(dir, `${scenario}.expected.json`), "utf8")),
      };
    });
}

for (const [folder, parse] of Object.entries(PARSERS)) {
  describe(folder, () => {
    const table = cases(folder);
    it("has recorded fixtures", () => expect(table.length).toBeGreaterThanOrEqual(3));
    for (const c of table) {
      it(c.scenario, () => {
        const exp = c.expected as { throws?: string };
        if (typeof exp.throws === "string") {
          expect(() => parse(c.input)).toThrow(ProbeError);
          expect(() => parse(c.input)).toThrow(exp.throws);
        } else {
          expect(parse(c.input)).toEqual(c.expected);
        }
      });
    }
  });
}

describe("garbage never crashes the parsers", () => {
  const junk = ["", "\u0000\u0000", "null", "[]", "{}", "[1,2,3]", "[{}]", '{"archives":[null]}', "x".repeat(10_000)];
  for (const [folder, parse] of Object.entries(PARSERS)) {
    it(folder, () => {
      for (const j of junk) {
        try {
          parse(j);
        } catch (e) {
          expect(e).toBeInstanceOf(ProbeError);
        }
      }
    });
  }
});
