/**
 * The `firewall` monitor: is inbound traffic filtered, per address family, and is the ruleset
 * the approved one? Reads the kernel's ruleset (nft, iptables-save), ufw's config and status,
 * or firewalld's zones. Only observes.
 */
import { NFT_MONITOR, watchFirewall } from "./watch.js";
import type { PrivilegedQueries, PrivilegedQuery } from "../../kit/privileged.js";
import { z } from "zod";
import { CommandError, CommandNotFound, CommandPermissionDenied, type RunOptions } from "../../kit/exec.js";
import { parseWith } from "../../kit/config-schema.js";
import { defineMonitor, ProbeError, type ProbeContext } from "../monitor.js";
import { buildFacts, evidence, FACT, type FirewallReading, type KernelView } from "./facts.js";
import {
  parseFirewalldActiveZones,
  parseFirewalldService,
  parseFirewalldState,
  parseFirewalldZone,
  type FirewalldService,
  type FirewalldZone,
} from "./parse-firewall-cmd.js";
import { parseIptablesSave } from "./parse-iptables-save.js";
import { parseNftRuleset, parseNftTextTableFlags } from "./parse-nft-ruleset.js";
import { parseUfwConf, parseUfwStatus } from "./parse-ufw.js";
import { firewallPolicy } from "./policy.js";
import { FAMILIES, unreadableOf, type Family, type FilterTable } from "./ruleset.js";

/** Values of `monitors.firewall.backend`. */
export const BACKENDS = ["auto", "nftables", "iptables", "ufw", "firewalld"] as const;

const configSchema = z.strictObject({
  backend: z.enum(BACKENDS).default("auto"),
});

/** `monitors.firewall` (the agent strips `schedule` before this sees it). */
export type FirewallConfig = z.output<typeof configSchema>;

/** ufw's own switch: ENABLED=yes means ufw loads its rules at boot. */
export const UFW_CONF = "/etc/ufw/ufw.conf";

/** The exact commands this monitor runs through `ctx.privileged` (declared below for gatehouse-probe). */
export const FIREWALL_COMMANDS = {
  nft: ["nft", "-j", "list", "ruleset"],
  nftText: ["nft", "list", "ruleset"],
  iptablesSave: ["iptables-save"],
  ip6tablesSave: ["ip6tables-save"],
  iptablesNftSave: ["iptables-nft-save"],
  ip6tablesNftSave: ["ip6tables-nft-save"],
  iptablesLegacySave: ["iptables-legacy-save"],
  ip6tablesLegacySave: ["ip6tables-legacy-save"],
  ufwStatus: ["ufw", "status", "verbose"],
  firewalldState: ["firewall-cmd", "--state"],
  firewalldDefaultZone: ["firewall-cmd", "--get-default-zone"],
  firewalldActiveZones: ["firewall-cmd", "--get-active-zones"],
  // plus ["firewall-cmd", "--list-all", "--zone=NAME"] and ["firewall-cmd", "--info-service=NAME"]
} as const;

type Argv = readonly string[];

const command = (argv: readonly [string, ...string[]]): PrivilegedQuery => ({ kind: "command", argv });

/**
 * What gatehouse-probe answers for this monitor (all need CAP_NET_ADMIN, or root for ufw).
 * firewalld's zone and service listings carry a parameter and go through the daemon's own
 * rights, as firewalld's read-only "info" calls allow.
 */
export const FIREWALL_PRIVILEGED = {
  "nft-ruleset": command(FIREWALL_COMMANDS.nft),
  "nft-ruleset-text": command(FIREWALL_COMMANDS.nftText),
  "iptables-save": command(FIREWALL_COMMANDS.iptablesSave),
  "ip6tables-save": command(FIREWALL_COMMANDS.ip6tablesSave),
  "iptables-legacy-save": command(FIREWALL_COMMANDS.iptablesLegacySave),
  "ip6tables-legacy-save": command(FIREWALL_COMMANDS.ip6tablesLegacySave),
  "iptables-nft-save": command(FIREWALL_COMMANDS.iptablesNftSave),
  "ip6tables-nft-save": command(FIREWALL_COMMANDS.ip6tablesNftSave),
  "ufw-status": command(FIREWALL_COMMANDS.ufwStatus),
  "firewalld-state": command(FIREWALL_COMMANDS.firewalldState),
  "firewalld-default-zone": command(FIREWALL_COMMANDS.firewalldDefaultZone),
  "firewalld-active-zones": command(FIREWALL_COMMANDS.firewalldActiveZones),
  "nft-monitor": { kind: "stream", argv: NFT_MONITOR },
} as const satisfies PrivilegedQueries;

/** One probe run: the context, plus notes on optional reads that were not available. */
interface Session {
  ctx: ProbeContext;
  notes: string[];
}

function explain(argv: Argv, e: unknown): never {
  if (e instanceof CommandPermissionDenied) {
    throw new ProbeError(`${argv.join(" ")}: permission denied; reading firewall rules needs root (CAP_NET_ADMIN): run as root or through gatehouse-probe`);
  }
  if (e instanceof CommandError) throw new ProbeError(`${argv.join(" ")} failed: ${e.message}`);
  throw e;
}

/** Runs a privileged read the verdict depends on; undefined only when the tool is not installed. */
async function tryRun(s: Session, argv: Argv, opts: RunOptions = {}): Promise<string | undefined> {
  try {
    return (await s.ctx.privileged.run(argv[0]!, argv.slice(1), { signal: s.ctx.signal, ...opts })).stdout;
  } catch (e) {
    if (e instanceof CommandNotFound) return undefined;
    return explain(argv, e);
  }
}

/**
 * Runs a read that only refines the picture (iptables-nft-save, the legacy tables, ufw's own
 * status): if it fails (not installed, refused by gatehouse-probe's allow-list, garbage), the
 * monitor says so in its evidence and goes on with what it has.
 */
async function optionalRun<T>(s: Session, argv: Argv, parse: (text: string) => T, opts: RunOptions = {}): Promise<T | undefined> {
  try {
    return parse((await s.ctx.privileged.run(argv[0]!, argv.slice(1), { signal: s.ctx.signal, ...opts })).stdout);
  } catch (e) {
    if (e instanceof CommandNotFound) return undefined;
    if (!(e instanceof CommandError) && !(e instanceof ProbeError)) throw e;
    s.ctx.log.warn({ err: e.message }, `${argv.join(" ")} unavailable`);
    s.notes.push(`${argv.join(" ")} unavailable: ${e.message}`);
    return undefined;
  }
}

async function mustRun(s: Session, argv: Argv, why: string, opts: RunOptions = {}): Promise<string> {
  const out = await tryRun(s, argv, opts);
  if (out === undefined) throw new ProbeError(`${argv[0]} is not installed (${why})`);
  return out;
}

async function readOptionalFile(s: Session, path: string): Promise<string | undefined> {
  try {
    return await s.ctx.readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new ProbeError(`cannot read ${path}: ${(e as Error).message}`);
  }
}

interface Read {
  reading: FirewallReading;
  source: string;
}

/** A legacy table only matters when it does something (rules, or a policy other than ACCEPT). */
function inUse(t: FilterTable): boolean {
  return t.chains.some((c) => c.rules.length > 0 || c.policy === "drop");
}

/**
 * The kernel's ruleset as nft sees it, with iptables-nft's tables re-read through
 * iptables-nft-save (nft's JSON leaves their `xt` matches opaque) and any in-use
 * iptables-legacy tables added (they filter too, invisible to nft).
 */
async function readKernel(s: Session): Promise<{ view: KernelView; source: string } | undefined> {
  const text = await tryRun(s, FIREWALL_COMMANDS.nft);
  if (text === undefined) return undefined;
  let parsed = parseNftRuleset(text);
  const sources = [FIREWALL_COMMANDS.nft.join(" ")];
  if (parsed.unreadableFlags.length > 0) {
    // nft 1.0.6 misprints table flags in JSON; its text listing has them right.
    const flags = await optionalRun(s, FIREWALL_COMMANDS.nftText, parseNftTextTableFlags);
    if (flags) {
      parsed = parseNftRuleset(text, { tableFlags: flags });
      sources.push(FIREWALL_COMMANDS.nftText.join(" "));
    }
  }
  let tables: FilterTable[] = parsed.tables;
  let replaced = 0;
  // iptables-nft writes both families; once any of its compat expressions shows up, re-read all
  // of its tables, so both families are read the same way.
  if (tables.some((t) => t.unreadable.some((u) => u.startsWith("iptables-nft compat")))) {
    for (const family of FAMILIES) {
      const tf = family === "ipv4" ? "ip" : "ip6";
      const argv = family === "ipv4" ? FIREWALL_COMMANDS.iptablesNftSave : FIREWALL_COMMANDS.ip6tablesNftSave;
      const p = await optionalRun(s, argv, (t) => parseIptablesSave(t, family));
      if (!p) continue;
      const names = new Set(p.tables.map((t) => t.name));
      replaced += tables.filter((t) => t.family === tf && names.has(t.name)).length;
      tables = [...tables.filter((t) => !(t.family === tf && names.has(t.name))), ...p.tables];
      sources.push(argv.join(" "));
    }
  }
  const legacy: FilterTable[] = [];
  for (const family of FAMILIES) {
    const argv = family === "ipv4" ? FIREWALL_COMMANDS.iptablesLegacySave : FIREWALL_COMMANDS.ip6tablesLegacySave;
    const p = await optionalRun(s, argv, (t) => parseIptablesSave(t, family, "iptables-legacy "));
    if (!p) break; // not installed: the v6 tool is not either
    legacy.push(...p.tables.filter(inUse));
  }
  if (legacy.length > 0) {
    tables = [...tables, ...legacy];
    sources.push("iptables-legacy-save, ip6tables-legacy-save");
  }
  const nftTables = parsed.tables.length;
  const backend =
    nftTables === 0 && legacy.length > 0 ? "iptables-legacy" : nftTables > 0 && replaced === nftTables ? "iptables-nft" : "nftables";
  return {
    view: { kind: "kernel", backend, tables, unknown: unreadableOf(tables, parsed.unknown) },
    source: sources.join(", "),
  };
}

/** iptables-save and ip6tables-save (whichever variant the system's alternatives select). */
async function readIptablesBackend(s: Session): Promise<{ view: KernelView; source: string } | undefined> {
  const t4 = await tryRun(s, FIREWALL_COMMANDS.iptablesSave);
  if (t4 === undefined) return undefined;
  const t6 = await tryRun(s, FIREWALL_COMMANDS.ip6tablesSave);
  const p4 = parseIptablesSave(t4, "ipv4");
  const p6 = t6 === undefined ? undefined : parseIptablesSave(t6, "ipv6");
  const variant = p4.variant ?? p6?.variant;
  return {
    view: { kind: "kernel", backend: variant ? `iptables-${variant}` : "iptables", tables: [...p4.tables, ...(p6?.tables ?? [])], unknown: [] },
    source: t6 === undefined ? "iptables-save" : "iptables-save, ip6tables-save",
  };
}

async function readUfw(s: Session, confText: string): Promise<Read> {
  // ufw drives the iptables tools, so its kernel state is read with them; nft as a fallback.
  const kernel = (await readIptablesBackend(s)) ?? (await readKernel(s));
  if (!kernel) throw new ProbeError("ufw is configured but neither iptables-save nor nft is installed to read its rules");
  // ufw's own view is a bonus (its rules in ufw syntax); the kernel ruleset is the authority.
  const status = await optionalRun(s, FIREWALL_COMMANDS.ufwStatus, parseUfwStatus);
  if (!status) s.notes.push("ufw status: not available");
  return {
    reading: { ...kernel.view, backend: "ufw", ufw: { conf: parseUfwConf(confText), status } },
    source: `${kernel.source}, ${UFW_CONF}${status ? ", ufw status verbose" : ""}`,
  };
}

async function readFirewalld(s: Session, stateText?: string): Promise<Read> {
  const fw = (args: string[], opts?: RunOptions) => mustRun(s, ["firewall-cmd", ...args], "backend firewalld", opts);
  const state = parseFirewalldState(stateText ?? (await fw(["--state"], { okExitCodes: [0, 251, 252] })));
  const view = { state, defaultZone: undefined as string | undefined, zones: [] as FirewalldZone[], services: new Map<string, FirewalldService>() };
  if (state === "running") {
    view.defaultZone = (await fw(["--get-default-zone"])).trim() || undefined;
    const active = parseFirewalldActiveZones(await fw(["--get-active-zones"]));
    const names = [...new Set([...active.map((a) => a.zone), ...(view.defaultZone ? [view.defaultZone] : [])])].sort();
    for (const name of names) view.zones.push(parseFirewalldZone(await fw(["--list-all", `--zone=${name}`])));
    const pending = view.zones.flatMap((z) => [...z.services, ...z.richRules.flatMap((r) => /service name="([^"]+)"/.exec(r)?.slice(1) ?? [])]);
    while (pending.length > 0) {
      const name = pending.shift()!;
      if (view.services.has(name) || !/^[\w.+-]+$/.test(name)) continue;
      const svc = parseFirewalldService(await fw([`--info-service=${name}`]));
      view.services.set(name, svc);
      pending.push(...svc.includes);
    }
  }
  return { reading: { kind: "firewalld", backend: "firewalld", view }, source: "firewall-cmd" };
}

async function probeFirewall(s: Session, config: FirewallConfig): Promise<Read> {
  switch (config.backend) {
    case "nftables": {
      const k = await readKernel(s);
      if (!k) throw new ProbeError("nft is not installed (backend nftables): install nftables or set monitors.firewall.backend");
      return { reading: k.view, source: k.source };
    }
    case "iptables": {
      const k = await readIptablesBackend(s);
      if (!k) throw new ProbeError("iptables-save is not installed (backend iptables): install iptables or set monitors.firewall.backend");
      return { reading: k.view, source: k.source };
    }
    case "ufw": {
      const conf = await readOptionalFile(s, UFW_CONF);
      if (conf === undefined) throw new ProbeError(`${UFW_CONF} not found (backend ufw): is ufw installed?`);
      return readUfw(s, conf);
    }
    case "firewalld":
      return readFirewalld(s);
    case "auto": {
      const state = await optionalRun(s, FIREWALL_COMMANDS.firewalldState, (t) => (parseFirewalldState(t), t), { okExitCodes: [0, 251, 252] });
      if (state !== undefined && parseFirewalldState(state) === "running") return readFirewalld(s, state);
      const conf = await readOptionalFile(s, UFW_CONF);
      if (conf !== undefined && parseUfwConf(conf).enabled === true) return readUfw(s, conf);
      const k = (await readKernel(s)) ?? (await readIptablesBackend(s));
      if (k) return { reading: k.view, source: k.source };
      if (state !== undefined) return readFirewalld(s, state); // firewalld installed but stopped
      throw new ProbeError("no firewall tool found (nft, iptables-save, ufw, firewall-cmd): install nftables");
    }
  }
}

/** Fact keys compared with the approved baseline: rules, ports, policies; never counters. */
export const FIREWALL_BASELINE_FACTS = [
  FACT.backend,
  ...FAMILIES.flatMap((f: Family) => [FACT.policy(f), FACT.openPorts(f), FACT.rules(f)]),
  FACT.otherRules,
  FACT.ufwRules,
  FACT.fingerprint,
] as const;

/** The firewall monitor definition (registered in src/monitors/index.ts). */
export const firewall = defineMonitor<FirewallConfig>({
  id: "firewall",
  title: "Host firewall",
  control: "firewall",
  defaultSchedule: "*/5 * * * *",
  starter: "firewall: { schedule: \"*/5 * * * *\", backend: auto }",
  enabledByDefault: true,
  parseConfig: (raw) => parseWith(configSchema, raw ?? {}),
  async probe(ctx, config) {
    const session: Session = { ctx, notes: [] };
    const { reading, source } = await probeFirewall(session, config);
    return { facts: buildFacts(reading), evidence: evidence(reading, source, session.notes) };
  },
  policy: (facts) => firewallPolicy(facts),
  baselineFacts: FIREWALL_BASELINE_FACTS,
  privileged: FIREWALL_PRIVILEGED,
  watch(ctx, config, changed) {
    if (config.backend !== "auto" && config.backend !== "nftables") return undefined;
    if (!ctx.privileged.stream) return undefined;
    return watchFirewall({ stream: ctx.privileged.stream, onChange: () => changed(), debounceMs: 300, log: ctx.log });
  },
});
