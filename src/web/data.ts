/**
 * Read models for the console pages (plain props for the views; views never query), built on
 * the store's typed reads (src/agent/store): no SQL here.
 */
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { auditChain, type AuditRow } from "../agent/audit.js";
import type { GatehouseConfig } from "../agent/config/load.js";
import { worstStatus } from "../agent/evaluator.js";
import type { Db } from "../agent/store/db.js";
import { currentFindings } from "../agent/store/findings.js";
import { latestObservation } from "../agent/store/observations.js";
import { lastObservationAt, statusPerRange } from "../agent/store/observation-log.js";
import { CONTROL_IDS, outcomeOfRule, type ControlId, type Status } from "../monitors/monitor.js";
import { toAlertView, type AlertView } from "../agent/alerts/rows.js";
import { consoleAlertRows, openAlertsOf } from "../agent/store/alerts.js";
import { auditRowsForTarget, filteredAuditRows, reportGenerationByDigest } from "../agent/store/audit.js";
import { doorOpeningsPerRange } from "../agent/store/doors.js";
import { CATALOG } from "../agent/compliance/catalog.js";
import { controlRegistry } from "../agent/controls/index.js";
import { COMPLIANCE_SOURCE, registerFindings, registerSnapshot } from "../agent/compliance/evaluate.js";
import { REGISTER_IDS, REGISTERS } from "../agent/compliance/registers.js";
import { writeCsv } from "../kit/csv.js";
import { addDays, localMidnight, siteToday } from "../kit/time.js";
import { HOST_CHECKS } from "../agent/controls/host-checks.js";
import { rollup } from "../agent/hosts/rollup.js";
import { hostFindings, listHosts } from "../agent/store/hosts.js";
import { findingState, scorecard, worstState, type ControlState } from "../agent/compliance/scorecard.js";
import type { ControlTile, OverviewSummary } from "../../views/fragments/overview-tiles.js";
import type { DayOpenings, DayStatus } from "../../views/components/charts.js";

const CONTROL_TITLES: Record<ControlId, string> = {
  antivirus: "Anti-virus",
  firewall: "Firewall",
  updates: "Security updates",
  backups: "Backups",
  physical: "Physical access",
  wifi: "Wi-Fi",
  accounts: "Individual accounts",
  "least-privilege": "Least privilege",
  passwords: "Passwords",
  "two-factor": "Two-factor authentication",
  transmission: "Secure transmission",
  audit: "Audit log",
  inventory: "Inventory",
};

/** The checklist of DESIGN.md, in order (inventory is evidence, not a control of its own). */
export const CHECKLIST: readonly ControlId[] = CONTROL_IDS.filter((c) => c !== "inventory");

/** Which configured monitors evidence a control, as the control registry says (accounts: three). */
function monitorsFor(config: GatehouseConfig, control: ControlId) {
  const monitors = config.monitors.map((m) => m.monitor);
  const ids = new Set(controlRegistry(monitors).sourcesOf(control, monitors.map((m) => m.id)));
  return monitors.filter((m) => ids.has(m.id));
}

export interface ConsoleFacts {
  /** The console enforces TOTP for every user, so two-factor passes once a user exists. */
  users: number;
  audit: { ok: boolean; rows: number; reason?: string };
  https: boolean;
}

/** Something wrong (or unknown) about a control, with what to do about it. */
interface Issue {
  status: Status;
  message: string;
  advice: string;
  since?: number | undefined;
  /** Among equally bad issues, the one a person should read first has the higher weight. */
  weight: number;
}

const STATUS_WEIGHT: Record<Status, number> = { pass: 0, unknown: 1, warn: 2, fail: 3 };

/** What to do when a control's own policy fails: one line a manager can act on or pass on. */
const CONTROL_ADVICE: Record<ControlId, string> = {
  antivirus: "Start the anti-virus service (clamd) and let freshclam update the signatures.",
  firewall: "Turn the host firewall back on with the approved rules.",
  updates: "Install the pending security updates and reboot when asked.",
  backups: "Check that the backup job ran and its destination is reachable.",
  physical: "Check the door, then acknowledge the alert with what you found.",
  wifi: "Set the office access point to WPA2/WPA3 and hide its network name.",
  accounts: "Give each person their own login; remove shared and default accounts.",
  "least-privilege": "Remove administrator (sudo) rights from anyone who does not need them.",
  passwords: "Have the named users set new passwords.",
  "two-factor": "Open the setup link printed by gatehouse init to create the first user.",
  transmission: "Serve the console over TLS and renew certificates before they expire.",
  audit: "The audit log was altered: keep a copy of the database and investigate.",
  inventory: "Review the changed hardware or software on the inventory page.",
};


/** One finding as an issue of `control`: what it says, how bad, and what to do. */
function findingIssue(control: ControlId, f: { rule: string; kind: string; status: Status; message: string; since: number }): Issue {
  const base = STATUS_WEIGHT[f.status] * 10;
  if (outcomeOfRule(f.rule) === "not_applicable") return { status: f.status, message: `Does not apply here: ${f.message}`, advice: "Nothing to do on this box.", since: f.since, weight: base - 5 };
  if (outcomeOfRule(f.rule) !== undefined) return { status: f.status, message: f.message, advice: "Gatehouse could not check this; the monitor page shows the error.", since: f.since, weight: base + 2 };
  if (f.rule.endsWith(".baseline_missing"))
    return { status: f.status, message: "No approved baseline yet, so changes cannot be detected.", advice: "An administrator reviews what the monitor sees and approves it as the baseline.", since: f.since, weight: base };
  if (f.kind === "drift") return { status: f.status, message: f.message, advice: "Review the change on the monitor page; approve it as the new baseline if it was intended.", since: f.since, weight: base + 1 };
  return { status: f.status, message: f.message, advice: CONTROL_ADVICE[control], since: f.since, weight: base + 3 };
}

/** The issue to show first: the worst status, then the most telling kind (policy, probe, drift, no baseline). */
export function worstIssue<T extends { weight: number }>(issues: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const i of issues) if (!best || i.weight > best.weight) best = i;
  return best;
}

/**
 * Everything the overview's tiles show, worked out at `now` (the route renders them once per
 * change and minute, see overview-cache.ts).
 */
export function overviewProps(db: Db, config: GatehouseConfig, facts: ConsoleFacts, now: number): { tiles: ControlTile[]; registers: ControlTile[]; summary: OverviewSummary } {
  const tiles = overviewTiles(db, config, facts, now);
  const registers = registerTiles(db, config.timezone, now);
  const summary = overviewSummary([...tiles, ...registers], lastCheckAt(db), monthCompliance(db, config, now));
  return { tiles, registers, summary };
}

/** One tile per checklist control, each with its worst finding and what to do. */
export function overviewTiles(db: Db, config: GatehouseConfig, facts: ConsoleFacts, now: number): ControlTile[] {
  const openDoorAlerts = openAlertsOf(db, "doors").sort((a, b) => a.opened_at - b.opened_at || a.id - b.id);
  const registry = controlRegistry(config.monitors.map((m) => m.monitor));
  const office = rollup(listHosts(db), hostFindings(db));
  return CHECKLIST.map((control): ControlTile => {
    const monitors = monitorsFor(config, control);
    const issues: Issue[] = [];
    const statuses: Status[] = [];
    let lastChecked: number | undefined;
    for (const m of monitors) {
      const last = latestObservation(db, m.id);
      if (!last) {
        issues.push({ status: "unknown", message: `${m.title}: not checked yet.`, advice: "Wait for the first check, or run gatehouse check.", weight: 9 });
        statuses.push("unknown");
        continue;
      }
      lastChecked = Math.max(lastChecked ?? 0, last.startedAt);
      // Only this control's findings: the accounts monitor evidences three controls.
      const mine = currentFindings(db, m.id).filter((f) => outcomeOfRule(f.rule) !== undefined || registry.controlOfFinding(m.id, f.rule) === control);
      statuses.push(last.outcome === "not_applicable" ? "unknown" : worstStatus(mine.map((f) => f.status)));
      for (const f of mine) if (f.status !== "pass") issues.push(findingIssue(control, f));
    }
    let watched = monitors.length > 0;
    const consoleIssue = (ok: boolean, bad: Status, message: string) => {
      statuses.push(ok ? "pass" : bad);
      if (!ok) issues.push({ status: bad, message, advice: CONTROL_ADVICE[control], weight: STATUS_WEIGHT[bad] * 10 + 4 });
    };
    if (control === "two-factor") {
      watched = true;
      consoleIssue(facts.users > 0, "warn", "No console user yet.");
      lastChecked = now;
    } else if (control === "audit") {
      watched = true;
      consoleIssue(facts.audit.ok, "fail", `Audit log chain broken: ${facts.audit.reason ?? "unknown"}`);
      lastChecked = now;
    } else if (control === "transmission") {
      watched = true;
      consoleIssue(facts.https, "warn", "The console is served without TLS (allowed on loopback only).");
      lastChecked = Math.max(lastChecked ?? 0, now);
    } else if (control === "physical" && (config.doors.sensors.length > 0 || openDoorAlerts.length > 0)) {
      watched = true;
      statuses.push("pass");
      for (const a of openDoorAlerts) {
        const status: Status = a.severity === "critical" ? "fail" : "warn";
        statuses.push(status);
        issues.push({ status, message: a.message, advice: CONTROL_ADVICE.physical, since: a.opened_at, weight: STATUS_WEIGHT[status] * 10 + 3 });
      }
    }
    // The office computers (osquery) evidence the same controls: each one's problem is an issue
    // of the tile, and the tile says how many computers are green.
    const computers: string[] = [];
    for (const check of HOST_CHECKS.filter((c) => c.control === control)) {
      const r = office.checks.find((x) => x.rule === check.rule);
      if (!r || r.total === 0) continue;
      watched = true;
      computers.push(r.summary);
      for (const line of office.lines) {
        const f = line.checks[check.rule];
        if (!f || f.status === "unknown") continue;
        statuses.push(f.status);
        if (f.status !== "pass") issues.push({ status: f.status, message: f.message, advice: `On ${line.host.hostname}: ${CONTROL_ADVICE[control]}`, weight: STATUS_WEIGHT[f.status] * 10 + 2 });
      }
    }
    const status = watched ? worstStatus(statuses) : "unknown";
    const worst = status === "pass" ? undefined : worstIssue(issues);
    const since = issues.filter((i) => i.status === status && i.since !== undefined).reduce<number | undefined>((a, i) => (a === undefined ? i.since : Math.min(a, i.since!)), undefined);
    return {
      control,
      title: CONTROL_TITLES[control],
      status,
      since: status === "pass" ? undefined : since,
      lastChecked,
      problem: worst?.message,
      advice: worst?.advice,
      more: worst ? issues.filter((i) => i.status !== "pass").length - 1 : 0,
      watched,
      monitors: monitors.map((m) => ({ id: m.id, title: m.title })),
      computers,
      href: undefined,
    };
  });
}

const STATE_STATUS: Record<ControlState, Status> = { green: "pass", amber: "warn", red: "fail", grey: "unknown" };

/** Tiles for the controls kept in registers (BAAs, training, access reviews, restore tests, incidents). */
export function registerTiles(db: Db, timezone: string, now: number): ControlTile[] {
  const findings = registerFindings(registerSnapshot(db), siteToday(now, timezone));
  const byControl = new Map<string, typeof findings>();
  for (const f of findings) {
    const c = controlRegistry().controlOfFinding(COMPLIANCE_SOURCE, f.rule);
    if (c) byControl.set(c, [...(byControl.get(c) ?? []), f]);
  }
  return REGISTER_IDS.map((register): ControlTile => {
    const entry = CATALOG.find((c) => c.registers.includes(register))!;
    const fs = byControl.get(entry.id) ?? [];
    const state = worstState(fs.map((f) => findingState(f.rule, f.status)));
    const status = STATE_STATUS[state];
    const worst = [...fs].sort((a, b) => STATUS_WEIGHT[b.status] - STATUS_WEIGHT[a.status])[0];
    const label = REGISTERS[register].title;
    return {
      control: entry.id,
      title: entry.title,
      status,
      since: undefined,
      lastChecked: undefined,
      problem: status === "pass" ? undefined : worst?.message,
      advice: status === "pass" ? undefined : state === "grey" ? `Record the first entry in the ${label.toLowerCase()} register.` : `Bring the ${label.toLowerCase()} register up to date.`,
      more: status === "pass" ? 0 : Math.max(0, fs.filter((f) => f.status !== "pass").length - 1),
      watched: state !== "grey",
      monitors: [],
      href: `/compliance/${register}`,
    };
  });
}

/** The line above the tiles: how many controls fail, warn or go unwatched, and the latest check. */
export function overviewSummary(tiles: readonly ControlTile[], lastCheck: number | undefined, compliance: number | undefined): OverviewSummary {
  return {
    failing: tiles.filter((t) => t.status === "fail").length,
    warnings: tiles.filter((t) => t.status === "warn").length,
    unwatched: tiles.filter((t) => !t.watched || t.status === "unknown").length,
    lastCheck,
    compliance,
  };
}

/** The newest monitor observation, for "last check". */
export function lastCheckAt(db: Db): number | undefined {
  return lastObservationAt(db) ?? undefined;
}

const monthScores = new WeakMap<Db, { key: string; value: number | undefined }>();

/**
 * This month's compliance: the share of evidenced time the controls were green since the 1st
 * (site time). Worked out by the scorecard's history; kept for a minute (the overview polls).
 */
export function monthCompliance(db: Db, config: GatehouseConfig, now: number): number | undefined {
  const key = `${Math.floor(now / 60_000)}`;
  const hit = monthScores.get(db);
  if (hit?.key === key) return hit.value;
  const first = `${siteToday(now, config.timezone).slice(0, 7)}-01`;
  const days = Math.max(1 / 24, (now - localMidnight(first, config.timezone)) / 86_400_000);
  const scores = scorecard(db, { now, timezone: config.timezone, monitors: config.monitors.map((m) => m.monitor), historyDays: [days] });
  let green = 0;
  let evidenced = 0;
  for (const s of scores) {
    const t = s.history[0]?.ms;
    if (!t) continue;
    green += t.green;
    evidenced += t.green + t.amber + t.red;
  }
  const value = evidenced > 0 ? Math.round((green / evidenced) * 100) : undefined;
  monthScores.set(db, { key, value });
  return value;
}

/**
 * The audit chain's state as last verified. Verification runs in the background from the last
 * verified row (agent/audit.ts): a request never walks the chain.
 */
export function auditChecker(db: Db): () => ConsoleFacts["audit"] {
  const chain = auditChain(db);
  return () => {
    const v = chain.current();
    return v.ok ? { ok: true, rows: v.rows } : { ok: false, rows: v.rows, reason: v.reason };
  };
}

/** Open alerts, most severe first (newest first within a severity), and the 50 most recently resolved. */
export function listAlerts(db: Db): AlertView[] {
  return consoleAlertRows(db).map(toAlertView);
}

export interface AuditQuery {
  actor?: string;
  actionPrefix?: string;
  from?: number;
  to?: number;
  limit: number;
}

/** Audit rows, newest first, filtered. */
export function queryAudit(db: Db, q: AuditQuery): AuditRow[] {
  return filteredAuditRows(db, { actor: q.actor || null, actionPrefix: q.actionPrefix || null, from: q.from ?? null, to: q.to ?? null, limit: q.limit });
}

type SiteDay = { date: string; from: number; to: number };
const keptDays = new Map<string, readonly SiteDay[]>();

/**
 * The last `days` calendar days at the site (today included), each with its local start and end.
 * They change only when the site's day does, so they are kept while `now` falls in the same last
 * day (working out 31 local midnights was a quarter of a monitor page).
 */
export function siteDays(now: number, timezone: string, days: number): readonly SiteDay[] {
  const key = `${timezone}|${days}`;
  const kept = keptDays.get(key);
  const today = kept?.at(-1);
  if (kept && today && today.from <= now && now < today.to) return kept;
  const date0 = siteToday(now, timezone);
  const fresh = Array.from({ length: days }, (_, i) => {
    const date = addDays(date0, i - days + 1);
    return { date, from: localMidnight(date, timezone), to: localMidnight(addDays(date, 1), timezone) };
  });
  if (keptDays.size > 100) keptDays.clear();
  keptDays.set(key, fresh);
  return fresh;
}

const STATUS_BY_RANK: (Status | undefined)[] = ["pass", "unknown", "warn", "fail"];

/** Worst status per site day for one monitor (one indexed range scan per day, in one statement). */
export function statusByDay(db: Db, monitor: string, days: readonly { date: string; from: number; to: number }[]): DayStatus[] {
  const rows = statusPerRange(db, monitor, days);
  return rows.map((r) => ({ date: days[r.i]!.date, status: r.n ? STATUS_BY_RANK[r.worst ?? 0] : undefined, checks: r.n }));
}

/** Door openings per site day, and how many of them were after hours (alarm or declared on site). */
export function doorOpeningsByDay(db: Db, days: readonly { date: string; from: number; to: number }[]): DayOpenings[] {
  const rows = doorOpeningsPerRange(db, days);
  return rows.map((r) => ({ date: days[r.i]!.date, openings: r.n, afterHours: r.after }));
}

/** An audit row as the views show it (an empty detail left out). */
export function auditRowView(r: AuditRow): { id: number; at: number; actor: string; action: string; target: string; detail: string; address: string } {
  return { id: r.id, at: r.at, actor: r.actor, action: r.action, target: r.target, detail: r.detail_json === "{}" ? "" : r.detail_json, address: r.address };
}

/** Audit rows about one target (a register entry "baa:3"), newest first. */
export function auditForTarget(db: Db, target: string, limit: number): AuditRow[] {
  return auditRowsForTarget(db, target, limit);
}

/** The latest audit rows whose action starts with `prefix` ("register.baa."), newest first. */
export function auditWithPrefix(db: Db, prefix: string, limit: number): AuditRow[] {
  return queryAudit(db, { actionPrefix: prefix, limit });
}

/** The audit entry recording a report's generation, found by the digest of its JSON content or HTML (or a format /1 seal). */
export function reportInAudit(db: Db, sha256: string): { at: number; actor: string; period: string } | undefined {
  const r = reportGenerationByDigest(db, sha256);
  return r && { at: r.at, actor: r.actor, period: r.target.replace("..", " to ") };
}

/** The audit log as CSV: every field quoted, formula starts neutralized (the kit's CSV writer). */
export function auditCsv(rows: AuditRow[]): string {
  const head = ["id", "at", "actor", "address", "action", "target", "detail", "prev_hash", "hash"];
  const body = rows.map((r) => [r.id, new Date(r.at).toISOString(), r.actor, r.address, r.action, r.target, r.detail_json, r.prev_hash, r.hash]);
  return writeCsv([head], { bom: false }) + writeCsv(body, { bom: false, quoteAll: true });
}

/** Keys whose values are secrets if ever inline (paths in *_file keys and TLS file paths are not). */
const SECRET_KEY = /pass(word)?$|secret$|token$|api_?key$|private_?key$|^authorization$|cookie/i;

/**
 * The configuration as the user wrote it: the file re-read, parsed and re-serialized as YAML (same
 * keys, units and layout of values as typed), with secret-looking values masked in case someone
 * put one inline anyway. Throws when the text is not YAML (the caller says so on the page).
 */
export function effectiveConfigYaml(text: string): string {
  const mask = (k: string, v: unknown): unknown => {
    if (Array.isArray(v)) return v.map((x) => mask("", x));
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k2, v2]) => [k2, mask(k2, v2)]));
    if (k && SECRET_KEY.test(k) && !/_file$/.test(k) && v !== null) return "••••••";
    if (typeof v === "string" && /^[a-z]+:\/\/[^/\s:@]+:[^/\s@]+@/i.test(v)) return v.replace(/\/\/([^:/@]+):[^@]+@/, "//$1:••••••@");
    return v;
  };
  return stringifyYaml(mask("", parseYaml(text, { maxAliasCount: 100 })), { lineWidth: 0 });
}
