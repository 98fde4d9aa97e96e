/**
 * The backend-neutral shape every firewall parser produces (nft JSON, iptables-save, …), so
 * that one pure analysis decides "is IPv4/IPv6 filtered, and which ports are open to
 * everyone" the same way whatever wrote the rules.
 */

/** The two address families reported separately (other tools get IPv6 wrong). */
export type Family = "ipv4" | "ipv6";
/** Both families, in report order. */
export const FAMILIES: readonly Family[] = ["ipv4", "ipv6"];

/** What a rule (or one arm of a verdict map) does with the packets it matches. */
export type Verdict =
  | { kind: "accept" | "drop" | "reject" | "return" | "none" }
  | { kind: "jump" | "goto"; target: string };

/** An inclusive port range. */
export type PortRange = readonly [number, number];

/**
 * What a rule's conditions mean for the question "is this open to everyone?". Conditions
 * that merely narrow the traffic (a destination address, a rate limit) keep a rule "open";
 * conditions on who sends it (source address, input interface, established-only) do not.
 */
export interface Condition {
  /** The address families this rule can match at all. */
  families: readonly Family[];
  /** Transport protocols it is limited to; null = any. */
  protocols: readonly string[] | null;
  /** Destination ports it is limited to; null = any. */
  ports: readonly PortRange[] | null;
  /** Limited to some senders (source address, interface, established/related traffic). */
  restricted: boolean;
  /** Has any condition at all (then it is not a catch-all). */
  conditional: boolean;
  /** Matches something that has no ports (ICMP types): never an "open port". */
  portless: boolean;
  /** Conditions that could not be read (iptables-nft `xt` matches, unknown expressions). */
  opaque: readonly string[];
}

/** A condition and what happens to packets that meet it. */
export interface Branch {
  cond: Condition;
  verdict: Verdict;
}

/** One rule: its normalized text (what people read in drift) and what it does. */
export interface FilterRule {
  text: string;
  /** Usually one; a verdict map (`tcp dport vmap { 22 : accept, … }`) gives one per element. */
  branches: Branch[];
}

/** A chain: base chains carry their hook and policy. */
export interface FilterChain {
  name: string;
  /** Set for base chains (`type filter hook input`, iptables' built-in INPUT of `filter`). */
  hook?: string;
  type?: string;
  /** A base chain without a policy accepts. */
  policy?: "accept" | "drop";
  rules: FilterRule[];
}

/** nftables table families (iptables tables map to ip/ip6). */
export type TableFamily = "ip" | "ip6" | "inet" | "arp" | "bridge" | "netdev";

/** A table as read from one source, with the readable items that go into the facts. */
export interface FilterTable {
  family: TableFamily;
  name: string;
  chains: FilterChain[];
  /**
   * Normalized, human-readable lines (chain declarations, sets, rules) in a stable order,
   * prefixed with where they live: `inet filter input: tcp dport 22 accept`.
   */
  items: string[];
  /** Expressions of this table that could not be read, with where they are. */
  unreadable: string[];
}

/** The result of parsing one backend's output. */
export interface ParsedRuleset {
  tables: FilterTable[];
  /** Things outside any table that could not be read (unknown object types). */
  unknown: string[];
}

/** Everything unreadable in a set of tables, plus what lay outside them, without repeats. */
export function unreadableOf(tables: readonly FilterTable[], outside: readonly string[] = []): string[] {
  return [...new Set([...outside, ...tables.flatMap((t) => t.unreadable)])];
}

/** Which families a table's rules apply to. */
export function tableFamilies(family: TableFamily): Family[] {
  if (family === "ip") return ["ipv4"];
  if (family === "ip6") return ["ipv6"];
  if (family === "inet") return ["ipv4", "ipv6"];
  return [];
}

/** The condition of a rule with no conditions at all. */
export function anyPacket(families: readonly Family[] = FAMILIES): Condition {
  return { families, protocols: null, ports: null, restricted: false, conditional: false, portless: false, opaque: [] };
}

/** Both conditions at once (a jump's condition and the rules of the chain it jumps to). */
export function combine(a: Condition, b: Condition): Condition {
  return {
    families: a.families.filter((f) => b.families.includes(f)),
    protocols: a.protocols === null ? b.protocols : b.protocols === null ? a.protocols : a.protocols.filter((p) => b.protocols!.includes(p)),
    ports: a.ports === null ? b.ports : b.ports === null ? a.ports : intersectRanges(a.ports, b.ports),
    restricted: a.restricted || b.restricted,
    conditional: a.conditional || b.conditional,
    portless: a.portless || b.portless,
    opaque: [...a.opaque, ...b.opaque],
  };
}

/** Ports in both lists. */
export function intersectRanges(a: readonly PortRange[], b: readonly PortRange[]): PortRange[] {
  const out: PortRange[] = [];
  for (const [alo, ahi] of a) {
    for (const [blo, bhi] of b) {
      const lo = Math.max(alo, blo);
      const hi = Math.min(ahi, bhi);
      if (lo <= hi) out.push([lo, hi]);
    }
  }
  return mergeRanges(out);
}

/** Sorted, with overlapping and adjacent ranges joined. */
export function mergeRanges(ranges: readonly PortRange[]): PortRange[] {
  const sorted = [...ranges].sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

/** Every port not in `ranges` (for `dport != …`). */
export function complementRanges(ranges: readonly PortRange[]): PortRange[] {
  const out: PortRange[] = [];
  let next = 0;
  for (const [lo, hi] of mergeRanges(ranges)) {
    if (lo > next) out.push([next, lo - 1]);
    next = Math.max(next, hi + 1);
  }
  if (next <= 65535) out.push([next, 65535]);
  return out;
}

/** `22` or `5060-5061`. */
export function formatRange([lo, hi]: PortRange): string {
  return lo === hi ? String(lo) : `${lo}-${hi}`;
}
