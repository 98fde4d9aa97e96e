import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProbeError } from "../../src/monitors/monitor.js";
import { expectCase, fixtureCases } from "./fixture-cases.js";

describe("fixtureCases: the one loader refuses tables that would run nothing", () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "gatehouse-fixtures-"));
    mkdirSync(join(root, "empty"));
    mkdirSync(join(root, "wrong-ext"));
    writeFileSync(join(root, "wrong-ext/a.json"), "{}");
    writeFileSync(join(root, "wrong-ext/a.expected.json"), "{}");
    mkdirSync(join(root, "orphan"));
    writeFileSync(join(root, "orphan/a.txt"), "x");
    mkdirSync(join(root, "ok"));
    writeFileSync(join(root, "ok/b.txt"), "b");
    writeFileSync(join(root, "ok/b.expected.json"), '{"error": "bad"}');
    writeFileSync(join(root, "ok/a.log"), "a");
    writeFileSync(join(root, "ok/a.expected.json"), '{"value": 1}');
    writeFileSync(join(root, "ok/SOURCE.md"), "how");
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("an empty folder, or one with no input of the extension, fails at collection", () => {
    expect(() => fixtureCases(root, "empty")).toThrow(/found 0: an empty table would run no test/);
    expect(() => fixtureCases(root, "wrong-ext", ".txt")).toThrow(/found 0/);
    expect(() => fixtureCases(root, "ok", [".txt", ".log"], 3)).toThrow(/at least 3 .* found 2/);
  });
  it("an input without its expected file fails", () => {
    expect(() => fixtureCases(root, "orphan")).toThrow(/a\.txt has no a\.expected\.json/);
  });
  it("loads every extension asked for, sorted, skipping SOURCE.md", () => {
    expect(fixtureCases(root, "ok", [".txt", ".log"])).toEqual([
      { name: "a", input: "a", expected: { value: 1 } },
      { name: "b", input: "b", expected: { error: "bad" } },
    ]);
  });
  it("expectCase: { error } means a ProbeError containing the text; anything else must equal", () => {
    expectCase(() => {
      throw new ProbeError("a bad input");
    }, { error: "bad" });
    expectCase(() => ({ value: 1 }), { value: 1 });
    expect(() => expectCase(() => ({ value: 1 }), { error: "bad" })).toThrow();
    expect(() => expectCase(() => ({ value: 2 }), { value: 1 })).toThrow();
    expect(() => expectCase(() => { throw new ProbeError("other"); }, { error: "bad" })).toThrow();
    expect(() => expectCase(() => { throw new TypeError("crash"); }, { error: "crash" })).toThrow(TypeError);
  });
});
