/**
 * The evaluator: pure code that turns a monitor's outcome into findings, using the monitor's
 * own policy and the approved baseline. Drift = an approved fact changed.
 */
import { outcomeRule, type FactValue, type Facts, type Monitor, type PolicyContext, type PolicyFinding, type Status } from "../monitors/monitor.js";

export type FindingKind = "policy" | "drift" | "probe";

/** What changed in one fact since the approved baseline. */
export interface FactChange {
  fact: string;
  before: FactValue | undefined;
  after: FactValue | undefined;
  /** For list facts: items present now but not in the baseline, and the reverse. */
  added?: string[];
  removed?: string[];
}

export interface Finding extends PolicyFinding {
  kind: FindingKind;
  change?: FactChange;
}

export type ProbeOutcome =
  | { outcome: "ok"; facts: Facts; evidence: string }
  | { outcome: "not_applicable"; message: string }
  | { outcome: "error"; message: string };

export interface EvaluationInput<C> {
  monitor: Monitor<C>;
  config: C;
  result: ProbeOutcome;
  /** The approved baseline's facts, if one was approved. */
  baseline: Facts | undefined;
  policy: PolicyContext;
}

const ORDER: Record<Status, number> = { pass: 0, unknown: 1, warn: 2, fail: 3 };

/** The worst status: fail > warn > unknown > pass (Nagios: CRITICAL > WARNING > UNKNOWN > OK). */
export function worstStatus(statuses: Iterable<Status>): Status {
  let worst: Status = "pass";
  for (const s of statuses) if (ORDER[s] > ORDER[worst]) worst = s;
  return worst;
}

/** Nagios plugin exit code for a status. */
export function exitCodeFor(status: Status): number {
  return { pass: 0, warn: 1, fail: 2, unknown: 3 }[status];
}

/** Turns one probe outcome into the monitor's findings. Never throws. */
export function evaluate<C>(input: EvaluationInput<C>): Finding[] {
  const { monitor, result } = input;
  if (result.outcome === "not_applicable") {
    return [{ rule: outcomeRule(monitor.id, "not_applicable"), kind: "probe", status: "unknown", message: result.message, facts: [] }];
  }
  if (result.outcome === "error") {
    return [{ rule: outcomeRule(monitor.id, "probe_error"), kind: "probe", status: "unknown", message: result.message, facts: [] }];
  }
  const findings: Finding[] = [];
  try {
    for (const f of monitor.policy(result.facts, input.config, input.policy)) findings.push({ ...f, kind: "policy" });
  } catch (e) {
    findings.push({
      rule: outcomeRule(monitor.id, "policy_error"),
      kind: "probe",
      status: "unknown",
      message: `policy could not be evaluated: ${(e as Error).message}`,
      facts: [],
    });
  }
  findings.push(...driftFindings(monitor, result.facts, input.baseline));
  return findings;
}

/** Compares the baseline-tracked facts with the approved values. */
export function driftFindings(monitor: Monitor<any>, facts: Facts, baseline: Facts | undefined): Finding[] {
  if (monitor.baselineFacts.length === 0) return [];
  if (!baseline) {
    return [
      {
        rule: `${monitor.id}.baseline_missing`,
        kind: "drift",
        status: "warn",
        message: `no approved baseline, so changes cannot be detected; review the facts and run: gatehouse baseline approve ${monitor.id} --reason "…"`,
        facts: [...monitor.baselineFacts],
      },
    ];
  }
  const out: Finding[] = [];
  for (const key of monitor.baselineFacts) {
    const change = diffFact(key, baseline[key], facts[key]);
    if (!change) {
      out.push({ rule: `${monitor.id}.drift`, kind: "drift", status: "pass", message: `${key} matches the approved baseline`, facts: [key], subject: key });
      continue;
    }
    out.push({
      rule: `${monitor.id}.drift`,
      kind: "drift",
      status: monitor.driftStatus ?? "fail",
      message: describeChange(change),
      facts: [key],
      subject: key,
      change,
    });
  }
  return out;
}

/** The change of one fact, or undefined when equal. Lists compare as sets of items. */
export function diffFact(fact: string, before: FactValue | undefined, after: FactValue | undefined): FactChange | undefined {
  if (Array.isArray(before) || Array.isArray(after)) {
    const b = new Set(Array.isArray(before) ? before : []);
    const a = new Set(Array.isArray(after) ? after : []);
    const added = [...a].filter((x) => !b.has(x));
    const removed = [...b].filter((x) => !a.has(x));
    const sameShape = Array.isArray(before) === Array.isArray(after);
    if (added.length === 0 && removed.length === 0 && sameShape) return undefined;
    return { fact, before, after, added, removed };
  }
  if (before === after) return undefined;
  return { fact, before, after };
}

function show(v: FactValue | undefined): string {
  if (v === undefined) return "(absent)";
  return JSON.stringify(v);
}

/** One readable line: what changed, in the backend's own words where the fact is a list. */
export function describeChange(c: FactChange): string {
  if (c.added || c.removed) {
    const parts: string[] = [];
    if (c.added?.length) parts.push(`added ${c.added.map((x) => `"${x}"`).join(", ")}`);
    if (c.removed?.length) parts.push(`removed ${c.removed.map((x) => `"${x}"`).join(", ")}`);
    if (parts.length === 0) parts.push(`${show(c.before)} → ${show(c.after)}`);
    return `${c.fact} changed since the approved baseline: ${parts.join("; ")}`;
  }
  return `${c.fact} changed since the approved baseline: ${show(c.before)} → ${show(c.after)}`;
}

/** The key that identifies a finding (and its alert) across runs. */
export function findingKey(monitorId: string, f: Pick<PolicyFinding, "rule" | "subject">): string {
  return `${monitorId}|${f.rule}|${f.subject ?? ""}`;
}
