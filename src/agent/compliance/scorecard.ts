/**
 * The scorecard: each catalog control green / amber / red, or grey when nothing evidences it,
 * with the evidence behind it and the time spent in each state over the last 30/90/365 days.
 *
 * `scoreControls` is a pure function over gathered evidence; `gatherEvidence` does the reads.
 * History is aggregated in SQL (a window function over the (monitor, started_at) index), so a
 * year of per-minute checks (500k rows per monitor) is one indexed scan, not a JS loop.
 */
import type { Status } from "../../monitors/monitor.js";
import { MONITORS } from "../../monitors/index.js";
import type { Db } from "../store/db.js";
import { CATALOG, controlForFinding, controlsOfSource, RULE_OVERRIDES, type CatalogEntry, type ComplianceControlId } from "./catalog.js";
import { COMPLIANCE_SOURCE, complianceFindings, type ComplianceOptions } from "./evaluate.js";

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
  /** Monitor id → its control. */
  monitorControls: ReadonlyMap<string, string>;
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
      for (const c of controlsOfSource(s.source, ev.monitorControls)) {
        push(c, { source: s.source, rule: `${s.source}.stale`, subject: "", status: "unknown", state: "grey", message: msg, ...(s.lastAt ? { at: s.lastAt } : {}) });
      }
      continue;
    }
    for (const f of s.findings) {
      const item: EvidenceItem = { source: s.source, rule: f.rule, subject: f.subject, status: f.status, state: findingState(f.rule, f.status), message: f.message, ...(s.lastAt ? { at: s.lastAt } : {}), ...(f.since ? { since: f.since } : {}) };
      // A probe that failed or does not apply says nothing about any control of the source.
      if (/\.(probe_error|policy_error|not_applicable)$/.test(f.rule)) for (const c of controlsOfSource(s.source, ev.monitorControls)) push(c, item);
      else push(controlForFinding(s.source, f.rule, ev.monitorControls), item);
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

/** Monitor id → control, from a monitor list. */
export function monitorControlMap(monitors: readonly { id: string; control: string }[] = MONITORS): Map<string, string> {
  return new Map(monitors.map((m) => [m.id, m.control]));
}

interface FindingStateRow {
  monitor: string;
  rule: string;
  subject: string;
  status: Status;
  message: string;
  since: number;
  last_seen: number;
}

/** Reads what every source says now: monitors from the store, compliance computed live. */
export function gatherSources(db: Db, opts: ScorecardOptions): SourceSnapshot[] {
  const monitorControls = monitorControlMap(opts.monitors);
  const findings = db.prepare("SELECT monitor, rule, subject, status, message, since, last_seen FROM finding_state WHERE monitor != ?").all(COMPLIANCE_SOURCE) as FindingStateRow[];
  const sources = new Map<string, SourceSnapshot>();
  // The latest observation per source through the (monitor, started_at) index: one short
  // lookup each, where a GROUP BY over all observations would scan a year of them.
  const ids = new Set([...monitorControls.keys(), ...findings.map((f) => f.monitor)]);
  const latestOf = db.prepare("SELECT started_at, outcome, evidence FROM observations WHERE monitor = ? ORDER BY started_at DESC, id DESC LIMIT 1");
  for (const id of ids) {
    const o = latestOf.get(id) as { started_at: number; outcome: "ok" | "not_applicable" | "error"; evidence: string } | undefined;
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

/** Door sensors as a source: configured sensors, offline ones and open door alerts. */
function doorsSnapshot(db: Db, now: number): SourceSnapshot | undefined {
  const sensors = db.prepare("SELECT sensor_id, online, state FROM door_state ORDER BY sensor_id").all() as { sensor_id: string; online: number; state: string }[];
  if (sensors.length === 0) return { source: "doors", lastAt: now, outcome: "ok", findings: [{ rule: "doors.sensors_no_evidence", subject: "", status: "unknown", message: "No door sensors configured" }] };
  const alerts = db.prepare("SELECT rule, subject, severity, message, opened_at FROM alerts WHERE source = 'doors' AND state != 'resolved' AND good_since IS NULL").all() as {
    rule: string;
    subject: string;
    severity: string;
    message: string;
    opened_at: number;
  }[];
  const findings: SourceSnapshot["findings"] = alerts.map((a) => ({ rule: a.rule, subject: a.subject, status: a.severity === "critical" ? "fail" : a.severity === "warning" ? "warn" : "pass", message: a.message, since: a.opened_at }));
  if (findings.length === 0) findings.push({ rule: "doors.sensors", subject: "", status: "pass", message: `${sensors.length} door sensor(s), ${sensors.filter((s) => s.online).length} online, no open door alerts` });
  return { source: "doors", lastAt: now, outcome: "ok", findings };
}

const emptyTime = (): TimeInState => ({ green: 0, amber: 0, red: 0, grey: 0 });

function likePrefix(p: string): string {
  return `${p.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Time in each state for one control as evidenced by one source, over several windows ending
 * at the same instant. Each observation's state holds until the next one, but never longer
 * than `staleMs`; the rest of a window is grey. One SQL statement, one indexed scan.
 */
export function sourceHistory(
  db: Db,
  source: string,
  control: string,
  windows: readonly { from: number; to: number }[],
  staleMs: number,
  monitorControls: ReadonlyMap<string, string>,
): TimeInState[] {
  if (windows.length === 0) return [];
  const from = Math.min(...windows.map((w) => w.from));
  const to = Math.max(...windows.map((w) => w.to));
  const overrides = RULE_OVERRIDES.filter((o) => o.rule.startsWith(`${source}.`));
  const params: (string | number)[] = [];
  let stateSql: string;
  let base: string;
  if (overrides.length === 0) {
    // The observation's own status is the control's state.
    stateSql = "CASE WHEN outcome = 'not_applicable' THEN 0 WHEN status = 'pass' THEN 1 WHEN status = 'fail' THEN 3 ELSE 2 END";
    base = `SELECT started_at AS t, ${stateSql} AS s FROM observations WHERE monitor = ? AND started_at >= ? AND started_at < ?
            UNION ALL SELECT t, s FROM (SELECT started_at AS t, ${stateSql} AS s FROM observations WHERE monitor = ? AND started_at < ? ORDER BY started_at DESC LIMIT 1)`;
    params.push(source, from, to, source, from);
  } else {
    // Several controls share this source: take the worst finding that maps to `control`
    // (probe findings count for every control of the source). Rule → control mirrors
    // controlForFinding: longest prefix first, else the source's own control.
    const own = controlForFinding(source, `${source}.\u0000`, monitorControls) ?? "";
    const caseSql = `CASE ${overrides.map(() => "WHEN rule LIKE ? ESCAPE '\\' THEN ?").join(" ")} ELSE ? END`;
    const caseParams = [...overrides.flatMap((o) => [likePrefix(o.rule), o.control]), own];
    const findingState = `CASE WHEN rule IS NULL THEN 1 WHEN rule LIKE '%\\_no\\_evidence' ESCAPE '\\' OR rule LIKE '%.not\\_applicable' ESCAPE '\\' THEN 0 WHEN st = 'pass' THEN 1 WHEN st = 'fail' THEN 3 ELSE 2 END`;
    const obs = `SELECT id, started_at AS t, findings_json FROM observations WHERE monitor = ? AND started_at >= ? AND started_at < ?
                 UNION ALL SELECT * FROM (SELECT id, started_at AS t, findings_json FROM observations WHERE monitor = ? AND started_at < ? ORDER BY started_at DESC LIMIT 1)`;
    const probe = "rule LIKE '%.probe\\_error' ESCAPE '\\' OR rule LIKE '%.policy\\_error' ESCAPE '\\' OR rule LIKE '%.not\\_applicable' ESCAPE '\\'";
    base = `SELECT t, coalesce(max(CASE WHEN probe OR ctl = ? THEN fs END), 0) AS s FROM (
              SELECT id, t, coalesce(${probe}, 0) AS probe, ${caseSql} AS ctl, ${findingState} AS fs FROM (
                SELECT o.id AS id, o.t AS t, json_extract(j.value, '$.rule') AS rule, json_extract(j.value, '$.status') AS st
                FROM (${obs}) o LEFT JOIN json_each(o.findings_json) j))
            GROUP BY id, t`;
    params.push(control, ...caseParams, source, from, to, source, from);
  }
  const sums = windows.map((_, i) => `sum(max(0, min(coalesce(nt, @to${i}), @to${i}, t + @stale) - max(t, @from${i}))) AS w${i}`).join(", ");
  const sql = `WITH b AS (${base}), w AS (SELECT t, s, lead(t) OVER (ORDER BY t) AS nt FROM b) SELECT s, ${sums} FROM w GROUP BY s`;
  const named: Record<string, number> = { stale: staleMs };
  windows.forEach((w, i) => {
    named[`from${i}`] = w.from;
    named[`to${i}`] = w.to;
  });
  const rows = db.prepare(sql).all(...params, named) as Record<string, number>[];
  return windows.map((w, i) => {
    const t = emptyTime();
    for (const r of rows) t[BY_RANK[r.s as number] ?? "grey"] += r[`w${i}`] ?? 0;
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
  monitorControls: ReadonlyMap<string, string>,
  now: number,
): TimeInState[] {
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
    const have = new Set(
      (db.prepare("SELECT day FROM compliance_rollups WHERE source = ? AND control = ? AND stale_ms = ? AND version = ? AND day >= ? AND day < ?").all(source, control, staleMs, ROLLUP_VERSION, lo, hi) as { day: number }[]).map((r) => r.day),
    );
    const missing: number[] = [];
    for (let d = lo; d < hi; d += DAY) if (!have.has(d)) missing.push(d);
    if (missing.length) {
      const put = db.prepare("INSERT OR REPLACE INTO compliance_rollups (source, control, stale_ms, version, day, green_ms, amber_ms, red_ms, grey_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
      db.transaction(() => {
        for (const d of missing) {
          const t = sourceHistory(db, source, control, [{ from: d, to: d + DAY }], staleMs, monitorControls)[0]!;
          put.run(source, control, staleMs, ROLLUP_VERSION, d, t.green, t.amber, t.red, t.grey);
        }
      })();
    }
  }
  const sum = db.prepare(
    "SELECT coalesce(sum(green_ms), 0) AS green, coalesce(sum(amber_ms), 0) AS amber, coalesce(sum(red_ms), 0) AS red, coalesce(sum(grey_ms), 0) AS grey FROM compliance_rollups WHERE source = ? AND control = ? AND stale_ms = ? AND version = ? AND day >= ? AND day < ?",
  );
  return windows.map((w, i) => {
    const span = spans[i];
    if (!span) return sourceHistory(db, source, control, [w], staleMs, monitorControls)[0]!;
    const t = { ...(sum.get(source, control, staleMs, ROLLUP_VERSION, span.a, span.b) as TimeInState) };
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
  const sensors = (db.prepare("SELECT count(*) AS n FROM door_state").get() as { n: number }).n;
  const to = Math.max(...windows.map((w) => w.to));
  const from = Math.min(...windows.map((w) => w.from));
  const alerts = db
    .prepare("SELECT severity, opened_at, coalesce(resolved_at, ?) AS end FROM alerts WHERE source = 'doors' AND opened_at < ? AND coalesce(resolved_at, ?) > ?")
    .all(to, to, to, from) as { severity: string; opened_at: number; end: number }[];
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
  monitorControls: ReadonlyMap<string, string>,
  now: number,
): Map<string, HistoryWindow[]> {
  const sourcesOf = new Map<string, Set<string>>();
  const allSources = new Set([...monitorControls.keys(), COMPLIANCE_SOURCE]);
  for (const r of db.prepare("SELECT DISTINCT monitor FROM finding_state").all() as { monitor: string }[]) allSources.add(r.monitor);
  for (const s of allSources) for (const c of controlsOfSource(s, monitorControls)) sourcesOf.set(c, (sourcesOf.get(c) ?? new Set()).add(s));
  const out = new Map<string, HistoryWindow[]>();
  for (const control of CATALOG) {
    let best: TimeInState[] | undefined;
    const evidenced = (t: TimeInState[]) => t.reduce((n, x) => n + x.green + x.amber + x.red, 0);
    const candidates: TimeInState[][] = [...(sourcesOf.get(control.id) ?? [])].map((s) => rolledHistory(db, s, control.id, windows, staleMs, monitorControls, now));
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
  const monitorControls = monitorControlMap(opts.monitors);
  const staleAfterMs = opts.staleAfterMs ?? 2 * DAY;
  const days = opts.historyDays ?? [30, 90, 365];
  const windows = days.map((d) => ({ days: d, from: opts.now - d * DAY, to: opts.now }));
  return scoreControls({
    now: opts.now,
    staleAfterMs,
    monitorControls,
    sources: gatherSources(db, opts),
    history: windows.length ? gatherHistory(db, windows, staleAfterMs, monitorControls, opts.now) : new Map(),
  });
}

/** Share of a window in each state, in whole percent (for display). */
export function percentInState(t: TimeInState): Record<ControlState, number> {
  const total = t.green + t.amber + t.red + t.grey || 1;
  return { green: Math.round((t.green / total) * 100), amber: Math.round((t.amber / total) * 100), red: Math.round((t.red / total) * 100), grey: Math.round((t.grey / total) * 100) };
}

export type { ComplianceControlId };
