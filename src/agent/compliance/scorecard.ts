/**
 * The scorecard: each catalog control green / amber / red, or grey when nothing evidences it,
 * with the evidence behind it and the time spent in each state over the last 30/90/365 days.
 *
 * `scoreControls` is a pure function over gathered evidence; `gatherEvidence` does the reads.
 * History is aggregated in SQL (a window function over the (monitor, started_at) index), so a
 * year of per-minute checks (500k rows per monitor) is one indexed scan, not a JS loop.
 */
import { outcomeOfRule, type Status } from "../../monitors/monitor.js";
import { controlRegistry, registryOf, type ControlRegistry } from "../controls/index.js";
import { alertsInPeriod, openAlertsOf } from "../store/alerts.js";
import type { Db } from "../store/db.js";
import { listDoorStates } from "../store/doors.js";
import { currentFindings, findingSources } from "../store/findings.js";
import { latestObservationOf, observationStateTimes } from "../store/observation-log.js";
import { putRollup, rolledDays, sumRollups } from "../store/rollups.js";
import { CATALOG, type CatalogEntry, type ComplianceControlId } from "./catalog.js";
import { complianceFindings, type ComplianceOptions } from "./evaluate.js";
import { COMPLIANCE_SOURCE } from "../controls/index.js";

export type ControlState = "green" | "amber" | "red" | "grey";
export const STATES: readonly ControlState[] = ["green", "amber", "red", "grey"];

const RANK: Record<ControlState, number> = { grey: 0, green: 1, amber: 2, red: 3 };
const BY_RANK: ControlState[] = ["grey", "green", "amber", "red"];

/**
 * A finding's state: "no evidence" and not-applicable findings are grey; pass green; warn and
 * unknown (we could not verify) amber; fail red.
 */
export function findingState(rule: string, status: Status): ControlState {
  if (rule.endsWith("_no_evidence") || rule.endsWith(".not_applicable")) return "grey";
  return status === "pass" ? "green" : status === "fail" ? "red" : "amber";
}

/** The worst of several states, ignoring grey unless everything is grey. */
export function worstState(states: Iterable<ControlState>): ControlState {
  let worst: ControlState = "grey";
  for (const s of states) if (RANK[s] > RANK[worst]) worst = s;
  return worst;
}

/** One piece of evidence behind a control's state. */
export interface EvidenceItem {
  source: string;
  rule: string;
  subject: string;
  status: Status;
  state: ControlState;
  message: string;
  /** When this evidence was last observed (unix ms), if known. */
  at?: number;
  /** Since when it has had this status, if known. */
  since?: number;
}

/** What one source (a monitor, "compliance", "doors") currently says. */
export interface SourceSnapshot {
  source: string;
  /** When the source last reported; undefined when it never did. */
  lastAt?: number;
  outcome?: "ok" | "not_applicable" | "error";
  /** Short evidence text of the latest observation. */
  evidence?: string;
  findings: { rule: string; subject: string; status: Status; message: string; since?: number }[];
}

/** Milliseconds spent in each state over a window. */
export type TimeInState = Record<ControlState, number>;

export interface HistoryWindow {
  days: number;
  from: number;
  to: number;
  ms: TimeInState;
}

export interface ScorecardEvidence {
  now: number;
  /** A source silent for longer than this counts as no evidence (grey). */
  staleAfterMs: number;
  /** Which control each source and finding evidences (the registry, or a monitor id → control map). */
  monitorControls: ControlRegistry | ReadonlyMap<string, string>;
  sources: readonly SourceSnapshot[];
  /** Control → history windows (absent: no history gathered). */
  history?: ReadonlyMap<string, HistoryWindow[]>;
}

export interface ControlScore {
  control: CatalogEntry;
  state: ControlState;
  /** One line saying why. */
  reason: string;
  evidence: EvidenceItem[];
  history: HistoryWindow[];
}

/** Scores every catalog control from the evidence. Pure. */
export function scoreControls(ev: ScorecardEvidence): ControlScore[] {
  const controls = registryOf(ev.monitorControls);
  const byControl = new Map<string, EvidenceItem[]>();
  const push = (c: string | undefined, item: EvidenceItem) => {
    if (!c) return;
    const l = byControl.get(c) ?? [];
    l.push(item);
    byControl.set(c, l);
  };
  for (const s of ev.sources) {
    const stale = s.lastAt !== undefined && ev.now - s.lastAt > ev.staleAfterMs;
    if (stale || s.lastAt === undefined) {
      const msg = s.lastAt === undefined ? `${s.source} has not reported yet` : `${s.source} last reported ${new Date(s.lastAt).toISOString()}; no current evidence`;
      for (const c of controls.controlsOfSource(s.source)) {
        push(c, { source: s.source, rule: `${s.source}.stale`, subject: "", status: "unknown", state: "grey", message: msg, ...(s.lastAt ? { at: s.lastAt } : {}) });
      }
      continue;
    }
    for (const f of s.findings) {
      const item: EvidenceItem = { source: s.source, rule: f.rule, subject: f.subject, status: f.status, state: findingState(f.rule, f.status), message: f.message, ...(s.lastAt ? { at: s.lastAt } : {}), ...(f.since ? { since: f.since } : {}) };
      // A probe that failed or does not apply says nothing about any control of the source.
      if (outcomeOfRule(f.rule) !== undefined) for (const c of controls.controlsOfSource(s.source)) push(c, item);
      else push(controls.controlOfFinding(s.source, f.rule), item);
    }
  }
  return CATALOG.map((control) => {
    const evidence = byControl.get(control.id) ?? [];
    const state = worstState(evidence.map((e) => e.state));
    const order = (e: EvidenceItem) => -RANK[e.state];
    evidence.sort((a, b) => order(a) - order(b) || a.rule.localeCompare(b.rule) || a.subject.localeCompare(b.subject));
    const worst = evidence.filter((e) => e.state === state);
    const reason =
      evidence.length === 0
        ? `No evidence: ${control.evidence}`
        : state === "green"
          ? `${evidence.filter((e) => e.state === "green").length} check(s) pass`
          : worst.length === 1
            ? worst[0]!.message
            : `${worst.length} problems, first: ${worst[0]?.message ?? ""}`;
    return { control, state, reason, evidence, history: ev.history?.get(control.id) ?? [] };
  });
}

// ---------------------------------------------------------------------------------------------
// Reads.

export interface ScorecardOptions extends ComplianceOptions {
  now: number;
  /** Monitors known to this build (default MONITORS). */
  monitors?: readonly { id: string; control: string }[];
  /** Default 48 h. */
  staleAfterMs?: number;
  /** History windows in days (default 30, 90, 365); [] skips history. */
  historyDays?: readonly number[];
}

const DAY = 86_400_000;

/** Reads what every source says now: monitors from the store, compliance computed live. */
export function gatherSources(db: Db, opts: ScorecardOptions): SourceSnapshot[] {
  const controls = controlRegistry(opts.monitors);
  const findings = currentFindings(db).filter((f) => f.monitor !== COMPLIANCE_SOURCE);
  const sources = new Map<string, SourceSnapshot>();
  // The latest observation per source through the (monitor, started_at) index: one short
  // lookup each, where a GROUP BY over all observations would scan a year of them.
  const ids = new Set([...monitorIds(controls), ...findings.map((f) => f.monitor)]);
  for (const id of ids) {
    const o = latestObservationOf(db, id);
    sources.set(id, o ? { source: id, lastAt: o.started_at, outcome: o.outcome, evidence: o.evidence, findings: [] } : { source: id, findings: [] });
  }
  for (const f of findings) {
    const s = sources.get(f.monitor) ?? { source: f.monitor, lastAt: f.last_seen, findings: [] };
    s.findings.push({ rule: f.rule, subject: f.subject, status: f.status, message: f.message, since: f.since });
    sources.set(f.monitor, s);
  }
  // The registers change between daily evaluations: score them as they are now.
  const live = complianceFindings(db, opts.now, opts);
  sources.set(COMPLIANCE_SOURCE, { source: COMPLIANCE_SOURCE, lastAt: opts.now, outcome: "ok", findings: live.map((f) => ({ rule: f.rule, subject: f.subject ?? "", status: f.status, message: f.message })) });
  const doors = doorsSnapshot(db, opts.now);
  if (doors) sources.set("doors", doors);
  return [...sources.values()];
}

/** The monitors of a registry (its sources with an own control, doors aside: they have their own reads). */
function monitorIds(controls: ControlRegistry): string[] {
  return [...controls.sourceControls.keys()].filter((id) => id !== "doors");
}

/** Door sensors as a source: configured sensors, offline ones and open door alerts. */
function doorsSnapshot(db: Db, now: number): SourceSnapshot | undefined {
  const sensors = listDoorStates(db);
  if (sensors.length === 0) return { source: "doors", lastAt: now, outcome: "ok", findings: [{ rule: "doors.sensors_no_evidence", subject: "", status: "unknown", message: "No door sensors configured" }] };
  const findings: SourceSnapshot["findings"] = openAlertsOf(db, "doors").filter((a) => a.good_since === null).map((a) => ({ rule: a.rule, subject: a.subject, status: a.severity === "critical" ? "fail" : a.severity === "warning" ? "warn" : "pass", message: a.message, since: a.opened_at }));
  if (findings.length === 0) findings.push({ rule: "doors.sensors", subject: "", status: "pass", message: `${sensors.length} door sensor(s), ${sensors.filter((s) => s.online).length} online, no open door alerts` });
  return { source: "doors", lastAt: now, outcome: "ok", findings };
}

const emptyTime = (): TimeInState => ({ green: 0, amber: 0, red: 0, grey: 0 });

/**
 * Time in each state for one control as evidenced by one source, over several windows. Each
 * observation's state holds until the next one, but never longer than `staleMs`; the rest of a
 * window is grey. One indexed scan per window (src/agent/store/observation-log.ts).
 */
export function sourceHistory(
  db: Db,
  source: string,
  control: string,
  windows: readonly { from: number; to: number }[],
  staleMs: number,
  monitorControls: ControlRegistry | ReadonlyMap<string, string>,
): TimeInState[] {
  const controls = registryOf(monitorControls);
  // Several controls share this source: the query takes the worst finding that maps to `control`.
  const overrides = controls.overridesOf(source).map((o) => ({ prefix: o.rule, control: o.control }));
  const own = controls.controlOfSource(source) ?? "";
  return windows.map((w) => {
    const ms = observationStateTimes(db, { source, from: w.from, to: w.to, staleMs, control, ownControl: own, overrides });
    const t = emptyTime();
    for (const [rank, v] of ms) t[BY_RANK[rank] ?? "grey"] += v;
    t.grey += Math.max(0, w.to - w.from - t.green - t.amber - t.red - t.grey);
    return t;
  });
}

/** Bump when the evidence mapping or the state rules change: old rollups are then ignored. */
export const ROLLUP_VERSION = 1;
/** A day is final (no late observation can change it) this long after it ends. */
const SETTLE_MS = 3_600_000;

/**
 * sourceHistory through daily rollups: complete UTC days come from compliance_rollups
 * (computed once, on first need, one small indexed query per missing day); only the partial
 * days at the window edges are scanned live. Same result as sourceHistory.
 */
export function rolledHistory(
  db: Db,
  source: string,
  control: string,
  windows: readonly { from: number; to: number }[],
  staleMs: number,
  monitorControls: ControlRegistry | ReadonlyMap<string, string>,
  now: number,
): TimeInState[] {
  const key = { source, control, staleMs, version: ROLLUP_VERSION };
  const settled = Math.floor((now - SETTLE_MS) / DAY) * DAY;
  const spans = windows.map((w) => {
    const a = Math.ceil(w.from / DAY) * DAY;
    const b = Math.min(Math.floor(w.to / DAY) * DAY, settled);
    return b > a ? { a, b } : undefined;
  });
  const days = spans.filter((x): x is { a: number; b: number } => !!x);
  if (days.length) {
    const lo = Math.min(...days.map((x) => x.a));
    const hi = Math.max(...days.map((x) => x.b));
    const have = rolledDays(db, key, lo, hi);
    const missing: number[] = [];
    for (let d = lo; d < hi; d += DAY) if (!have.has(d)) missing.push(d);
    if (missing.length) {
      db.transaction(() => {
        for (const d of missing) putRollup(db, key, d, sourceHistory(db, source, control, [{ from: d, to: d + DAY }], staleMs, monitorControls)[0]!);
      })();
    }
  }
  return windows.map((w, i) => {
    const span = spans[i];
    if (!span) return sourceHistory(db, source, control, [w], staleMs, monitorControls)[0]!;
    const t: TimeInState = sumRollups(db, key, span.a, span.b);
    const edges = [
      { from: w.from, to: span.a },
      { from: span.b, to: w.to },
    ].filter((e) => e.to > e.from);
    // One query per edge: a single query over both would scan everything between them.
    for (const edge of edges) {
      const e = sourceHistory(db, source, control, [edge], staleMs, monitorControls)[0]!;
      for (const s of STATES) t[s] += e[s];
    }
    return t;
  });
}

/** Time in state for door alerts: red while a critical door alert was open, amber for warning. */
export function doorsHistory(db: Db, windows: readonly { from: number; to: number }[]): TimeInState[] {
  const sensors = listDoorStates(db).length;
  const to = Math.max(...windows.map((w) => w.to));
  const from = Math.min(...windows.map((w) => w.from));
  const alerts = alertsInPeriod(db, from, to, "doors").map((a) => ({ severity: a.severity, opened_at: a.opened_at, end: a.resolved_at ?? to }));
  return windows.map((w) => {
    const t = emptyTime();
    if (sensors === 0) {
      t.grey = w.to - w.from;
      return t;
    }
    // Sweep the boundaries: at every instant the worst open alert decides.
    const cuts = [...new Set([w.from, w.to, ...alerts.flatMap((a) => [a.opened_at, a.end]).filter((x) => x > w.from && x < w.to)])].sort((a, b) => a - b);
    for (let i = 0; i + 1 < cuts.length; i++) {
      const [a, b] = [cuts[i]!, cuts[i + 1]!];
      const open = alerts.filter((x) => x.opened_at <= a && x.end >= b);
      const s: ControlState = open.some((x) => x.severity === "critical") ? "red" : open.some((x) => x.severity === "warning") ? "amber" : "green";
      t[s] += b - a;
    }
    return t;
  });
}

/** History of every control over `windows`: the source with the most evidenced time decides. */
export function gatherHistory(
  db: Db,
  windows: readonly { from: number; to: number; days: number }[],
  staleMs: number,
  monitorControls: ControlRegistry | ReadonlyMap<string, string>,
  now: number,
): Map<string, HistoryWindow[]> {
  const controls = registryOf(monitorControls);
  const sourcesOf = new Map<string, Set<string>>();
  const allSources = new Set([...monitorIds(controls), COMPLIANCE_SOURCE, ...findingSources(db)]);
  for (const s of allSources) for (const c of controls.controlsOfSource(s)) sourcesOf.set(c, (sourcesOf.get(c) ?? new Set()).add(s));
  const out = new Map<string, HistoryWindow[]>();
  for (const control of CATALOG) {
    let best: TimeInState[] | undefined;
    const evidenced = (t: TimeInState[]) => t.reduce((n, x) => n + x.green + x.amber + x.red, 0);
    const candidates: TimeInState[][] = [...(sourcesOf.get(control.id) ?? [])].map((s) => rolledHistory(db, s, control.id, windows, staleMs, controls, now));
    if (control.id === "physical") candidates.push(doorsHistory(db, windows));
    for (const c of candidates) if (!best || evidenced(c) > evidenced(best)) best = c;
    out.set(
      control.id,
      windows.map((w, i) => ({ days: w.days, from: w.from, to: w.to, ms: best?.[i] ?? { ...emptyTime(), grey: w.to - w.from } })),
    );
  }
  return out;
}

/** The scorecard as the console shows it: gather, then score. */
export function scorecard(db: Db, opts: ScorecardOptions): ControlScore[] {
  const controls = controlRegistry(opts.monitors);
  const staleAfterMs = opts.staleAfterMs ?? 2 * DAY;
  const days = opts.historyDays ?? [30, 90, 365];
  const windows = days.map((d) => ({ days: d, from: opts.now - d * DAY, to: opts.now }));
  return scoreControls({
    now: opts.now,
    staleAfterMs,
    monitorControls: controls,
    sources: gatherSources(db, opts),
    history: windows.length ? gatherHistory(db, windows, staleAfterMs, controls, opts.now) : new Map(),
  });
}

/** Share of a window in each state, in whole percent (for display). */
export function percentInState(t: TimeInState): Record<ControlState, number> {
  const total = t.green + t.amber + t.red + t.grey || 1;
  return { green: Math.round((t.green / total) * 100), amber: Math.round((t.amber / total) * 100), red: Math.round((t.red / total) * 100), grey: Math.round((t.grey / total) * 100) };
}

export type { ComplianceControlId };
