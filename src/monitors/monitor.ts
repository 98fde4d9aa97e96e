/**
 * The monitor contract. A monitor only observes: it returns facts and a short piece of
 * evidence, and declares (as pure functions) the policy that turns those facts into findings.
 * It knows nothing of SQLite, email or HTML; drift, severity, storage and alerting live in
 * src/agent.
 */
import type { RunFn } from "../kit/exec.js";
import type { FileView } from "../kit/file-view.js";
import type { Logger } from "../kit/log.js";
import type { PrivilegedQueries, PrivilegedReader } from "../kit/privileged.js";

// The kit's types a monitor sees, re-exported so a monitor file needs only this contract.
export type { FileInfo, FileView } from "../kit/file-view.js";
export type { Logger } from "../kit/log.js";

/** One id everywhere: folder, config key, DB, URL, log tag. */
export type MonitorId = string;

/** Checklist controls of DESIGN.md (plus `inventory`, the asset-inventory evidence). */
export const CONTROL_IDS = [
  "antivirus",
  "firewall",
  "updates",
  "backups",
  "physical",
  "wifi",
  "accounts",
  "least-privilege",
  "passwords",
  "two-factor",
  "transmission",
  "audit",
  "inventory",
] as const;
export type ControlId = (typeof CONTROL_IDS)[number];

/** A fact value is plain JSON: lists of strings are diffed item by item for drift. */
export type FactValue = string | number | boolean | null | string[];
/** Fact keys are `<monitor>.<snake_name>` and stable. */
export type Facts = Record<string, FactValue>;

export interface Observation {
  facts: Facts;
  /** Short human-readable evidence (a few KB at most), e.g. the relevant command output. */
  evidence: string;
}

export type Status = "pass" | "warn" | "fail" | "unknown";

/** A finding produced by a monitor's policy (pure) before the agent adds drift findings. */
export interface PolicyFinding {
  /** Stable rule id, `<monitor>.<rule>` (e.g. `firewall.ipv6_open`). */
  rule: string;
  status: Status;
  message: string;
  /** Fact keys this finding is about. */
  facts: string[];
  /** Optional subject when one rule fires for several things (an account, an endpoint). */
  subject?: string;
}

/** What the evaluator hands to a monitor's policy besides the facts. */
export interface PolicyContext {
  now: Date;
  /**
   * When an item of a list-valued fact was first observed (the agent remembers it across runs),
   * e.g. how long a security update has been pending. Undefined for items never seen before now.
   */
  firstSeen(factKey: string, item: string): Date | undefined;
}

/**
 * The rules the agent gives a run that judged nothing: the probe failed (`probe_error`), the
 * policy threw (`policy_error`), or the host lacks the thing (`not_applicable`). Every reader
 * (alerting, scorecard, report, console) tells them from policy and drift rules through here.
 */
export const OUTCOME_RULES = ["probe_error", "policy_error", "not_applicable"] as const;
export type OutcomeRule = (typeof OUTCOME_RULES)[number];

/** `<monitor>.<outcome>`: the rule of a run that judged nothing. */
export function outcomeRule(monitor: MonitorId, outcome: OutcomeRule): string {
  return `${monitor}.${outcome}`;
}

/** Which outcome rule `rule` is, or undefined for a policy or drift rule. */
export function outcomeOfRule(rule: string): OutcomeRule | undefined {
  const suffix = rule.slice(rule.lastIndexOf(".") + 1);
  return rule.includes(".") && (OUTCOME_RULES as readonly string[]).includes(suffix) ? (suffix as OutcomeRule) : undefined;
}

/** "This host simply lacks it": a quiet outcome, distinct from an error. */
export class NotApplicable extends Error {
  override readonly name = "NotApplicable";
}

/** A probe failed in a way it could explain (bad output, unreadable file). */
export class ProbeError extends Error {
  override readonly name = "ProbeError";
}

/** Everything a probe may use: monitors never import node:fs or agent internals. */
export interface ProbeContext extends FileView {
  /** Runs a command through the one exec module (argument array, no shell). */
  run: RunFn;
  /** Reads that need privilege (shadow, sudoers, rulesets) go through here. */
  privileged: PrivilegedReader;
  log: Logger;
  signal: AbortSignal;
  now(): Date;
}

/** What a monitor's optional watcher gets: the privileged reader, whose `stream` it may use. */
export interface WatchContext {
  privileged: PrivilegedReader;
  log: Logger;
}

export interface Monitor<C = unknown> {
  id: MonitorId;
  title: string;
  control: ControlId;
  /** Rule prefixes of this monitor whose findings evidence another control than `control` (longest wins). */
  ruleControls?: Readonly<Record<string, ControlId>>;
  /** Cron expression used when the config sets no schedule. */
  defaultSchedule: string;
  /**
   * This monitor's line under `monitors:` in the starter config `gatehouse init` writes, without
   * the indent: `firewall: { … }`, or commented out (`# wifi: { … }`) when it needs the site's own
   * values. Uncommented, it must pass `config check` (a test holds every line to that).
   */
  starter: string;
  /** Whether an absent config key still enables the monitor with defaults. */
  enabledByDefault: boolean;
  /** Validates this monitor's config; throws ConfigError naming the key path. Start-up only. */
  parseConfig(raw: unknown): C;
  /** Observes the host. No side effects. Throws NotApplicable when the host lacks the thing. */
  probe(ctx: ProbeContext, config: C): Promise<Observation>;
  /** Pure policy: facts (+ config) → findings. Drift is computed by the agent, not here. */
  policy(facts: Facts, config: C, ctx: PolicyContext): PolicyFinding[];
  /**
   * Fact keys that are compared with the approved baseline. Facts not listed here (ages,
   * timestamps, counters) never count as drift.
   */
  baselineFacts: readonly string[];
  /**
   * Optional event source: calls `changed()` whenever a re-check is worth running now (the
   * firewall's ruleset changed). Polling stays the safety net. Returns undefined when the host
   * offers no such events.
   */
  watch?(ctx: WatchContext, config: C, changed: () => void): { stop(): void } | undefined;
  /** Status of a drift from the approved baseline (default `fail`; inventory uses `warn`). */
  driftStatus?: Status;
  /**
   * The privileged reads this monitor makes through `ctx.privileged` that gatehouse-probe
   * answers, by fixed name (its allow-list is the union of these). Reads not declared here run
   * with the daemon's own rights under the units.
   */
  privileged?: PrivilegedQueries;
  /** Local paths this monitor's evidence lives on (backup targets), for monitors that watch them. */
  storagePaths?(config: C): StoragePath[];
  /** Start-up, after every monitor parsed its own section: completes the config with the site's facts. */
  withSite?(config: C, site: SiteContext): C;
}

/** A local path a monitor depends on, with what it is for messages ("backup set nightly"). */
export interface StoragePath {
  label: string;
  path: string;
}

/** What a monitor may learn of the rest of the config (`withSite`). */
export interface SiteContext {
  /** Absolute data dir. */
  dataDir: string;
  /** Every enabled monitor's storage paths. */
  storagePaths: readonly StoragePath[];
}

/** Helper so that a monitor file gets full type inference for its config type. */
export function defineMonitor<C>(m: Monitor<C>): Monitor<C> {
  return m;
}
