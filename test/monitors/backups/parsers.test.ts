import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ProbeError } from "../../../src/monitors/monitor.js";
import { parseBorgError, parseBorgList } from "../../../src/monitors/backups/parse-borg.js";
import {
  parseResticCheck,
  parseResticError,
  parseResticSnapshots,
} from "../../../src/monitors/backups/parse-restic.js";

import { expectCase, fixtureCases } from "../../helpers/fixture-cases.js";

const FIXTURES = join(import.meta.dirname, "../../fixtures/backups");

const PARSERS: Record<string, (text: string) => unknown> = {
  "restic-snapshots": parseResticSnapshots,
  "restic-error": parseResticError,
  "restic-check": parseResticCheck,
  "borg-list": parseBorgList,
  "borg-error": parseBorgError,
};

for (const [folder, parse] of Object.entries(PARSERS)) {
  describe(folder, () => {
    const table = fixtureCases(FIXTURES, folder, [".txt", ".json"], 3);
    it("has recorded fixtures", () => expect(table.length).toBeGreaterThanOrEqual(3));
    it.each(table)("$name", (c) => expectCase(() => parse(c.input), c.expected));
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
