/**
 * test/bench/RESULTS.md is merged by section (test/bench/results-file.mjs): a partial benchmark
 * run replaces only the sections it measured, keeps the others and the hand-written text, and a
 * new section lands in the suite's order.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error -- a plain .mjs module of the benchmark suite, no type declarations
import { mergeSections, sectionBlock, sectionsIn } from "../bench/results-file.mjs";

const merge = mergeSections as (text: string, blocks: Record<string, string>, preamble: string) => string;
const block = sectionBlock as (name: string, heading: string, body: string) => string;
const names = sectionsIn as (text: string) => string[];

const PRE = "# Latest benchmark results\n\nintro";

describe("RESULTS.md merged by section", () => {
  const full = merge("", { footprint: block("footprint", "### footprint — day 1", "| f1 |"), check: block("check", "### check — day 1", "| c1 |") }, PRE);

  it("a first write has the preamble, the blocks in suite order and the end marker", () => {
    expect(full.startsWith(PRE)).toBe(true);
    expect(names(full)).toEqual(["footprint", "check"]);
    expect(full).toContain("<!-- /bench -->");
  });

  it("a partial run replaces its own section only and keeps hand-written text after the blocks", () => {
    const withNotes = `${full}\n## Supplementary runs\n\nby hand\n`;
    const out = merge(withNotes, { check: block("check", "### check — day 2", "| c2 |") }, PRE);
    expect(out).toContain("| c2 |");
    expect(out).not.toContain("| c1 |");
    expect(out).toContain("| f1 |");
    expect(out).toContain("### footprint — day 1");
    expect(out.endsWith("## Supplementary runs\n\nby hand\n")).toBe(true);
    expect(names(out)).toEqual(["footprint", "check"]);
  });

  it("a section not there yet goes in the suite's order (after footprint, before check)", () => {
    const out = merge(full, { history: block("history", "### history — day 3", "| h3 |"), console: block("console", "### console — day 3", "| k3 |") }, PRE);
    expect(names(out)).toEqual(["footprint", "console", "history", "check"]);
    expect(out).toContain("| f1 |");
    expect(out).toContain("| c1 |");
  });

  it("a section before every present one goes first", () => {
    const onlyCheck = merge("", { check: block("check", "### check", "| c |") }, PRE);
    const out = merge(onlyCheck, { footprint: block("footprint", "### footprint", "| f |") }, PRE);
    expect(names(out)).toEqual(["footprint", "check"]);
  });

  it("an older file without blocks keeps its text after the generated part", () => {
    const out = merge("## Hand-written\n\nold notes\n", { alert: block("alert", "### alert", "| a |") }, PRE);
    expect(names(out)).toEqual(["alert"]);
    expect(out.indexOf("<!-- /bench -->")).toBeLessThan(out.indexOf("## Hand-written"));
  });

  it("the committed RESULTS.md is in this form, one block per section of the suite", () => {
    const text = readFileSync(join(import.meta.dirname, "../bench/RESULTS.md"), "utf8");
    expect(names(text)).toEqual(["footprint", "console", "alert", "history", "check"]);
  });
});
