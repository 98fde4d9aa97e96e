/**
 * Parses `nft -j list ruleset` into the backend-neutral ruleset: readable items in nft syntax
 * (counters and handles removed, tables/chains/sets in name order, set elements sorted) and
 * what each rule means for the inbound analysis.
 */
import { ProbeError } from "../monitor.js";
import { isObj, kindOf, naturalCompare, newNotes, renderChainDecl, renderExpr, renderStatement, stableJson, type RenderNotes } from "./nft-render.js";
import {
  anyPacket,
  complementRanges,
  combine,
  mergeRanges,
  tableFamilies,
  type Branch,
  type Condition,
  type Family,
  type FilterChain,
  type FilterRule,
  type FilterTable,
  type ParsedRuleset,
  type PortRange,
  type TableFamily,
  type Verdict,
} from "./ruleset.js";

type Obj = Record<string, unknown>;

const TABLE_FAMILIES = new Set<TableFamily>(["ip", "ip6", "inet", "arp", "bridge", "netdev"]);
const PORT_PROTOCOLS = new Set(["tcp", "udp", "udplite", "sctp", "dccp"]);
const ICMP_PROTOCOLS = new Set(["icmp", "icmpv6", "ipv6-icmp", "igmp"]);
const SENDER_META = new Set(["iif", "iifname", "iiftype", "iifgroup", "iifkind", "ibrname", "ibrpvid", "sdif", "sdifname"]);
const OBJECT_KINDS = ["counter", "quota", "limit", "ct helper", "ct timeout", "ct expectation", "secmark", "synproxy", "flowtable", "tunnel"];

interface RawTable {
  family: TableFamily;
  name: string;
  dormant: boolean;
  /** JSON flags we could not read, and no text listing was given to settle them. */
  badFlags: string | undefined;
  sets: Map<string, Obj>;
  /** Objects other than chains and rules, rendered as items. */
  objects: { sortKey: string; render: (notes: RenderNotes) => string }[];
  chains: Map<string, { decl: Obj; rules: Obj[] }>;
}

const TABLE_FLAGS = new Set(["dormant", "owner", "persist"]);

/** Extra knowledge the probe can give the parser. */
export interface NftParseOptions {
  /**
   * Table flags read from `nft list table FAMILY NAME` (text), keyed `FAMILY NAME`: nft 1.0.6
   * misprints table flags in JSON (it prints an unrelated string), so the probe settles them
   * from the text listing.
   */
  tableFlags?: ReadonlyMap<string, readonly string[]>;
}

/** `nft -j list ruleset`, parsed. */
export interface NftRuleset extends ParsedRuleset {
  /** Tables (`FAMILY NAME`) whose JSON flags were unreadable; read their flags from text. */
  unreadableFlags: string[];
}

/** Parses the JSON text printed by `nft -j list ruleset`; throws ProbeError on malformed input. */
export function parseNftRuleset(text: string, opts: NftParseOptions = {}): NftRuleset {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ProbeError(`nft -j list ruleset printed malformed JSON (${(e as Error).message}); is nft working?`);
  }
  if (!isObj(doc) || !Array.isArray(doc.nftables)) {
    throw new ProbeError('nft -j list ruleset printed JSON without an "nftables" array: not a ruleset');
  }
  const unknownKinds = new Set<string>();
  const tables = new Map<string, RawTable>();
  const tableOf = (o: Obj): RawTable | undefined => tables.get(`${String(o.family)} ${String(o.table)}`);

  for (const entry of doc.nftables) {
    const k = kindOf(entry);
    if (!k || !isObj(k[1])) {
      unknownKinds.add(`top-level entry ${stableJson(entry).slice(0, 60)}`);
      continue;
    }
    const [kind, o] = k as [string, Obj];
    if (kind === "metainfo") continue;
    if (kind === "table") {
      const family = String(o.family) as TableFamily;
      if (!TABLE_FAMILIES.has(family)) {
        unknownKinds.add(`table family ${String(o.family)}`);
        continue;
      }
      const key = `${family} ${String(o.name)}`;
      const json = Array.isArray(o.flags) ? o.flags.map(String) : o.flags !== undefined ? [String(o.flags)] : [];
      const readable = json.every((f) => TABLE_FLAGS.has(f));
      const flags = readable ? json : opts.tableFlags?.get(key);
      tables.set(key, {
        family,
        name: String(o.name),
        // Unreadable flags may hide `dormant` (a table that filters nothing): assume the worst.
        dormant: flags ? flags.includes("dormant") : true,
        badFlags: flags ? undefined : json.join(","),
        sets: new Map(),
        objects: [],
        chains: new Map(),
      });
      continue;
    }
    const t = tableOf(o);
    if (!t) {
      unknownKinds.add(`${kind} outside a known table`);
      continue;
    }
    if (kind === "chain") {
      t.chains.set(String(o.name), { decl: o, rules: t.chains.get(String(o.name))?.rules ?? [] });
    } else if (kind === "rule") {
      const name = String(o.chain);
      const c = t.chains.get(name) ?? { decl: { name }, rules: [] };
      c.rules.push(o);
      t.chains.set(name, c);
    } else if (kind === "set" || kind === "map") {
      t.sets.set(String(o.name), o);
      t.objects.push({ sortKey: `${kind} ${String(o.name)}`, render: (n) => `${kind} ${String(o.name)}: ${renderSet(o, n)}` });
    } else if (kind === "element") {
      // `nft -j list ruleset` carries elements inside their set; a stray one is still shown.
      t.objects.push({ sortKey: `element ${String(o.name)}`, render: (n) => `element ${String(o.name)}: ${renderExpr({ set: o.elem }, n)}` });
    } else if (OBJECT_KINDS.includes(kind)) {
      t.objects.push({ sortKey: `${kind} ${String(o.name)}`, render: () => `${kind} ${String(o.name)}: ${renderObject(kind, o)}` });
    } else {
      unknownKinds.add(kind);
      t.objects.push({ sortKey: `~${kind} ${String(o.name)}`, render: () => `${kind} ${String(o.name)}: ${renderObject(kind, o)}` });
    }
  }

  const out: FilterTable[] = [];
  for (const t of [...tables.values()].sort((a, b) => a.family.localeCompare(b.family) || a.name.localeCompare(b.name))) {
    const where = `${t.family} ${t.name}`;
    const tableNotes = newNotes();
    const flagsText = t.badFlags !== undefined ? " flags unreadable (treated as dormant)" : t.dormant ? " flags dormant" : "";
    const items = [`table ${where}${flagsText}`];
    for (const obj of t.objects.sort((a, b) => a.sortKey.localeCompare(b.sortKey))) items.push(`${where} ${obj.render(tableNotes)}`);
    const unreadable: string[] = [];
    if (t.badFlags !== undefined) {
      unreadable.push(`table ${where} has flags nft printed unreadably ("${t.badFlags}"); treated as dormant`);
    }
    for (const u of tableNotes.unknown) unreadable.push(`unknown expression "${u}" in a set or map of ${where}`);
    const chains: FilterChain[] = [];
    for (const name of [...t.chains.keys()].sort()) {
      const c = t.chains.get(name)!;
      const decl = renderChainDecl(c.decl);
      if (decl) items.push(`${where} ${name}: ${decl}`);
      const rules: FilterRule[] = [];
      for (const r of c.rules) {
        const ruleNotes = newNotes();
        const rule = parseRule(r, t, ruleNotes);
        items.push(`${where} ${name}: ${rule.text}`);
        rules.push(rule);
        for (const u of ruleNotes.unknown) unreadable.push(`unknown expression "${u}" in ${where} ${name}`);
        for (const x of ruleNotes.xt) unreadable.push(`iptables-nft compat expression "xt ${x}" in ${where} (nft's JSON omits its arguments)`);
      }
      const chain: FilterChain = { name, rules };
      // A dormant table's hooks are not registered: its chains filter nothing.
      if (c.decl.hook !== undefined && !t.dormant) {
        chain.hook = String(c.decl.hook);
        chain.type = String(c.decl.type ?? "filter");
        if (c.decl.policy === "drop" || c.decl.policy === "accept") chain.policy = c.decl.policy;
      }
      chains.push(chain);
    }
    out.push({ family: t.family, name: t.name, chains, items, unreadable: [...new Set(unreadable)] });
  }
  return {
    tables: out,
    unknown: [...unknownKinds].map((k) => `unknown object type "${k}"`),
    unreadableFlags: [...tables.values()].filter((t) => t.badFlags !== undefined).map((t) => `${t.family} ${t.name}`),
  };
}

/**
 * Reads each table's `flags` line from `nft list ruleset` (text), keyed `FAMILY NAME`; tables
 * without flags map to []. Throws ProbeError when the text is not a ruleset listing.
 */
export function parseNftTextTableFlags(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const lines = text.split("\n");
  for (const [i, line] of lines.entries()) {
    const t = /^table (\S+) (\S+) \{$/.exec(line);
    if (!t) continue;
    const f = /^\tflags (\S+)$/.exec(lines[i + 1] ?? "");
    out.set(`${t[1]} ${t[2]}`, f ? f[1]!.split(",") : []);
  }
  if (out.size === 0 && text.trim() !== "") {
    throw new ProbeError(`nft list ruleset printed no table ("${(lines[0] ?? "").slice(0, 60)}")`);
  }
  return out;
}

function renderSet(o: Obj, notes: RenderNotes): string {
  const type = Array.isArray(o.type) ? o.type.map(String).join(" . ") : String(o.type);
  const parts = [o.map !== undefined ? `type ${type} : ${Array.isArray(o.map) ? o.map.map(String).join(" . ") : String(o.map)}` : `type ${type}`];
  const flags = Array.isArray(o.flags) ? o.flags.map(String) : typeof o.flags === "string" ? [o.flags] : [];
  if (flags.length > 0) parts.push(`flags ${flags.join(",")}`);
  if (o.policy !== undefined) parts.push(`policy ${String(o.policy)}`);
  if (o.timeout !== undefined) parts.push(`timeout ${String(o.timeout)}s`);
  if (o.size !== undefined) parts.push(`size ${String(o.size)}`);
  // Elements that rules add at run time (dynamic/timeout sets) are state, not configuration.
  const dynamic = flags.includes("dynamic") || flags.includes("timeout") || o.timeout !== undefined;
  if (dynamic) parts.push("elements not compared (dynamic set)");
  else if (Array.isArray(o.elem)) parts.push(`elements = ${renderExpr({ set: o.elem }, notes)}`);
  return parts.join("; ");
}

const RUNTIME_KEYS = new Set(["handle", "family", "table", "name", "packets", "bytes", "used", "used_unit"]);

function renderObject(kind: string, o: Obj): string {
  const rest: Obj = {};
  for (const [k, v] of Object.entries(o)) if (!RUNTIME_KEYS.has(k)) rest[k] = v;
  return kind === "counter" ? "counter" : stableJson(rest);
}

// --- rule semantics --------------------------------------------------------------------------

interface RuleState {
  cond: Condition;
  verdict: Verdict;
  branches: Branch[] | undefined;
}

function parseRule(r: Obj, t: RawTable, notes: RenderNotes): FilterRule {
  const exprs = Array.isArray(r.expr) ? r.expr : [];
  const text = exprs.map((s) => renderStatement(s, notes)).join(" ");
  const st: RuleState = { cond: anyPacket(tableFamilies(t.family)), verdict: { kind: "none" }, branches: undefined };
  for (const s of exprs) {
    if (st.verdict.kind !== "none" || st.branches) break; // statements after a verdict never run
    applyStatement(s, st, t);
  }
  const branches = st.branches ?? [{ cond: st.cond, verdict: st.verdict }];
  return { text: text || "(empty rule)", branches };
}

function verdictOf(v: unknown): Verdict | undefined {
  const k = kindOf(v);
  if (!k) return undefined;
  const [name, body] = k;
  if (name === "accept" || name === "drop" || name === "return") return { kind: name };
  if (name === "continue") return { kind: "none" };
  if ((name === "jump" || name === "goto") && isObj(body)) return { kind: name, target: String(body.target) };
  return undefined;
}

function applyStatement(s: unknown, st: RuleState, t: RawTable): void {
  const k = kindOf(s);
  if (!k) {
    st.cond = combine(st.cond, opaque("unreadable statement"));
    return;
  }
  const [name, body] = k;
  const b = isObj(body) ? body : {};
  const verdict = verdictOf(s);
  if (verdict) {
    st.verdict = verdict;
    return;
  }
  switch (name) {
    case "match":
      st.cond = combine(st.cond, matchCondition(b.left, String(b.op), b.right, t));
      return;
    case "reject":
      st.verdict = { kind: "reject" };
      return;
    case "vmap": {
      const data = isObj(b.data) && Array.isArray(b.data.set) ? b.data.set : undefined;
      if (!data) {
        st.cond = combine(st.cond, opaque("verdict map without inline elements"));
        return;
      }
      const branches: Branch[] = [];
      for (const el of data) {
        if (!Array.isArray(el) || el.length !== 2) continue;
        const v = verdictOf(el[1]);
        if (!v) continue;
        branches.push({ cond: combine(st.cond, matchCondition(b.key, "==", el[0], t)), verdict: v });
      }
      st.branches = branches;
      return;
    }
    case "xt":
      if (b.type === "target") {
        if (b.name === "REJECT") st.verdict = { kind: "reject" };
        return; // LOG, MARK…: non-terminal
      }
      st.cond = combine(st.cond, opaque(`xt match ${String(b.name)}`));
      return;
    case "limit":
    case "quota":
    case "ct count":
    case "meter":
    case "numgen":
      st.cond = combine(st.cond, neutral());
      return;
    default:
      // counter, log, mangle, set updates, nat…: do not decide which packets continue.
      if (!KNOWN_NON_MATCHING.has(name)) st.cond = combine(st.cond, opaque(name));
  }
}

const KNOWN_NON_MATCHING = new Set([
  "counter", "log", "mangle", "snat", "dnat", "masquerade", "redirect", "notrack", "flow", "queue", "dup", "fwd",
  "set", "map", "ct helper", "ct timeout", "ct expectation", "tproxy", "synproxy", "secmark", "last", "reset",
]);

function neutral(): Condition {
  return { ...anyPacket(), conditional: true };
}

function opaque(what: string): Condition {
  return { ...anyPacket(), conditional: true, opaque: [what] };
}

function restricted(families?: Family[]): Condition {
  return { ...anyPacket(families), conditional: true, restricted: true };
}

function withFamilies(c: Condition, families: Family[]): Condition {
  return { ...c, families };
}

/** Values on the right of a comparison, flattened: `{ 80, 443 }`, `["established","related"]`. */
function values(right: unknown): unknown[] {
  if (Array.isArray(right)) return right.flatMap(values);
  const k = kindOf(right);
  if (k && k[0] === "set") return Array.isArray(k[1]) ? k[1].flatMap(values) : values(k[1]);
  if (k && k[0] === "elem" && isObj(k[1])) return values(k[1].val);
  return [right];
}

function setElements(ref: string, t: RawTable): unknown[] | undefined {
  const set = t.sets.get(ref.slice(1));
  if (!set || !Array.isArray(set.elem)) return undefined;
  return set.elem.flatMap(values);
}

function toRange(v: unknown): PortRange | undefined {
  if (typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 65535) return [v, v];
  if (typeof v === "string" && /^\d+$/.test(v)) return toRange(Number(v));
  const k = kindOf(v);
  if (k && k[0] === "range" && Array.isArray(k[1]) && k[1].length === 2) {
    const lo = toRange(k[1][0]);
    const hi = toRange(k[1][1]);
    if (lo && hi) return [lo[0], hi[1]];
  }
  return undefined;
}

function portsFrom(op: string, right: unknown, t: RawTable): PortRange[] | null | undefined {
  const vals = typeof right === "string" && right.startsWith("@") ? setElements(right, t) : values(right);
  if (!vals) return undefined;
  const ranges: PortRange[] = [];
  for (const v of vals) {
    const r = toRange(v);
    if (!r) return undefined;
    ranges.push(r);
  }
  const merged = mergeRanges(ranges);
  const single = ranges.length === 1 ? ranges[0]![0] : undefined;
  switch (op) {
    case "==":
    case "in":
      return merged;
    case "!=":
      return complementRanges(merged);
    case "<":
      return single !== undefined && single > 0 ? [[0, single - 1]] : undefined;
    case "<=":
      return single !== undefined ? [[0, single]] : undefined;
    case ">":
      return single !== undefined && single < 65535 ? [[single + 1, 65535]] : undefined;
    case ">=":
      return single !== undefined ? [[single, 65535]] : undefined;
    default:
      return undefined;
  }
}

function protocolsFrom(op: string, right: unknown): { protocols: string[] | null; portless: boolean } {
  if (op !== "==" && op !== "in") return { protocols: null, portless: false };
  const protos = values(right).map((v) => String(v).replace(/^ipv6-icmp$/, "icmpv6"));
  return { protocols: protos, portless: protos.length > 0 && protos.every((p) => ICMP_PROTOCOLS.has(p)) };
}

const FAMILY_PAYLOADS: Record<string, Family> = { ip: "ipv4", icmp: "ipv4", igmp: "ipv4", ip6: "ipv6", icmpv6: "ipv6" };

/** What `left op right` means for the inbound analysis. */
function matchCondition(left: unknown, op: string, right: unknown, t: RawTable): Condition {
  const k = kindOf(left);
  if (!k) return opaque("unreadable match");
  const [kind, body] = k;
  const b = isObj(body) ? body : {};
  const negated = op === "!=";
  const base = neutral();
  switch (kind) {
    case "payload": {
      const proto = b.protocol === undefined ? undefined : String(b.protocol);
      const field = String(b.field);
      if (proto === undefined) return base; // raw payload offsets
      const fam = FAMILY_PAYLOADS[proto];
      const c = fam ? withFamilies(base, [fam]) : base;
      if (field === "dport" && (PORT_PROTOCOLS.has(proto) || proto === "th")) {
        const ports = portsFrom(op, right, t);
        if (ports === undefined) return { ...c, opaque: [`${proto} dport ${renderExpr(right, newNotes())}`] };
        return { ...c, ports, protocols: proto === "th" ? null : [proto] };
      }
      if (PORT_PROTOCOLS.has(proto)) return { ...c, protocols: [proto] };
      if (proto === "icmp" || proto === "icmpv6") return { ...c, protocols: [proto], portless: true };
      if ((proto === "ip" || proto === "ip6") && field === "saddr") return negated ? c : { ...c, restricted: true };
      if ((proto === "ip" && field === "protocol") || (proto === "ip6" && field === "nexthdr")) {
        const p = protocolsFrom(op, right);
        return { ...c, protocols: p.protocols, portless: p.portless };
      }
      return c;
    }
    case "meta": {
      const key = String(b.key);
      if (key === "l4proto") {
        const p = protocolsFrom(op, right);
        return { ...base, protocols: p.protocols, portless: p.portless };
      }
      if (key === "nfproto" || key === "protocol") {
        if (op !== "==" && op !== "in") return base;
        const fams = values(right)
          .map((v) => ({ ipv4: "ipv4", ip: "ipv4", ipv6: "ipv6", ip6: "ipv6" })[String(v)])
          .filter((f): f is Family => f !== undefined);
        return fams.length > 0 ? withFamilies(base, fams) : base;
      }
      if (SENDER_META.has(key)) return negated ? base : restricted();
      return base;
    }
    case "ct": {
      const key = String(b.key);
      if (key === "state") {
        const states = values(right).map(String);
        const allowsNew = negated ? !states.includes("new") : states.includes("new") || states.includes("untracked");
        return allowsNew ? base : restricted();
      }
      // `ct status dnat accept` (firewalld's forward-port path) and the like match only
      // connections a NAT rule or an earlier reply already let in, never any new packet.
      if (key === "status") return negated ? base : restricted();
      if (key === "saddr" || key === "ip saddr" || key === "ip6 saddr") return negated ? base : restricted();
      return base;
    }
    case "concat": {
      const parts = Array.isArray(body) ? body : [];
      const sender = parts.some((p) => {
        const pk = kindOf(p);
        if (!pk || !isObj(pk[1])) return false;
        if (pk[0] === "payload") return pk[1].field === "saddr";
        if (pk[0] === "meta") return SENDER_META.has(String(pk[1].key));
        return false;
      });
      return sender && !negated ? restricted() : opaque(`concatenation ${renderExpr(left, newNotes())}`);
    }
    case "fib":
    case "exthdr":
    case "rt":
    case "socket":
    case "osf":
    case "ipsec":
    case "tcp option":
    case "ip option":
    case "sctp chunk":
    case "dccp option":
    case "numgen":
    case "jhash":
    case "symhash":
    case "&":
    case "|":
    case "^":
    case "<<":
    case ">>":
      return base;
    default:
      return opaque(kind);
  }
}
