/**
 * Table-driven parser tests: every fixture under test/fixtures/firewall/<command>/ is parsed and
 * compared with the <scenario>.expected.json beside it (either the parse result or
 * `{ "error": message }` for garbage). See test/fixtures/firewall/SOURCE.md for how each
 * input was recorded.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeFamily } from "../../../src/monitors/firewall/analyze.js";
import {
  parseFirewalldActiveZones,
  parseFirewalldService,
  parseFirewalldState,
  parseFirewalldZone,
} from "../../../src/monitors/firewall/parse-firewall-cmd.js";
import { parseIptablesSave } from "../../../src/monitors/firewall/parse-iptables-save.js";
import { parseNftRuleset, parseNftTextTableFlags } from "../../../src/monitors/firewall/parse-nft-ruleset.js";
import { parseUfwConf, parseUfwStatus } from "../../../src/monitors/firewall/parse-ufw.js";
import type { FilterTable } from "../../../src/monitors/firewall/ruleset.js";
import { ProbeError } from "../../../src/monitors/monitor.js";
import { fixtureCases, parseOutcome as outcome } from "../../helpers/fixture-cases.js";

const FIXTURES = join(import.meta.dirname, "../../fixtures/firewall");

const cases = (dir: string, ext: string) => fixtureCases(FIXTURES, dir, ext);

const tables = (ts: FilterTable[]) => ts.map((t) => ({ table: `${t.family} ${t.name}`, items: t.items, unreadable: t.unreadable }));

describe("parseNftRuleset (nft -j list ruleset)", () => {
  const all = cases("nft-list-ruleset", ".json");
  it("has fixtures", () => expect(all.length).toBeGreaterThanOrEqual(15));
  it.each(all)("$name", ({ input, expected }) => {
    const got = outcome(() => {
      const p = parseNftRuleset(input);
      return { tables: tables(p.tables), unknown: p.unknown, unreadableFlags: p.unreadableFlags, ipv4: analyzeFamily(p.tables, "ipv4"), ipv6: analyzeFamily(p.tables, "ipv6") };
    });
    expect(got).toEqual(expected);
  });
});

describe("parseIptablesSave (iptables-save, ip6tables-save)", () => {
  for (const [dir, family] of [
    ["iptables-save", "ipv4"],
    ["ip6tables-save", "ipv6"],
  ] as const) {
    it.each(cases(dir, ".txt"))(`${dir}/$name`, ({ input, expected }) => {
      const got = outcome(() => {
        const p = parseIptablesSave(input, family);
        return { variant: p.variant ?? null, tables: tables(p.tables), [family]: analyzeFamily(p.tables, family) };
      });
      expect(got).toEqual(expected);
    });
  }
});

describe("ufw parsers", () => {
  it.each(cases("ufw-status-verbose", ".txt"))("ufw status verbose: $name", ({ input, expected }) => {
    expect(outcome(() => parseUfwStatus(input))).toEqual(expected);
  });
  it.each(cases("ufw-conf", ".conf"))("ufw.conf: $name", ({ input, expected }) => {
    const c = parseUfwConf(input);
    expect({ enabled: c.enabled ?? null, logLevel: c.logLevel ?? null }).toEqual(expected);
  });
});

describe("table flags from nft list ruleset (text)", () => {
  const text = (scenario: string) => readFileSync(join(FIXTURES, "nft-list-ruleset-text", `${scenario}.txt`), "utf8");
  it("reads flags dormant, which nft 1.0.6's JSON misprints", () => {
    expect(JSON.parse(readFileSync(join(FIXTURES, "nft-list-ruleset/dormant.json"), "utf8")).nftables[1].table.flags).not.toBe("dormant");
    expect(parseNftTextTableFlags(text("dormant"))).toEqual(new Map([["inet filter", ["dormant"]]]));
  });
  it("maps tables without flags to []", () => {
    expect(parseNftTextTableFlags(text("ufw-rules"))).toEqual(new Map([["ip filter", []], ["ip6 filter", []]]));
    expect(parseNftTextTableFlags(text("empty"))).toEqual(new Map());
  });
  it("rejects text that is not a ruleset listing", () => {
    expect(() => parseNftTextTableFlags("Error: Could not process rule: Operation not permitted")).toThrow(ProbeError);
  });
});

describe("firewall-cmd parsers", () => {
  const table: [string, (t: string) => unknown][] = [
    ["firewall-cmd-state", parseFirewalldState],
    ["firewall-cmd-get-active-zones", parseFirewalldActiveZones],
    ["firewall-cmd-list-all", parseFirewalldZone],
    ["firewall-cmd-info-service", parseFirewalldService],
  ];
  for (const [dir, parse] of table) {
    it.each(cases(dir, ".txt"))(`${dir}/$name`, ({ input, expected }) => {
      expect(outcome(() => parse(input))).toEqual(expected);
    });
  }
});

describe("rendering matches nft's own text output", () => {
  // nft's text listing of the same recorded ruleset is the reference for our JSON → nft syntax
  // rendering. iptables-nft `xt` rules are skipped: nft's text translates them with libxtables,
  // which its JSON cannot.
  const sortSets = (s: string) => s.replace(/\{ ([^{}]*) \}/g, (_m, inner: string) => `{ ${inner.split(", ").sort().join(", ")} }`);
  const scenarios = readdirSync(join(FIXTURES, "nft-list-ruleset-text")).map((f) => f.replace(/\.txt$/, ""));
  it("has recordings", () => expect(scenarios.length).toBeGreaterThanOrEqual(10));
  it.each(scenarios)("%s", (scenario) => {
    const text = readFileSync(join(FIXTURES, "nft-list-ruleset-text", `${scenario}.txt`), "utf8");
    const theirs: string[] = [];
    let table = "";
    let chain: string | undefined;
    let inSet = false;
    for (const line of text.split("\n")) {
      const t = /^table (\S+) (\S+) \{/.exec(line);
      const c = /^\tchain (\S+) \{/.exec(line);
      if (t) table = `${t[1]} ${t[2]}`;
      else if (c) chain = c[1];
      else if (/^\t(set|map) /.test(line)) inSet = true;
      else if (line === "\t}") [chain, inSet] = [undefined, false];
      else if (chain && !inSet && line.startsWith("\t\t")) {
        theirs.push(sortSets(`${table} ${chain}: ${line.trim().replace(/counter packets \d+ bytes \d+/g, "counter")}`));
      }
    }
    const parsed = parseNftRuleset(readFileSync(join(FIXTURES, "nft-list-ruleset", `${scenario}.json`), "utf8"));
    const ours = parsed.tables
      .flatMap((t) => t.items)
      .filter((i) => /^\S+ \S+ [^\s:]+: /.test(i) && !/^\S+ \S+ (set|map) /.test(i))
      .map(sortSets);
    const comparable = ours.filter((i) => !i.includes(" xt "));
    for (const item of comparable) expect(theirs).toContain(item);
    if (!ours.some((i) => i.includes(" xt "))) expect(ours.length).toBe(theirs.length);
  });
});
