/**
 * patches (control `updates`): pending security updates and how long they have been pending,
 * automatic updates, a pending reboot or newer kernel, and whether the OS release is still
 * supported. Debian/Ubuntu through a simulated `apt-get dist-upgrade`, RHEL family through dnf.
 */
import { isAbsolute, join } from "node:path";
import { z } from "zod";
import { CommandFailed, CommandNotFound, type RunResult } from "../../kit/exec.js";
import { parseWith } from "../../kit/config-schema.js";
import {
  NotApplicable,
  ProbeError,
  defineMonitor,
  type Facts,
  type PolicyContext,
  type PolicyFinding,
  type ProbeContext,
} from "../monitor.js";
import { osEndOfLife } from "./os-eol.js";
import { aptReadsPart, parseAptConf, unattendedUpgradeEnabled } from "./parse-apt-conf.js";
import { parseAptGetSimulate, pendingItem } from "./parse-apt-get.js";
import { dnfItem, parseDnfCheckUpdate, parseDnfUpdateinfo, parseNeedsRestarting, type DnfAdvisory } from "./parse-dnf.js";
import { parseOsRelease } from "./parse-os-release.js";
import { compareVersions } from "./version-compare.js";
import {
  availabilityItem,
  parseAvailabilityItem,
  readReleases,
  securityAvailability,
  upgradeHistory,
  type AgeFiles,
  type AptReleaseFile,
  type UpgradeHistory,
} from "./update-age.js";
import { DAY_MS } from "../../kit/time.js";

const ConfigSchema = z.strictObject({
  max_pending_security_days: z.number().int().positive().default(7),
  reboot_required: z.enum(["warn", "fail"]).default("fail"),
  root: z
    .string()
    .refine((p) => isAbsolute(p), { message: "expected an absolute path" })
    .default("/"),
});

/** Validated `monitors.patches` config. */
export type PatchesConfig = z.output<typeof ConfigSchema>;

/** The exact simulated-upgrade command: read-only, and no lock so it never blocks a real apt run. */
export const APT_ARGV = ["apt-get", "-s", "-o", "Debug::NoLocking=1", "dist-upgrade"] as const;
/** `-C` (cache only) keeps the probe from refreshing metadata: monitors only observe. */
export const DNF_SECURITY_ARGV = ["dnf", "-q", "-C", "check-update", "--security"] as const;
export const DNF_ALL_ARGV = ["dnf", "-q", "-C", "check-update"] as const;
/** Security advisories for the available updates, with the vendor's dates (cache only). */
export const DNF_ADVISORIES_ARGV = ["dnf", "-q", "-C", "updateinfo", "info", "--security"] as const;
export const NEEDS_RESTARTING_ARGV = ["needs-restarting", "-r"] as const;

/** Package lists older than this make the pending-update answer stale. */
const LISTS_STALE_HOURS = 48;
/** Warn this many days before the OS release's end of life. */
const EOL_WARN_DAYS = 90;

const K = {
  manager: "patches.package_manager",
  security: "patches.pending_security",
  securityCount: "patches.pending_security_count",
  otherCount: "patches.pending_other_count",
  keptBack: "patches.kept_back",
  listsAge: "patches.last_update_age_hours",
  unattended: "patches.unattended_upgrades_enabled",
  reboot: "patches.reboot_required",
  rebootPkgs: "patches.reboot_required_pkgs",
  kernelRunning: "patches.kernel_running",
  kernelNewest: "patches.kernel_newest_installed",
  kernelPending: "patches.kernel_update_pending",
  osId: "patches.os_id",
  osVersion: "patches.os_version",
  osName: "patches.os_name",
  osEol: "patches.os_eol_date",
  availableSince: "patches.security_available_since",
  lastUpgrade: "patches.last_security_upgrade",
  lastUpgradeSource: "patches.last_security_upgrade_source",
  logsSince: "patches.upgrade_logs_since",
} as const;

/** The probe's file view under the configured `root`, with the box's own paths. */
function filesUnder(ctx: ProbeContext, root: string): AgeFiles {
  const at = (p: string) => join(root, p);
  return {
    readFile: (p) => ctx.readFile(at(p)),
    readBytes: (p) => ctx.readBytes(at(p)),
    readDir: (p) => ctx.readDir(at(p)),
    stat: (p) => ctx.stat(at(p)),
  };
}

async function run(ctx: ProbeContext, argv: readonly string[], okExitCodes = [0]): Promise<RunResult | undefined> {
  try {
    return await ctx.run(argv[0]!, argv.slice(1), { okExitCodes, timeoutMs: 180_000, signal: ctx.signal });
  } catch (e) {
    if (e instanceof CommandNotFound) return undefined;
    throw e;
  }
}

async function readOptional(ctx: ProbeContext, path: string): Promise<string | undefined> {
  try {
    return await ctx.readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

async function mtimeHoursAgo(ctx: ProbeContext, paths: string[], now: Date): Promise<number | null> {
  for (const p of paths) {
    try {
      const s = await ctx.stat(p);
      return Math.round(((now.getTime() - s.mtime.getTime()) / 3_600_000) * 10) / 10;
    } catch {
      /* try the next candidate */
    }
  }
  return null;
}

async function kernelFacts(ctx: ProbeContext, root: string): Promise<Facts> {
  const uname = await run(ctx, ["uname", "-r"]);
  const running = uname?.stdout.trim() || null;
  let installed: string[] = [];
  try {
    installed = (await ctx.readDir(join(root, "boot")))
      .map((f) => /^vmlinuz-(.+)$/.exec(f)?.[1])
      .filter((v): v is string => v !== undefined && !v.includes("rescue"));
  } catch {
    /* no /boot (containers, some VMs): nothing installed to compare with */
  }
  const newest = installed.sort(compareVersions).at(-1) ?? null;
  return {
    [K.kernelRunning]: running,
    [K.kernelNewest]: newest,
    [K.kernelPending]: running !== null && newest !== null && compareVersions(newest, running) > 0,
  };
}

async function osFacts(ctx: ProbeContext, root: string): Promise<Facts> {
  const text =
    (await readOptional(ctx, join(root, "etc/os-release"))) ?? (await readOptional(ctx, join(root, "usr/lib/os-release")));
  if (text === undefined) return { [K.osId]: null, [K.osVersion]: null, [K.osName]: null, [K.osEol]: null };
  const os = parseOsRelease(text);
  return { [K.osId]: os.id, [K.osVersion]: os.versionId, [K.osName]: os.prettyName, [K.osEol]: osEndOfLife(os) };
}

async function aptUnattended(root: string, ctx: ProbeContext): Promise<boolean> {
  const dir = join(root, "etc/apt/apt.conf.d");
  let names: string[];
  try {
    names = (await ctx.readDir(dir)).filter(aptReadsPart);
  } catch {
    return false;
  }
  const options = new Map<string, string>();
  for (const name of names) {
    for (const [k, v] of parseAptConf(await ctx.readFile(join(dir, name)))) options.set(k, v);
  }
  return unattendedUpgradeEnabled(options);
}

/** What an apt host's check reads besides the simulation: read while `apt-get -s` runs (seconds). */
interface AptHost {
  facts: Facts;
  releases: AptReleaseFile[];
  history: UpgradeHistory;
  problems: string[];
}

async function aptHost(ctx: ProbeContext, cfg: PatchesConfig): Promise<AptHost> {
  const rebootFlag = join(cfg.root, "run/reboot-required");
  const files = filesUnder(ctx, cfg.root);
  const [rebootPkgs, rebootRequired, lists, history, listsAge, unattended, kernel, os] = await Promise.all([
    readOptional(ctx, `${rebootFlag}.pkgs`),
    readOptional(ctx, rebootFlag).then((t) => t !== undefined),
    readReleases(files, "/var/lib/apt/lists"),
    upgradeHistory(files),
    mtimeHoursAgo(ctx, [join(cfg.root, "var/lib/apt/periodic/update-success-stamp"), join(cfg.root, "var/lib/apt/lists")], ctx.now()),
    aptUnattended(cfg.root, ctx),
    kernelFacts(ctx, cfg.root),
    osFacts(ctx, cfg.root),
  ]);
  const facts: Facts = {
    [K.listsAge]: listsAge,
    [K.unattended]: unattended,
    [K.reboot]: rebootRequired,
    [K.rebootPkgs]: [...new Set((rebootPkgs ?? "").split("\n").map((s) => s.trim()).filter(Boolean))].sort(),
    ...kernel,
    ...os,
    [K.lastUpgrade]: history.last,
    [K.lastUpgradeSource]: history.source,
    [K.logsSince]: history.logsSince,
  };
  return { facts, releases: lists.releases, history, problems: [...lists.problems, ...history.problems] };
}

function probeApt(cfg: PatchesConfig, result: RunResult, host: AptHost): { facts: Facts; evidence: string } {
  const sim = parseAptGetSimulate(result.stdout);
  const security = sim.pending.filter((p) => p.security);
  const availability = securityAvailability(host.releases, security);
  const history = host.history;
  const facts: Facts = {
    [K.manager]: "apt",
    [K.security]: security.map(pendingItem).sort(),
    [K.securityCount]: security.length,
    [K.otherCount]: sim.pending.length - security.length,
    [K.keptBack]: [...sim.keptBack].sort(),
    ...host.facts,
    [K.availableSince]: availability.map(availabilityItem),
  };
  const evidence = [
    `$ ${APT_ARGV.join(" ")}`,
    `${sim.summary.upgraded} upgraded, ${sim.summary.newlyInstalled} newly installed, ${sim.summary.toRemove} to remove, ${sim.summary.notUpgraded} not upgraded`,
    `security: ${security.length}${security.length ? ` (${security.slice(0, 10).map((p) => p.pkg).join(", ")}${security.length > 10 ? ", …" : ""})` : ""}`,
    sim.keptBack.length ? `kept back: ${sim.keptBack.join(" ")}` : "",
    ...availability.map((a) => `${a.count} security update(s) listed in the ${a.source} Release file dated ${a.since}`),
    history.last ? `last full upgrade: ${history.last} per ${history.source}` : history.logsSince ? `no full upgrade in ${history.source} since ${history.logsSince}` : "",
    ...host.problems.map((p) => `unreadable: ${p}`),
  ]
    .filter(Boolean)
    .join("\n");
  return { facts, evidence };
}

async function dnfAutomaticApplies(ctx: ProbeContext, root: string): Promise<boolean> {
  const text = await readOptional(ctx, join(root, "etc/dnf/automatic.conf"));
  if (text === undefined) return false;
  let section = "";
  for (const line of text.split(/\r?\n/)) {
    const s = /^\s*\[(.+)\]\s*$/.exec(line);
    if (s) section = s[1]!.trim();
    const kv = /^\s*apply_updates\s*=\s*(\S+)/.exec(line);
    if (kv && section === "commands") return /^(yes|true|1|on)$/i.test(kv[1]!);
  }
  return false;
}

/** The advisories behind the pending security updates; a failure is noted, never fatal. */
async function dnfAdvisories(ctx: ProbeContext): Promise<{ list: DnfAdvisory[]; problem?: string }> {
  try {
    const r = await run(ctx, DNF_ADVISORIES_ARGV);
    return { list: r ? parseDnfUpdateinfo(r.stdout) : [] };
  } catch (e) {
    if (e instanceof CommandFailed || e instanceof ProbeError) return { list: [], problem: `unreadable: dnf updateinfo: ${e.message}` };
    throw e;
  }
}

async function probeDnf(ctx: ProbeContext, cfg: PatchesConfig, secRun: RunResult): Promise<{ facts: Facts; evidence: string }> {
  const security = parseDnfCheckUpdate(secRun.stdout);
  const allRun = await run(ctx, DNF_ALL_ARGV, [0, 100]);
  const all = allRun ? parseDnfCheckUpdate(allRun.stdout) : security;
  const securityNames = new Set(security.map((u) => u.pkg));
  const advisories = await dnfAdvisories(ctx);
  const nr = await run(ctx, NEEDS_RESTARTING_ARGV, [0, 1]);
  const restart = nr ? parseNeedsRestarting(nr.stdout, nr.code) : undefined;
  const facts: Facts = {
    [K.manager]: "dnf",
    [K.security]: security.map(dnfItem).sort(),
    [K.securityCount]: security.length,
    [K.otherCount]: all.filter((u) => !securityNames.has(u.pkg)).length,
    [K.keptBack]: [],
    [K.listsAge]: null,
    [K.unattended]: await dnfAutomaticApplies(ctx, cfg.root),
    [K.reboot]: restart ? restart.rebootRequired : null,
    [K.rebootPkgs]: restart ? [...restart.reasons].sort() : [],
    ...(await kernelFacts(ctx, cfg.root)),
    ...(await osFacts(ctx, cfg.root)),
    [K.availableSince]: advisories.list.map((a) => availabilityItem({ since: a.updated, source: a.id, count: 1 })).sort(),
    [K.lastUpgrade]: null,
    [K.lastUpgradeSource]: null,
    [K.logsSince]: null,
  };
  const evidence = [
    `$ ${DNF_SECURITY_ARGV.join(" ")}`,
    `security: ${security.length}${security.length ? ` (${security.slice(0, 10).map((u) => u.pkg).join(", ")})` : ""}`,
    `other: ${facts[K.otherCount]}`,
    restart ? `needs-restarting -r: ${restart.rebootRequired ? "reboot required" : "no reboot needed"}` : "needs-restarting: not installed",
    advisories.problem ?? `security advisories: ${advisories.list.length}${advisories.list.length ? ` (oldest ${[...advisories.list].sort((a, b) => a.updated.localeCompare(b.updated))[0]!.id})` : ""}`,
  ].join("\n");
  return { facts, evidence };
}

function num(v: unknown): number | null {
  return typeof v === "number" ? v : null;
}

function str(v: unknown): string | null {
  return typeof v === "string" ? v : null;
}

function list(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

const day = (iso: string) => iso.slice(0, 10);

/**
 * How long the pending security updates have waited, from the strongest evidence at hand: the
 * Release files that list them (available at least since their date), the last full upgrade in
 * the box's apt/dpkg history (none applied since), and, as a lower bound when nothing better
 * exists, when Gatehouse first saw each update.
 */
function securityFinding(facts: Facts, cfg: PatchesConfig, ctx: PolicyContext): PolicyFinding {
  const items = list(facts[K.security]);
  const base = { rule: "patches.security_updates", facts: [K.security, K.securityCount] };
  if (items.length === 0) return { ...base, status: "pass", message: "No security updates pending." };
  const max = cfg.max_pending_security_days;
  const daysSince = (t: number) => (ctx.now.getTime() - t) / DAY_MS;

  const seen = items.map((item) => ({ item, first: ctx.firstSeen(K.security, item) }));
  const seenDays = seen.map((s) => ({ ...s, days: s.first ? daysSince(s.first.getTime()) : 0 })).sort((a, b) => b.days - a.days);
  const available = list(facts[K.availableSince])
    .map(parseAvailabilityItem)
    .filter((a) => a !== undefined)
    .sort((a, b) => a.since.localeCompare(b.since));
  const oldestRelease = available[0];
  const releaseDays = oldestRelease ? daysSince(Date.parse(oldestRelease.since)) : 0;

  // Known "none applied since": the last full upgrade, or the start of logs that record none.
  const lastUpgrade = str(facts[K.lastUpgrade]);
  const logsSince = str(facts[K.logsSince]);
  const source = str(facts[K.lastUpgradeSource]) ?? "the package logs";
  const noneSince = lastUpgrade ?? logsSince;
  // With automatic updates on, a quiet history only means nothing was offered: not evidence.
  const historyCounts = noneSince !== null && facts[K.unattended] !== true;
  const historyDays = historyCounts ? daysSince(Date.parse(noneSince)) : 0;

  const dnf = facts[K.manager] === "dnf";
  const per = (a: { source: string }) => (dnf ? `advisory ${a.source}` : `the ${a.source} Release file`);
  const how: string[] = [];
  if (oldestRelease) how.push(`security updates available since ${day(oldestRelease.since)} per ${per(oldestRelease)}`);
  if (lastUpgrade) how.push(`last security upgrade applied ${day(lastUpgrade)} per ${source}`);
  else if (logsSince) how.push(`no security upgrade in ${source} since ${day(logsSince)}`);
  const firstSeenDay = seen.map((s) => s.first).filter((d) => d !== undefined).sort((a, b) => a.getTime() - b.getTime())[0];
  how.push(firstSeenDay ? `first seen by Gatehouse ${day(firstSeenDay.toISOString())}` : "first seen by Gatehouse now");
  const evidence = ` (${how.join("; ")})`;

  const oldestDays = Math.max(seenDays[0]!.days, releaseDays);
  const pkg = seenDays[0]!.days >= releaseDays || !oldestRelease ? seenDays[0]!.item.split(" ")[0] : dnf ? oldestRelease.source : `those in ${per(oldestRelease)}`;
  const fix = dnf ? "dnf upgrade --security" : "apt-get upgrade";
  const overdue = Math.max(
    seenDays.filter((a) => a.days > max).length,
    available.filter((a) => daysSince(Date.parse(a.since)) > max).reduce((n, a) => n + a.count, 0),
  );
  if (overdue > 0) {
    return {
      ...base,
      status: "fail",
      message: `${overdue} security update(s) pending longer than ${max} days (oldest: ${pkg}, ${Math.floor(oldestDays)} days): run ${fix} now.${evidence}`,
    };
  }
  if (historyDays > max) {
    return {
      ...base,
      status: "fail",
      message: `${items.length} security update(s) pending and none applied for ${Math.floor(historyDays)} days (limit ${max}) with automatic updates off: run ${fix} now.${evidence}`,
    };
  }
  if (oldestDays > max / 2) {
    return {
      ...base,
      status: "warn",
      message: `${items.length} security update(s) pending, oldest ${pkg} for ${Math.floor(oldestDays)} days (limit ${max}): run ${fix} soon.${evidence}`,
    };
  }
  return {
    ...base,
    status: "pass",
    message: `${items.length} security update(s) pending, the oldest for ${Math.floor(oldestDays)} day(s), within the ${max}-day limit.${evidence}`,
  };
}

function rebootFinding(facts: Facts, cfg: PatchesConfig): PolicyFinding {
  const base = { rule: "patches.reboot_required", facts: [K.reboot, K.rebootPkgs, K.kernelPending] };
  const reasons: string[] = [];
  if (facts[K.reboot] === true) {
    const pkgs = list(facts[K.rebootPkgs]);
    reasons.push(`updates need a reboot${pkgs.length ? ` (${pkgs.slice(0, 5).join(", ")}${pkgs.length > 5 ? ", …" : ""})` : ""}`);
  }
  if (facts[K.kernelPending] === true) {
    reasons.push(`running kernel ${String(facts[K.kernelRunning])} is older than installed ${String(facts[K.kernelNewest])}`);
  }
  if (reasons.length > 0) {
    return { ...base, status: cfg.reboot_required, message: `Reboot pending: ${reasons.join("; ")}. Schedule a reboot.` };
  }
  if (facts[K.reboot] === null && facts[K.kernelNewest] === null) {
    return { ...base, status: "unknown", message: "Cannot tell whether a reboot is pending (needs-restarting not installed: dnf install dnf-utils)." };
  }
  return { ...base, status: "pass", message: "No reboot pending." };
}

function eolFinding(facts: Facts, now: Date): PolicyFinding {
  const base = { rule: "patches.os_end_of_life", facts: [K.osName, K.osEol] };
  const name = facts[K.osName] ?? "this OS";
  const eol = facts[K.osEol];
  if (typeof eol !== "string") {
    return { ...base, status: "unknown", message: `End-of-life date of ${String(name)} is not in Gatehouse's table; check the vendor's support policy.` };
  }
  const days = (Date.parse(`${eol}T23:59:59Z`) - now.getTime()) / DAY_MS;
  if (days < 0) return { ...base, status: "fail", message: `${String(name)} reached end of life on ${eol} and gets no security updates: upgrade to a supported release.` };
  if (days < EOL_WARN_DAYS) return { ...base, status: "warn", message: `${String(name)} reaches end of life on ${eol}: plan the upgrade to a supported release now.` };
  return { ...base, status: "pass", message: `${String(name)} is supported until ${eol}.` };
}

function policy(facts: Facts, cfg: PatchesConfig, ctx: PolicyContext): PolicyFinding[] {
  const out: PolicyFinding[] = [securityFinding(facts, cfg, ctx)];
  const dnf = facts[K.manager] === "dnf";

  const kept = list(facts[K.keptBack]);
  if (kept.length > 0) {
    out.push({
      rule: "patches.kept_back",
      status: "warn",
      facts: [K.keptBack],
      message: `${kept.length} package(s) held back from upgrades (${kept.slice(0, 5).join(", ")}${kept.length > 5 ? ", …" : ""}): review with apt-mark showhold.`,
    });
  }

  const age = num(facts[K.listsAge]);
  if (!dnf) {
    out.push(
      age === null
        ? { rule: "patches.lists_fresh", status: "unknown", facts: [K.listsAge], message: "Cannot tell when apt last refreshed its package lists." }
        : age > LISTS_STALE_HOURS
          ? {
              rule: "patches.lists_fresh",
              status: "warn",
              facts: [K.listsAge],
              message: `apt package lists are ${Math.floor(age / 24)} days old, so new security updates go unseen: enable apt-daily.timer or run apt-get update.`,
            }
          : { rule: "patches.lists_fresh", status: "pass", facts: [K.listsAge], message: `apt package lists refreshed ${Math.round(age)} hours ago.` },
    );
  }

  if (facts[K.unattended] === false) {
    out.push({
      rule: "patches.automatic_updates",
      status: "warn",
      facts: [K.unattended],
      message: dnf
        ? "Automatic security updates are off: dnf install dnf-automatic, set apply_updates = yes and enable dnf-automatic.timer."
        : "Automatic security updates are off: apt install unattended-upgrades && dpkg-reconfigure -plow unattended-upgrades.",
    });
  } else if (facts[K.unattended] === true) {
    out.push({ rule: "patches.automatic_updates", status: "pass", facts: [K.unattended], message: "Automatic security updates are enabled." });
  }

  out.push(rebootFinding(facts, cfg));
  out.push(eolFinding(facts, ctx.now));
  return out;
}

/** The patches monitor. */
export const patches = defineMonitor<PatchesConfig>({
  id: "patches",
  title: "OS security updates",
  control: "updates",
  defaultSchedule: "17 */6 * * *",
  starter: "# patches:  { max_pending_security_days: 7, reboot_required: fail }",
  enabledByDefault: true,
  parseConfig: (raw) => parseWith(ConfigSchema, raw ?? {}),
  async probe(ctx, cfg) {
    const simulation = run(ctx, APT_ARGV);
    // Everything but the simulation is read while apt-get resolves (its 3 s set the check's pace).
    const host = aptHost(ctx, cfg);
    host.catch(() => undefined); // awaited on the apt path only; a dnf host never reads it
    let apt: RunResult | undefined;
    try {
      apt = await simulation;
    } catch (e) {
      if (e instanceof CommandFailed) {
        // apt's `E:` lines (broken lists, unmet dependencies) become the probe error message.
        parseAptGetSimulate(`${e.stdout}\n${e.stderr}`);
        throw new ProbeError(e.message);
      }
      throw e;
    }
    if (apt) return probeApt(cfg, apt, await host);
    const dnf = await run(ctx, DNF_SECURITY_ARGV, [0, 100]);
    if (dnf) return probeDnf(ctx, cfg, dnf);
    throw new NotApplicable("no supported package manager (apt-get or dnf) on this host");
  },
  policy,
  baselineFacts: [K.manager, K.osId, K.osVersion, K.unattended, K.keptBack],
});
