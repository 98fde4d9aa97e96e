/**
 * The one fixture loader of the table-driven parser tests: each recorded input under a fixture
 * folder with `<scenario>.expected.json` beside it. An expected failure is spelled one way,
 * `{ "error": "<part of the ProbeError message>" }`. The loader refuses an empty folder, because
 * vitest runs nothing at all for an empty `it.each` and the suite would pass without a test.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { ProbeError } from "../../src/monitors/monitor.js";

/** One recorded input and what its parser should make of it. */
export interface FixtureCase {
  /** The scenario (file name without its extension), shown as the test name. */
  name: string;
  input: string;
  expected: unknown;
}

/** Files next to the inputs that are not inputs. */
const NOT_INPUTS = new Set(["RECORDED-WITH.txt", "SOURCE.md"]);

/**
 * Every input ending in one of `exts` in `<root>/<dir>` with its parsed expected file. Throws
 * (failing the suite at collection) when the folder holds fewer than `min` cases (default 1) or
 * an input has no expected file.
 */
export function fixtureCases(root: string, dir: string, exts: string | readonly string[] = ".txt", min = 1): FixtureCase[] {
  const list = typeof exts === "string" ? [exts] : exts;
  const folder = join(root, dir);
  const cases = readdirSync(folder)
    .filter((f) => !f.endsWith(".expected.json") && !NOT_INPUTS.has(f))
    .flatMap((f) => {
      const ext = list.find((e) => f.endsWith(e));
      if (ext === undefined) return [];
      const name = f.slice(0, -ext.length);
      const expectedFile = join(folder, `${name}.expected.json`);
      let expectedText: string;
      try {
        expectedText = readFileSync(expectedFile, "utf8");
      } catch {
        throw new Error(`fixture ${join(dir, f)} has no ${name}.expected.json beside it`);
      }
      return [{ name, input: readFileSync(join(folder, f), "utf8"), expected: JSON.parse(expectedText) as unknown }];
    })
    .sort((a, b) => a.name.localeCompare(b.name));
  if (cases.length < min) {
    throw new Error(`expected at least ${min} fixture case(s) (${list.join(", ")}) in ${folder}, found ${cases.length}: an empty table would run no test`);
  }
  return cases;
}

/** Parses, or captures the ProbeError message as `{ error }`; anything else thrown is a crash and fails. */
export function parseOutcome(fn: () => unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(fn()));
  } catch (e) {
    if (!(e instanceof ProbeError)) throw e;
    return { error: e.message };
  }
}

function expectedError(expected: unknown): string | undefined {
  if (typeof expected !== "object" || expected === null || Array.isArray(expected)) return undefined;
  const keys = Object.keys(expected);
  const error = (expected as { error?: unknown }).error;
  return keys.length === 1 && typeof error === "string" ? error : undefined;
}

/**
 * Checks one case: `{ "error": text }` expects a ProbeError whose message contains `text`;
 * anything else must equal the parse result (as plain JSON).
 */
export function expectCase(fn: () => unknown, expected: unknown): void {
  const error = expectedError(expected);
  const got = parseOutcome(fn);
  if (error === undefined) {
    expect(got).toEqual(expected);
    return;
  }
  expect(got, "expected the parser to refuse this input with a ProbeError").toHaveProperty("error");
  expect((got as { error: string }).error).toContain(error);
}
