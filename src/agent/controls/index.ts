/**
 * The control registry: which checklist control each source and each finding evidences, built
 * once from what the sources declare — each monitor's `control` (and `ruleControls` for rules
 * that evidence another one), the door engine (physical), the office computers' checks
 * (HOST_CHECKS), the compliance evaluation's rule families, and the console's own controls.
 * Routing, the scorecard, the evidence report, the digest, the catalog, metrics and the overview
 * all ask it, so a source never maps to two controls in two places.
 */
import { CONTROL_IDS, type ControlId } from "../../monitors/monitor.js";
import { MONITORS } from "../../monitors/index.js";
import { HOST_CHECKS } from "./host-checks.js";

/** Administrative controls kept by people (registers) rather than watched by monitors. */
export const ADMIN_CONTROL_IDS = ["baa", "training", "access-review", "restore-test", "incident-response", "risk-analysis"] as const;
export type AdminControlId = (typeof ADMIN_CONTROL_IDS)[number];
/** Every control of the compliance catalog: the checklist's and the administrative ones. */
export type ComplianceControlId = ControlId | AdminControlId;

/** Every control id, checklist first. */
export const ALL_CONTROL_IDS: readonly ComplianceControlId[] = [...CONTROL_IDS, ...ADMIN_CONTROL_IDS];

/** What a source declares: its own control, and rules (prefixes) that evidence another one. */
export interface SourceDeclaration {
  id: string;
  control?: string;
  ruleControls?: Readonly<Record<string, string>>;
}

/** The pseudo-source under which the daily compliance evaluation's findings are observed and alerted. */
export const COMPLIANCE_SOURCE = "compliance";

/**
 * The compliance evaluation's rule families (src/agent/compliance/evaluate.ts writes its findings
 * under these prefixes). Declared here, not there: the compliance code reads the registry.
 */
export const COMPLIANCE_RULE_CONTROLS = {
  "compliance.baa_": "baa",
  "compliance.training_": "training",
  "compliance.access_review_": "access-review",
  "compliance.restore_test_": "restore-test",
  "compliance.incident_": "incident-response",
  "compliance.audit_chain": "audit",
  "compliance.two_factor": "two-factor",
} as const satisfies Record<string, ComplianceControlId>;

/** The sources that are not monitors, as they declare themselves. */
export const NON_MONITOR_SOURCES: readonly SourceDeclaration[] = [
  // The door engine (event-driven): every door alert evidences physical access.
  { id: "doors", control: "physical" },
  // The office computers (sources host:<id>): each check names its control in the hosts judge.
  { id: "hosts", ruleControls: Object.fromEntries(HOST_CHECKS.flatMap((c) => (c.control ? [[c.rule, c.control]] : []))) },
  // The daily compliance evaluation (source "compliance"): registers, two-factor, the audit chain.
  { id: COMPLIANCE_SOURCE, ruleControls: COMPLIANCE_RULE_CONTROLS },
  // The console's own checks (TOTP, password policy) and the audit log.
  {
    id: "console",
    ruleControls: { "console.totp": "two-factor", "console.mfa": "two-factor", "console.2fa": "two-factor", "console.password": "passwords", "audit.": "audit" },
  },
];

/** The registry's answers; build with `controlRegistry`. */
export interface ControlRegistry {
  /** Source → its own control (monitors and doors), e.g. for metrics labels. */
  readonly sourceControls: ReadonlyMap<string, ComplianceControlId>;
  /** Rule prefixes whose findings evidence another control than their source's, longest first. */
  readonly ruleOverrides: readonly { rule: string; control: ComplianceControlId }[];
  /** A source's own control (alert routing: "doors to the office manager"); undefined for gatehouse itself, hosts, compliance. */
  controlOfSource(source: string): ComplianceControlId | undefined;
  /** The control one finding evidences: the longest declared rule prefix, else its source's control. */
  controlOfFinding(source: string, rule: string): ComplianceControlId | undefined;
  /** Every control a source can evidence: its own, plus the rule overrides under its prefix. */
  controlsOfSource(source: string): ComplianceControlId[];
  /** The overrides that apply to one source's rules (`<source>.` prefixes), longest first. */
  overridesOf(source: string): readonly { rule: string; control: ComplianceControlId }[];
  /** Sources (of `sources`) that evidence a control, by their own control or a rule override. */
  sourcesOf<S extends string>(control: string, sources: readonly S[]): S[];
}

/**
 * Builds the registry: own controls from `monitors` (the configured ones) and the non-monitor
 * sources; rule overrides from every monitor of this build and the non-monitor sources (a rule
 * means the same control whether or not its monitor is configured).
 */
export function buildControlRegistry(monitors: readonly SourceDeclaration[], others: readonly SourceDeclaration[] = NON_MONITOR_SOURCES): ControlRegistry {
  const sourceControls = new Map<string, ComplianceControlId>([...monitors, ...others].flatMap((d) => (d.control ? [[d.id, d.control as ComplianceControlId] as const] : [])));
  const byRule = new Map<string, ComplianceControlId>();
  for (const d of [...MONITORS, ...monitors, ...others]) for (const [rule, control] of Object.entries(d.ruleControls ?? {})) byRule.set(rule, control as ComplianceControlId);
  const ruleOverrides = [...byRule].map(([rule, control]) => ({ rule, control })).sort((a, b) => b.rule.length - a.rule.length || a.rule.localeCompare(b.rule));
  const overridesOf = (source: string) => ruleOverrides.filter((o) => o.rule.startsWith(`${source}.`));
  const registry: ControlRegistry = {
    sourceControls,
    ruleOverrides,
    controlOfSource: (source) => sourceControls.get(source),
    controlOfFinding: (source, rule) => ruleOverrides.find((o) => rule.startsWith(o.rule))?.control ?? sourceControls.get(source),
    controlsOfSource(source) {
      const own = sourceControls.get(source);
      return [...new Set([...(own ? [own] : []), ...overridesOf(source).map((o) => o.control)])];
    },
    overridesOf,
    sourcesOf: (control, sources) => sources.filter((s) => registry.controlsOfSource(s).includes(control as ComplianceControlId)),
  };
  return registry;
}

const built = new WeakMap<readonly SourceDeclaration[], ControlRegistry>();

/**
 * The registry for a monitor list (MONITORS by default; the daemon passes the configured ones,
 * tests their own), built once per list.
 */
export function controlRegistry(monitors: readonly SourceDeclaration[] = MONITORS): ControlRegistry {
  let r = built.get(monitors);
  if (!r) built.set(monitors, (r = buildControlRegistry(monitors)));
  return r;
}

/** Monitor id → its control, for metrics labels (what daemon.ts passes as `controls`). */
export function monitorControls(monitors: readonly SourceDeclaration[] = MONITORS): ReadonlyMap<string, string> {
  return controlRegistry(monitors).sourceControls;
}

const fromMaps = new WeakMap<ReadonlyMap<string, string>, ControlRegistry>();

/**
 * The registry for a monitor id → control map (the shape older callers and tests pass), built
 * once per map.
 */
export function registryOf(controls: ControlRegistry | ReadonlyMap<string, string>): ControlRegistry {
  if (!(controls instanceof Map)) return controls as ControlRegistry;
  let r = fromMaps.get(controls);
  if (!r) fromMaps.set(controls, (r = buildControlRegistry([...controls].map(([id, control]) => ({ id, control })))));
  return r;
}
