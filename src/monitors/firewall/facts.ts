/**
 * Pure assembly of the firewall facts from whatever the probe read, so that every backend
 * reports the same keys and the fingerprint is computed one way.
 */
import { createHash } from "node:crypto";
import type { Facts } from "../monitor.js";
import { analyzeFamily, type FamilyView } from "./analyze.js";
import { analyzeFirewalld, firewalldItems, type FirewalldView } from "./parse-firewall-cmd.js";
import type { UfwConf, UfwStatus } from "./parse-ufw.js";
import { FAMILIES, tableFamilies, type Family, type FilterTable } from "./ruleset.js";

/** Fact keys, stable (a renamed key needs a baseline migration). */
export const FACT = {
  backend: "firewall.backend",
  enabled: (f: Family) => `firewall.${f}_enabled`,
  policy: (f: Family) => `firewall.${f}_policy`,
  openPorts: (f: Family) => `firewall.${f}_open_ports`,
  rules: (f: Family) => `firewall.${f}_rules`,
  otherRules: "firewall.other_rules",
  unknown: "firewall.unknown_expressions",
  fingerprint: "firewall.fingerprint",
  ufwEnabled: "firewall.ufw_enabled",
  ufwRules: "firewall.ufw_rules",
  ufwDefaults: "firewall.ufw_defaults",
  firewalldState: "firewall.firewalld_state",
} as const;

/** The kernel's rules as read from nft and/or iptables-save. */
export interface KernelView {
  kind: "kernel";
  /** `nftables`, `iptables-nft`, `iptables-legacy`, `iptables`, or `ufw`. */
  backend: string;
  tables: FilterTable[];
  unknown: string[];
  ufw?: { conf: UfwConf; status: UfwStatus | undefined };
}

/** firewalld's zones, read through firewall-cmd (not the kernel ruleset). */
export interface FirewalldFacts {
  kind: "firewalld";
  backend: "firewalld";
  view: FirewalldView;
}

/** Whatever the probe read, for the pure fact builder. */
export type FirewallReading = KernelView | FirewalldFacts;

/** What a reading means per family, without the facts packaging (also used for evidence). */
export function familyViews(r: FirewallReading): Record<Family, FamilyView> {
  const view = (f: Family) => (r.kind === "firewalld" ? analyzeFirewalld(r.view, f) : analyzeFamily(r.tables, f));
  return { ipv4: view("ipv4"), ipv6: view("ipv6") };
}

function rulesFor(r: FirewallReading, family: Family): string[] {
  if (r.kind === "firewalld") return firewalldItems(r.view, family);
  return r.tables.filter((t) => tableFamilies(t.family).includes(family)).flatMap((t) => t.items);
}

/** Builds the facts of one observation. */
export function buildFacts(r: FirewallReading): Facts {
  const views = familyViews(r);
  const facts: Facts = { [FACT.backend]: r.backend };
  const lists: string[][] = [];
  for (const f of FAMILIES) {
    const v = views[f];
    const rules = rulesFor(r, f);
    lists.push(rules);
    facts[FACT.enabled(f)] = v.enabled;
    facts[FACT.policy(f)] = v.policy;
    facts[FACT.openPorts(f)] = v.openPorts;
    facts[FACT.rules(f)] = rules;
  }
  const other = r.kind === "kernel" ? r.tables.filter((t) => tableFamilies(t.family).length === 0).flatMap((t) => t.items) : [];
  facts[FACT.otherRules] = other;
  facts[FACT.unknown] = r.kind === "kernel" ? r.unknown : [];
  if (r.kind === "kernel" && r.ufw) {
    facts[FACT.ufwEnabled] = r.ufw.conf.enabled ?? null;
    facts[FACT.ufwRules] = r.ufw.status ? r.ufw.status.rules : null;
    facts[FACT.ufwDefaults] = r.ufw.status
      ? Object.entries(r.ufw.status.defaults)
          .map(([dir, action]) => `${action} (${dir})`)
          .join(", ")
      : null;
  }
  if (r.kind === "firewalld") facts[FACT.firewalldState] = r.view.state;
  facts[FACT.fingerprint] = fingerprint([...lists, other]);
  return facts;
}

/** sha256 over the normalized item lists: same rules in the same order, same fingerprint. */
export function fingerprint(lists: readonly (readonly string[])[]): string {
  return createHash("sha256").update(JSON.stringify(lists)).digest("hex");
}

/** A few lines of evidence for people: what was read and what it means. */
export function evidence(r: FirewallReading, source: string, notes: readonly string[] = []): string {
  const views = familyViews(r);
  const lines = [`backend: ${r.backend} (read with ${source})`];
  for (const f of FAMILIES) {
    const v = views[f];
    const open = v.openPorts.length ? v.openPorts.join(", ") : "none";
    lines.push(`${f}: ${v.enabled ? "filtered" : "NOT filtered"}, default ${v.policy}, open to everyone: ${open}`);
    lines.push(`${f}: ${rulesFor(r, f).length} rules`);
  }
  if (r.kind === "kernel" && r.unknown.length) lines.push(`unreadable: ${r.unknown.join("; ")}`);
  if (r.kind === "kernel" && r.ufw) {
    lines.push(`ufw.conf: ENABLED=${r.ufw.conf.enabled === undefined ? "?" : r.ufw.conf.enabled ? "yes" : "no"}`);
    if (r.ufw.status) lines.push(`ufw status: ${r.ufw.status.active ? "active" : "inactive"}, ${r.ufw.status.rules.length} rules`);
  }
  lines.push(...notes);
  const text = lines.join("\n");
  return text.length > 4000 ? `${text.slice(0, 4000)}…` : text;
}
