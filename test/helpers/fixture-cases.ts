/**
 * Shared pieces of the table-driven parser tests: each recorded input under a fixture folder
 * with the <scenario>.expected.json beside it, and the outcome of a parse as plain JSON (or the
 * ProbeError message for garbage), so a test compares one value with the expected file.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ProbeError } from "../../src/monitors/monitor.js";

/** One recorded input and what its parser should make of it. */
export interface FixtureCase {
  /** The input's file name, shown as the test name. */
  name: string;
  input: string;
  expected: unknown;
}

/**
 * Every `*<ext>` file in `<root>/<dir>` (not the expected files, not RECORDED-WITH.txt) with the
 * parsed `<scenario>.expected.json` beside it.
 */
export function fixtureCases(root: string, dir: string, ext: string): FixtureCase[] {
  return readdirSync(join(root, dir))
    .filter((f) => f.endsWith(ext) && !f.endsWith(".expected.json") && f !== "RECORDED-WITH.txt")
    .map((f) => ({
      name: f,
      input: readFileSync(join(root, dir, f), "utf8"),
      expected: JSON.parse(readFileSync(join(root, dir, f.slice(0, -ext.length) + ".expected.json"), "utf8")) as unknown,
    }));
}

/** Parses, or captures the ProbeError message; anything else thrown is a crash and fails. */
export function parseOutcome(fn: () => unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(fn()));
  } catch (e) {
    if (!(e instanceof ProbeError)) throw e;
    return { error: e.message };
  }
}
