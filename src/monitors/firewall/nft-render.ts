/**
 * Renders libnftables JSON (`nft -j`, json_schema_version 1) back into nft's own syntax, the
 * way `nft list ruleset` prints it, minus counter values and handles: drift is shown to people
 * in the language they wrote the rules in, and counters never count as a change.
 *
 * Anything this renderer does not know is rendered as `<unknown NAME …>` and reported through
 * `unknown`, never thrown: a newer nft must not blind the monitor.
 */

type Json = unknown;
type Obj = Record<string, Json>;

/** Collects expression types the renderer could not read. */
export interface RenderNotes {
  unknown: Set<string>;
  /** iptables-nft compat matches/targets (`xt`), which nft's JSON leaves opaque. */
  xt: Set<string>;
}

/** Fresh notes for one rendering pass. */
export function newNotes(): RenderNotes {
  return { unknown: new Set(), xt: new Set() };
}

/** A plain JSON object (not null, not an array). */
export function isObj(v: Json): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The single key of a `{ "kind": body }` object, or undefined. */
export function kindOf(v: Json): [string, Json] | undefined {
  if (!isObj(v)) return undefined;
  const keys = Object.keys(v);
  return keys.length === 1 ? [keys[0]!, v[keys[0]!]] : undefined;
}

// Meta keys nft prints without the `meta` keyword.
const UNQUALIFIED_META = new Set(["iif", "oif", "iifname", "oifname", "iifgroup", "oifgroup"]);
// Keys whose values are strings that nft prints quoted.
const QUOTED_KEYS = new Set(["iifname", "oifname", "iif", "oif", "ibrname", "obrname", "iifkind", "oifkind", "sdif", "sdifname"]);

const VERDICTS = new Set(["accept", "drop", "continue", "return"]);

function unknownExpr(name: string, body: Json, notes: RenderNotes): string {
  notes.unknown.add(name);
  return `<unknown ${name} ${stableJson(body)}>`;
}

/** JSON with sorted keys, so the same structure always renders the same text. */
export function stableJson(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  if (isObj(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(v[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

function str(v: Json): string {
  return typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : stableJson(v);
}

function quote(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** Is this the left side of a comparison whose string values nft quotes? */
function quotesStrings(left: Json): boolean {
  const k = kindOf(left);
  if (!k) return false;
  const [name, body] = k;
  if (name === "meta" && isObj(body)) return QUOTED_KEYS.has(str(body.key));
  return false;
}

/** Renders an expression (the operands of a match, a set element, a map key…). */
export function renderExpr(e: Json, notes: RenderNotes, quoteStrings = false): string {
  if (e === null || e === undefined) return "";
  if (typeof e === "string") {
    if (e.startsWith("@")) return e; // set reference
    return quoteStrings ? quote(e) : e;
  }
  if (typeof e === "number") return String(e);
  if (typeof e === "boolean") return e ? "exists" : "missing";
  if (Array.isArray(e)) return e.map((x) => renderExpr(x, notes, quoteStrings)).join(",");
  const k = kindOf(e);
  if (!k) return unknownExpr("object", e, notes);
  const [name, body] = k;
  const b = isObj(body) ? body : {};
  switch (name) {
    case "set":
      return renderSetElements(Array.isArray(body) ? body : [body], notes, quoteStrings);
    case "range":
      return Array.isArray(body) ? body.map((x) => renderExpr(x, notes, quoteStrings)).join("-") : unknownExpr(name, body, notes);
    case "prefix":
      return `${renderExpr(b.addr, notes)}/${str(b.len)}`;
    case "concat":
      return Array.isArray(body) ? body.map((x) => renderExpr(x, notes, quoteStrings)).join(" . ") : unknownExpr(name, body, notes);
    case "elem":
      return renderExpr(b.val, notes, quoteStrings);
    case "map":
      return `${renderExpr(b.key, notes)} map ${renderExpr(b.data, notes)}`;
    case "payload":
      if (b.protocol !== undefined) return `${str(b.protocol)} ${str(b.field)}`;
      return `@${str(b.base)},${str(b.offset)},${str(b.len)}`;
    case "exthdr":
      return b.field !== undefined ? `${str(b.name)} ${str(b.field)}` : `exthdr ${str(b.name)}`;
    case "tcp option":
      return b.field !== undefined ? `tcp option ${str(b.name)} ${str(b.field)}` : `tcp option ${str(b.name)}`;
    case "ip option":
      return b.field !== undefined ? `ip option ${str(b.name)} ${str(b.field)}` : `ip option ${str(b.name)}`;
    case "sctp chunk":
      return b.field !== undefined ? `sctp chunk ${str(b.name)} ${str(b.field)}` : `sctp chunk ${str(b.name)}`;
    case "dccp option":
      return `dccp option ${str(b.type)}`;
    case "meta": {
      const key = str(b.key);
      return UNQUALIFIED_META.has(key) ? key : `meta ${key}`;
    }
    case "rt":
      return b.family !== undefined ? `rt ${str(b.family)} ${str(b.key)}` : `rt ${str(b.key)}`;
    case "ct": {
      const parts = ["ct"];
      if (b.dir !== undefined) parts.push(str(b.dir));
      if (b.family !== undefined) parts.push(str(b.family));
      parts.push(str(b.key));
      return parts.join(" ");
    }
    case "socket":
      return `socket ${str(b.key)}`;
    case "osf":
      return b.ttl !== undefined ? `osf ttl ${str(b.ttl)} ${str(b.key)}` : `osf ${str(b.key)}`;
    case "ipsec":
      return `ipsec ${str(b.dir)} spnum ${str(b.spnum ?? 0)} ${b.family !== undefined ? `${str(b.family)} ` : ""}${str(b.key)}`;
    case "fib": {
      const flags = Array.isArray(b.flags) ? b.flags.map(str) : b.flags !== undefined ? [str(b.flags)] : [];
      return `fib ${flags.join(" . ")} ${str(b.result)}`;
    }
    case "numgen":
      return `numgen ${str(b.mode)} mod ${str(b.mod)}${b.offset ? ` offset ${str(b.offset)}` : ""}`;
    case "jhash":
    case "symhash":
      return `${name}${b.expr !== undefined ? ` ${renderExpr(b.expr, notes)}` : ""} mod ${str(b.mod)}${b.seed !== undefined ? ` seed ${str(b.seed)}` : ""}${b.offset ? ` offset ${str(b.offset)}` : ""}`;
    case "|":
    case "^":
    case "&":
    case "<<":
    case ">>":
      return Array.isArray(body) ? body.map((x) => renderExpr(x, notes, quoteStrings)).join(` ${name} `) : unknownExpr(name, body, notes);
    default:
      if (VERDICTS.has(name)) return name;
      if (name === "jump" || name === "goto") return `${name} ${str(b.target)}`;
      return unknownExpr(name, body, notes);
  }
}

function renderSetElements(items: Json[], notes: RenderNotes, quoteStrings: boolean): string {
  // Anonymous set elements come back in the kernel's (hash) order: sort them for stability.
  const parts = items
    .map((el) => {
      if (Array.isArray(el) && el.length === 2) return `${renderExpr(el[0], notes, quoteStrings)} : ${renderExpr(el[1], notes)}`;
      return renderExpr(el, notes, quoteStrings);
    })
    .sort(naturalCompare);
  return `{ ${parts.join(", ")} }`;
}

/** Orders `22` before `443` and `a` before `b`, so numeric elements read naturally. */
export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, "en", { numeric: true });
}

function renderMatch(b: Obj, notes: RenderNotes): string {
  if (b.left === undefined || b.left === null || b.right === undefined || typeof b.op !== "string") return unknownExpr("match", b, notes);
  const q = quotesStrings(b.left);
  const left = renderExpr(b.left, notes);
  const right = renderExpr(b.right, notes, q);
  const op = str(b.op);
  // nft omits `==` and `in`; for booleans (`exists`/`missing`) too.
  if (op === "==" || op === "in") return `${left} ${right}`;
  return `${left} ${op} ${right}`;
}

function renderLimit(b: Obj): string {
  const inv = b.inv ? "over " : "";
  const rateUnit = b.rate_unit && b.rate_unit !== "packets" ? ` ${str(b.rate_unit)}` : "";
  let s = `limit rate ${inv}${str(b.rate)}${rateUnit}/${str(b.per ?? "second")}`;
  if (b.burst !== undefined && b.burst !== 0 && !(b.burst === 5 && !b.rate_unit)) {
    s += ` burst ${str(b.burst)} ${b.burst_unit ? str(b.burst_unit) : "packets"}`;
  }
  return s;
}

function renderLog(b: Obj): string {
  const parts = ["log"];
  if (b.prefix !== undefined) parts.push(`prefix ${quote(str(b.prefix))}`);
  if (b.group !== undefined) parts.push(`group ${str(b.group)}`);
  if (b.snaplen !== undefined) parts.push(`snaplen ${str(b.snaplen)}`);
  if (b["queue-threshold"] !== undefined) parts.push(`queue-threshold ${str(b["queue-threshold"])}`);
  if (b.level !== undefined) parts.push(`level ${str(b.level)}`);
  if (b.flags !== undefined) parts.push(`flags ${Array.isArray(b.flags) ? b.flags.map(str).join(",") : str(b.flags)}`);
  return parts.join(" ");
}

function renderNat(name: string, b: Obj, notes: RenderNotes): string {
  // `dnat ip to 10.0.0.1:80` (family only in inet tables), `redirect to :8080`, `masquerade`.
  const parts = [name];
  if (b.family !== undefined) parts.push(str(b.family));
  if (b.addr !== undefined) parts.push(`to ${renderExpr(b.addr, notes)}${b.port !== undefined ? `:${renderExpr(b.port, notes)}` : ""}`);
  else if (b.port !== undefined) parts.push(`to :${renderExpr(b.port, notes)}`);
  if (b.flags !== undefined) parts.push(Array.isArray(b.flags) ? b.flags.map(str).join(",") : str(b.flags));
  return parts.join(" ");
}

/** Renders one statement of a rule's `expr` array. */
export function renderStatement(s: Json, notes: RenderNotes): string {
  const k = kindOf(s);
  if (!k) return unknownExpr("statement", s, notes);
  const [name, body] = k;
  const b = isObj(body) ? body : {};
  switch (name) {
    case "match":
      return renderMatch(b, notes);
    case "counter":
      // Named counters are referenced by name; anonymous counter values are noise.
      return typeof body === "string" ? `counter name ${quote(body)}` : "counter";
    case "accept":
    case "drop":
    case "continue":
    case "return":
      return name;
    case "jump":
    case "goto":
      return `${name} ${str(b.target)}`;
    case "reject":
      if (b.type === undefined) return "reject";
      if (b.type === "tcp reset") return "reject with tcp reset";
      return b.expr !== undefined ? `reject with ${str(b.type)} ${str(b.expr)}` : `reject with ${str(b.type)}`;
    case "log":
      return renderLog(b);
    case "limit":
      return typeof body === "string" ? `limit name ${quote(body)}` : renderLimit(b);
    case "quota":
      if (typeof body === "string") return `quota name ${quote(body)}`;
      return `quota ${b.inv ? "over " : ""}${str(b.val)} ${str(b.val_unit ?? "bytes")}`;
    case "mangle":
      return `${renderExpr(b.key, notes)} set ${renderExpr(b.value, notes)}`;
    case "vmap":
      return `${renderExpr(b.key, notes)} vmap ${renderExpr(b.data, notes, quotesStrings(b.key))}`;
    case "snat":
    case "dnat":
    case "masquerade":
    case "redirect":
      return renderNat(name, b, notes);
    case "notrack":
      return "notrack";
    case "flow":
      return `flow ${str(b.op ?? "add")} ${str(b.flowtable)}`;
    case "queue": {
      const num = b.num !== undefined ? ` num ${renderExpr(b.num, notes)}` : "";
      const flags = b.flags !== undefined ? ` ${Array.isArray(b.flags) ? b.flags.map(str).join(",") : str(b.flags)}` : "";
      return `queue${flags}${num}`;
    }
    case "dup":
      return `dup to ${renderExpr(b.addr, notes)}${b.dev !== undefined ? ` device ${renderExpr(b.dev, notes, true)}` : ""}`;
    case "fwd":
      return `fwd ${b.family !== undefined ? `${str(b.family)} ` : ""}to ${b.addr !== undefined ? `${renderExpr(b.addr, notes)} device ` : ""}${renderExpr(b.dev, notes, true)}`;
    case "set":
    case "map":
      return `${str(b.op)} ${str(b.set ?? b.map)} { ${renderExpr(b.elem, notes)}${b.data !== undefined ? ` : ${renderExpr(b.data, notes)}` : ""} }`;
    case "meter":
      return `meter ${str(b.name)} { ${renderExpr(b.key, notes)} ${renderStatement(b.stmt, notes)} }`;
    case "ct helper":
      return `ct helper set ${renderExpr(body, notes, true)}`;
    case "ct timeout":
      return `ct timeout set ${renderExpr(body, notes, true)}`;
    case "ct expectation":
      return `ct expectation set ${renderExpr(body, notes, true)}`;
    case "ct count":
      return `ct count ${b.inv ? "over " : ""}${str(b.val)}`;
    case "tproxy":
      return `tproxy ${b.family !== undefined ? `${str(b.family)} ` : ""}to ${b.addr !== undefined ? renderExpr(b.addr, notes) : ""}${b.port !== undefined ? `:${str(b.port)}` : ""}`;
    case "synproxy":
      return `synproxy${b.mss !== undefined ? ` mss ${str(b.mss)}` : ""}${b.wscale !== undefined ? ` wscale ${str(b.wscale)}` : ""}${Array.isArray(b.flags) ? ` ${b.flags.map(str).join(" ")}` : ""}`;
    case "secmark":
      return `meta secmark set ${renderExpr(body, notes, true)}`;
    case "last":
      return "last"; // the `used` timestamp is runtime state, like a counter
    case "reset":
      return `reset ${renderExpr(body, notes)}`;
    case "xt": {
      // iptables-nft compat: nft's JSON only says which match/target, not its arguments.
      const what = `${str(b.type)} ${str(b.name)}`;
      notes.xt.add(what);
      return `xt ${what}`;
    }
    default:
      return unknownExpr(name, body, notes);
  }
}

const STANDARD_PRIO: Record<number, string> = { [-300]: "raw", [-150]: "mangle", [-100]: "dstnat", 0: "filter", 50: "security", 100: "srcnat" };

/** Standard names that nft uses only at one hook (nft(8), "standard priority names"). */
const PRIO_HOOK: Record<string, string> = { dstnat: "prerouting", srcnat: "postrouting" };

/** `filter`, `filter + 10` (firewalld's chains), `mangle - 5`: nft names a priority within 10 of a standard one valid at the hook. */
function standardPriority(prio: number, hook: string): string {
  for (const [value, name] of Object.entries(STANDARD_PRIO)) {
    if (PRIO_HOOK[name] && PRIO_HOOK[name] !== hook) continue;
    const offset = prio - Number(value);
    if (offset === 0) return name;
    if (Math.abs(offset) <= 10) return `${name} ${offset > 0 ? "+" : "-"} ${Math.abs(offset)}`;
  }
  return String(prio);
}

/** `type filter hook input priority filter; policy drop;` as nft prints a base chain. */
export function renderChainDecl(c: Obj): string | undefined {
  if (c.hook === undefined) return undefined;
  const prio = typeof c.prio === "number" && c.family !== "bridge" ? standardPriority(c.prio, str(c.hook)) : str(c.prio);
  const dev = c.dev !== undefined ? ` device ${Array.isArray(c.dev) ? `{ ${c.dev.map(str).join(", ")} }` : quote(str(c.dev))}` : "";
  const policy = c.policy !== undefined ? ` policy ${str(c.policy)};` : "";
  return `type ${str(c.type)} hook ${str(c.hook)}${dev} priority ${prio};${policy}`;
}
