/**
 * Parsers for firewalld's `firewall-cmd` listings (firewalld 1.x output shapes, as printed by
 * firewall/command.py), and the pure analysis that turns zones into per-family facts.
 */
import { ProbeError } from "../monitor.js";
import type { FamilyView } from "./analyze.js";
import type { Family } from "./ruleset.js";

/** What `firewall-cmd --state` can say. */
export type FirewalldState = "running" | "not running" | "failed";

/** Parses `firewall-cmd --state` (stdout is the same whether it exits 0, 251 or 252). */
export function parseFirewalldState(text: string): FirewalldState {
  const s = text.trim();
  if (s === "running" || s === "not running" || s === "failed") return s;
  throw new ProbeError(`firewall-cmd --state printed "${(s.split("\n")[0] ?? "").slice(0, 60)}", expected running or not running`);
}

/** One entry of `--get-active-zones`. */
export interface ActiveZone {
  zone: string;
  interfaces: string[];
  sources: string[];
}

/** Parses `firewall-cmd --get-active-zones`: a zone name, then indented interfaces/sources. */
export function parseFirewalldActiveZones(text: string): ActiveZone[] {
  const zones: ActiveZone[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const kv = /^\s+(interfaces|sources):\s*(.*)$/.exec(line);
    if (kv) {
      const z = zones[zones.length - 1];
      if (!z) throw new ProbeError(`firewall-cmd --get-active-zones: "${line.trim()}" before any zone`);
      z[kv[1] as "interfaces" | "sources"] = words(kv[2]!);
    } else if (/^\S+(?: \([^)]*\))?$/.test(line)) {
      zones.push({ zone: line.split(" ")[0]!, interfaces: [], sources: [] });
    } else {
      throw new ProbeError(`firewall-cmd --get-active-zones: unexpected line "${line.slice(0, 80)}"`);
    }
  }
  return zones;
}

/** One zone as `--list-all` prints it. */
export interface FirewalldZone {
  name: string;
  /** `default`, `active` from the header line `public (default, active)`. */
  attributes: string[];
  target: string;
  interfaces: string[];
  sources: string[];
  services: string[];
  ports: string[];
  protocols: string[];
  sourcePorts: string[];
  forwardPorts: string[];
  icmpBlocks: string[];
  icmpBlockInversion: boolean;
  masquerade: boolean;
  forward: boolean;
  richRules: string[];
}

/** Parses `firewall-cmd --list-all --zone=NAME`. */
export function parseFirewalldZone(text: string): FirewalldZone {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const header = /^(\S+)(?: \(([^)]*)\))?$/.exec(lines[0] ?? "");
  if (!header) throw new ProbeError(`firewall-cmd --list-all: expected a zone name first, got "${(lines[0] ?? "").slice(0, 80)}"`);
  const fields = new Map<string, string[]>();
  let current: string | undefined;
  for (const line of lines.slice(1)) {
    const m = /^ {2}([a-z-]+(?: rules)?):\s?(.*)$/.exec(line);
    if (m) {
      current = m[1]!;
      fields.set(current, m[2]!.trim() === "" ? [] : [m[2]!.trim()]);
    } else if (line.startsWith("\t") && current) {
      fields.get(current)!.push(line.trim()); // rich rules and forward ports, one per line
    } else {
      throw new ProbeError(`firewall-cmd --list-all: unexpected line "${line.trim().slice(0, 80)}"`);
    }
  }
  if (!fields.has("target")) throw new ProbeError("firewall-cmd --list-all: no target line; not a zone listing");
  const list = (k: string) => (fields.get(k) ?? []).flatMap(words);
  const lines1 = (k: string) => fields.get(k) ?? [];
  return {
    name: header[1]!,
    attributes: header[2] ? header[2].split(",").map((s) => s.trim()) : [],
    target: (fields.get("target") ?? [""])[0] ?? "",
    interfaces: list("interfaces"),
    sources: list("sources"),
    services: list("services"),
    ports: list("ports"),
    protocols: list("protocols"),
    sourcePorts: list("source-ports"),
    forwardPorts: list("forward-ports"),
    icmpBlocks: list("icmp-blocks"),
    icmpBlockInversion: (fields.get("icmp-block-inversion") ?? [])[0] === "yes",
    masquerade: (fields.get("masquerade") ?? [])[0] === "yes",
    forward: (fields.get("forward") ?? [])[0] === "yes",
    richRules: lines1("rich rules"),
  };
}

/** One service as `--info-service` prints it. */
export interface FirewalldService {
  name: string;
  ports: string[];
  protocols: string[];
  /** Families the service is limited to by its `destination` (none = both). */
  families: Family[];
  includes: string[];
}

/** Parses `firewall-cmd --info-service=NAME`. */
export function parseFirewalldService(text: string): FirewalldService {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const name = (lines[0] ?? "").trim();
  if (!/^[\w.+-]+$/.test(name)) throw new ProbeError(`firewall-cmd --info-service: expected a service name first, got "${name.slice(0, 80)}"`);
  const fields = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    const m = /^ {2}([a-z-]+):\s?(.*)$/.exec(line);
    if (!m) throw new ProbeError(`firewall-cmd --info-service: unexpected line "${line.trim().slice(0, 80)}"`);
    fields.set(m[1]!, words(m[2]!));
  }
  if (!fields.has("ports")) throw new ProbeError("firewall-cmd --info-service: no ports line; not a service listing");
  const destinations = fields.get("destination") ?? [];
  const families = destinations
    .map((d) => (d.startsWith("ipv4:") ? "ipv4" : d.startsWith("ipv6:") ? "ipv6" : undefined))
    .filter((f): f is Family => f !== undefined);
  return {
    name,
    ports: fields.get("ports") ?? [],
    protocols: fields.get("protocols") ?? [],
    families: [...new Set(families)],
    includes: fields.get("includes") ?? [],
  };
}

function words(s: string): string[] {
  return s.trim() === "" ? [] : s.trim().split(/\s+/);
}

/** Everything firewalld told us, ready for the pure per-family analysis. */
export interface FirewalldView {
  state: FirewalldState;
  defaultZone: string | undefined;
  /** The zones in force: active ones plus the default zone. */
  zones: FirewalldZone[];
  services: Map<string, FirewalldService>;
}

/** Readable items per family, in firewalld's own terms: `zone public: service https`. */
export function firewalldItems(view: FirewalldView, family: Family): string[] {
  const items: string[] = [`firewalld: state ${view.state}`];
  if (view.defaultZone) items.push(`firewalld: default zone ${view.defaultZone}`);
  for (const z of [...view.zones].sort((a, b) => a.name.localeCompare(b.name))) {
    const p = `zone ${z.name}:`;
    items.push(`${p} target ${z.target}`);
    if (z.interfaces.length) items.push(`${p} interfaces ${z.interfaces.join(" ")}`);
    if (z.sources.length) items.push(`${p} sources ${z.sources.join(" ")}`);
    for (const s of [...z.services].sort()) items.push(`${p} service ${s}`);
    for (const port of z.ports) items.push(`${p} port ${port}`);
    for (const proto of z.protocols) items.push(`${p} protocol ${proto}`);
    for (const sp of z.sourcePorts) items.push(`${p} source-port ${sp}`);
    for (const fp of z.forwardPorts) items.push(`${p} forward-port ${fp}`);
    for (const ib of z.icmpBlocks) items.push(`${p} icmp-block ${ib}`);
    if (z.icmpBlockInversion) items.push(`${p} icmp-block-inversion yes`);
    if (z.masquerade) items.push(`${p} masquerade yes`);
    for (const rr of z.richRules) {
      const fam = richRuleFamily(rr);
      if (fam === undefined || fam === family) items.push(`${p} rich rule ${rr}`);
    }
  }
  return items;
}

function richRuleFamily(rule: string): Family | undefined {
  const m = /\bfamily="(ipv4|ipv6)"/.exec(rule);
  return m ? (m[1] as Family) : undefined;
}

/** Turns the zones in force into the same per-family view the other backends produce. */
export function analyzeFirewalld(view: FirewalldView, family: Family): FamilyView {
  if (view.state !== "running") return { enabled: false, policy: "none", openPorts: ["all"] };
  const def = view.zones.find((z) => z.name === view.defaultZone);
  // Zones bound to interfaces (and the default zone, which takes every unbound interface) face
  // everyone; zones bound only to source networks do not.
  const facing = view.zones.filter((z) => z.interfaces.length > 0 || z === def);
  const targets = facing.map((z) => z.target);
  if (facing.length === 0 || targets.includes("ACCEPT")) {
    return { enabled: false, policy: facing.length === 0 ? "none" : "accept", openPorts: ["all"] };
  }
  const open = new Set<string>();
  for (const z of facing) {
    for (const s of z.services) for (const p of servicePorts(view, s, family, new Set())) open.add(p);
    for (const p of z.ports) open.add(portItem(p));
    for (const rr of z.richRules) {
      const p = richRulePorts(view, rr, family);
      for (const x of p) open.add(x);
    }
  }
  const policy = (def ?? facing[0]!).target === "DROP" ? "drop" : "reject";
  return { enabled: true, policy, openPorts: sortPorts([...open]) };
}

function servicePorts(view: FirewalldView, name: string, family: Family, seen: Set<string>): string[] {
  if (seen.has(name)) return [];
  seen.add(name);
  const s = view.services.get(name);
  if (!s) return [`service ${name} (ports unknown)`];
  if (s.families.length > 0 && !s.families.includes(family)) return [];
  return [...s.ports.map(portItem), ...s.includes.flatMap((i) => servicePorts(view, i, family, seen))];
}

function richRulePorts(view: FirewalldView, rule: string, family: Family): string[] {
  const fam = richRuleFamily(rule);
  if (fam !== undefined && fam !== family) return [];
  if (!/\baccept\b/.test(rule) || /\bsource\s+address=/.test(rule) || /\bsource\s+ipset=/.test(rule) || /\bsource\s+mac=/.test(rule)) return [];
  const svc = /\bservice name="([^"]+)"/.exec(rule);
  if (svc) return servicePorts(view, svc[1]!, family, new Set());
  const port = /\bport port="([^"]+)" protocol="([^"]+)"/.exec(rule);
  if (port) return [portItem(`${port[1]}/${port[2]}`)];
  return [];
}

/** firewalld writes `5060-5061/udp`; the other backends' items are `udp/5060-5061`. */
function portItem(p: string): string {
  const m = /^([\d-]+)\/(\w+)$/.exec(p);
  return m ? `${m[2]}/${m[1]}` : p;
}

function sortPorts(items: string[]): string[] {
  return items.sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
}
