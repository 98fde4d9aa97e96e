/**
 * Pure analysis of a parsed ruleset, per address family: is inbound traffic filtered, what
 * happens to a packet nothing matched, and which ports are open to everyone.
 *
 * Netfilter semantics that matter here: every base chain on the input hook sees the packet
 * (an accept in one only ends that chain), so a family is filtered when at least one input
 * chain ends in drop/reject without first accepting everything, and a port is open only when
 * every such chain lets it through.
 */
import {
  anyPacket,
  combine,
  formatRange,
  mergeRanges,
  tableFamilies,
  type Condition,
  type Family,
  type FilterChain,
  type FilterTable,
  type PortRange,
} from "./ruleset.js";

/** The effective default for inbound packets no rule matched. */
export type InboundPolicy = "drop" | "reject" | "accept" | "none";

/** What one address family's inbound filtering amounts to. */
export interface FamilyView {
  /** At least one input chain drops/rejects by default and does not accept everything first. */
  enabled: boolean;
  policy: InboundPolicy;
  /** `tcp/22`, `udp/5060-5061`, `tcp/all`, `all`, sorted. */
  openPorts: string[];
}

/** Open ports as per-protocol ranges; the key `*` means "any protocol". */
type PortSet = Map<string, PortRange[]>;
const ALL_PORTS: PortRange[] = [[0, 65535]];
const MAX_DEPTH = 32;

/** Analyzes one family over every table that applies to it. */
export function analyzeFamily(tables: readonly FilterTable[], family: Family): FamilyView {
  const results: { verdict: "accept" | "drop" | "reject"; open: PortSet }[] = [];
  for (const table of tables) {
    if (!tableFamilies(table.family).includes(family)) continue;
    const byName = new Map(table.chains.map((c) => [c.name, c]));
    for (const chain of table.chains) {
      if (chain.hook !== "input" || (chain.type ?? "filter") !== "filter") continue;
      const open: PortSet = new Map();
      const { end, leaky } = walk(chain, anyPacket([family]), family, byName, open, 0);
      // Packets that return from a base chain (or leak out of a sub-chain) meet its policy.
      const policy = chain.policy ?? "accept";
      const verdict = end === undefined || end === "return" || leaky ? policy : end;
      results.push({ verdict, open });
    }
  }
  const filtering = results.filter((r) => r.verdict !== "accept");
  if (filtering.length === 0) {
    return { enabled: false, policy: results.length > 0 ? "accept" : "none", openPorts: ["all"] };
  }
  let open: PortSet | undefined;
  for (const r of filtering) open = open ? intersect(open, r.open) : r.open;
  const openPorts = formatPortSet(open!);
  return {
    enabled: !openPorts.includes("all"),
    policy: filtering.some((r) => r.verdict === "drop") ? "drop" : "reject",
    openPorts,
  };
}

type End = "accept" | "drop" | "reject" | "return" | undefined;

/**
 * Walks a chain for packets that satisfy `ctx`, collecting accepted, unrestricted traffic into
 * `open`. `end` is the verdict that ends the trip of every packet still in the chain at that
 * point; `leaky` says some packets left earlier back to the caller (a conditional `return`),
 * so for the caller the end is not final.
 */
function walk(
  chain: FilterChain,
  ctx: Condition,
  family: Family,
  chains: Map<string, FilterChain>,
  open: PortSet,
  depth: number,
): { end: End; leaky: boolean } {
  let leaky = false;
  if (depth > MAX_DEPTH) return { end: undefined, leaky: true };
  for (const rule of chain.rules) {
    for (const branch of rule.branches) {
      if (!branch.cond.families.includes(family)) continue;
      const c = combine(ctx, branch.cond);
      const catchAll = !branch.cond.conditional;
      const v = branch.verdict;
      switch (v.kind) {
        case "accept":
          if (!c.restricted && !c.portless && c.opaque.length === 0) addOpen(open, c);
          if (catchAll) return { end: "accept", leaky };
          break;
        case "drop":
        case "reject":
          if (catchAll) return { end: v.kind, leaky };
          break;
        case "return":
          if (catchAll) return { end: "return", leaky };
          leaky = true;
          break;
        case "jump":
        case "goto": {
          const target = chains.get(v.target);
          const sub = target ? walk(target, c, family, chains, open, depth + 1) : { end: undefined, leaky: true };
          const final = sub.end !== undefined && sub.end !== "return" && !sub.leaky;
          if (catchAll && final) return { end: sub.end, leaky };
          if (v.kind === "goto") {
            // A goto never comes back here: packets it takes that are not finished over there
            // go back to this chain's caller.
            if (catchAll) return { end: "return", leaky };
            if (!final) leaky = true;
          }
          break;
        }
        case "none":
          break;
      }
    }
  }
  return { end: undefined, leaky };
}

function addOpen(open: PortSet, c: Condition): void {
  const ranges = c.ports ?? ALL_PORTS;
  for (const proto of c.protocols ?? ["*"]) open.set(proto, mergeRanges([...(open.get(proto) ?? []), ...ranges]));
}

function rangesFor(s: PortSet, proto: string): PortRange[] {
  return mergeRanges([...(s.get(proto) ?? []), ...(s.get("*") ?? [])]);
}

function intersect(a: PortSet, b: PortSet): PortSet {
  const out: PortSet = new Map();
  for (const proto of new Set([...a.keys(), ...b.keys()])) {
    const x = rangesFor(a, proto);
    const y = rangesFor(b, proto);
    const both: PortRange[] = [];
    for (const [alo, ahi] of x) {
      for (const [blo, bhi] of y) {
        const lo = Math.max(alo, blo);
        const hi = Math.min(ahi, bhi);
        if (lo <= hi) both.push([lo, hi]);
      }
    }
    if (both.length > 0) out.set(proto, mergeRanges(both));
  }
  return out;
}

function isAll(ranges: readonly PortRange[]): boolean {
  return ranges.length === 1 && ranges[0]![0] <= 1 && ranges[0]![1] === 65535;
}

function formatPortSet(s: PortSet): string[] {
  const any = s.get("*") ?? [];
  if (isAll(any)) return ["all"];
  const items: { proto: string; lo: number; text: string }[] = [];
  for (const [proto, ranges] of s) {
    const label = proto === "*" ? "any" : proto;
    if (isAll(ranges)) {
      items.push({ proto: label, lo: -1, text: `${label}/all` });
      continue;
    }
    for (const r of ranges) items.push({ proto: label, lo: r[0], text: `${label}/${formatRange(r)}` });
  }
  return items.sort((x, y) => x.proto.localeCompare(y.proto) || x.lo - y.lo).map((i) => i.text);
}
