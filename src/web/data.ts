/**
 * Read models for the console pages (plain props for the views; views never query).
 * Parameterized SQL only.
 */
import { auditChain, type AuditRow } from "../agent/audit.js";
import type { GatehouseConfig } from "../agent/config/load.js";
import { worstStatus } from "../agent/evaluator.js";
import type { Db } from "../agent/store/db.js";
import { currentFindings, latestObservation } from "../agent/store/observations.js";
import { CONTROL_IDS, type ControlId, type Status } from "../monitors/monitor.js";
import { readAlerts, type AlertView } from "../agent/alerts/rows.js";
import type { ControlTile } from "../../views/fragments/overview-tiles.js";

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

/** Which monitors cover a control: their own control, and the accounts monitor for its two siblings. */
function monitorsFor(config: GatehouseConfig, control: ControlId) {
  return config.monitors
    .map((m) => m.monitor)
    .filter((m) => m.control === control || (m.id === "accounts" && (control === "least-privilege" || control === "passwords")) || (m.id === "tls" && control === "transmission"));
}

export interface ConsoleFacts {
  /** The console enforces TOTP for every user, so two-factor passes once a user exists. */
  users: number;
  audit: { ok: boolean; rows: number; reason?: string };
  https: boolean;
}

/** One tile per checklist control. */
export function overviewTiles(db: Db, config: GatehouseConfig, facts: ConsoleFacts, now: number): ControlTile[] {
  const openDoorAlerts = db.prepare("SELECT severity, message, opened_at FROM alerts WHERE source = 'doors' AND state != 'resolved' ORDER BY opened_at").all() as {
    severity: string;
    message: string;
    opened_at: number;
  }[];
  return CHECKLIST.map((control): ControlTile => {
    const monitors = monitorsFor(config, control);
    const statuses: Status[] = [];
    let since: number | undefined;
    let lastChecked: number | undefined;
    let problem: string | undefined;
    for (const m of monitors) {
      const last = latestObservation(db, m.id);
      if (!last) {
        statuses.push("unknown");
        problem ??= `${m.title}: not checked yet`;
        continue;
      }
      lastChecked = Math.max(lastChecked ?? 0, last.startedAt);
      statuses.push(last.outcome === "not_applicable" ? "unknown" : last.status);
      for (const f of currentFindings(db, m.id)) {
        if (f.status === "pass") continue;
        problem ??= f.message;
        since = since === undefined ? f.since : Math.min(since, f.since);
      }
    }
    let watched = monitors.length > 0;
    if (control === "two-factor") {
      watched = true;
      statuses.push(facts.users > 0 ? "pass" : "warn");
      if (facts.users === 0) problem ??= "No console user yet: open the setup link printed by gatehouse init.";
      lastChecked = now;
    } else if (control === "audit") {
      watched = true;
      statuses.push(facts.audit.ok ? "pass" : "fail");
      if (!facts.audit.ok) problem ??= `Audit log chain broken: ${facts.audit.reason ?? "unknown"}`;
      lastChecked = now;
    } else if (control === "transmission") {
      watched = true;
      statuses.push(facts.https ? "pass" : "warn");
      if (!facts.https) problem ??= "The console is served without TLS (allowed on loopback only).";
      lastChecked = Math.max(lastChecked ?? 0, now);
    } else if (control === "physical" && (config.doors.sensors.length > 0 || openDoorAlerts.length > 0)) {
      watched = true;
      const bad = openDoorAlerts[0];
      statuses.push(bad ? (bad.severity === "critical" ? "fail" : "warn") : "pass");
      if (bad) {
        problem ??= bad.message;
        since = bad.opened_at;
      }
    }
    const status = watched ? worstStatus(statuses) : "unknown";
    return {
      control,
      title: CONTROL_TITLES[control],
      status,
      since: status === "pass" ? undefined : since,
      lastChecked,
      problem: status === "pass" ? undefined : problem,
      watched,
      monitors: monitors.map((m) => ({ id: m.id, title: m.title })),
    };
  });
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

/** Open alerts and the 50 most recently resolved. */
export function listAlerts(db: Db): AlertView[] {
  return readAlerts(
    db,
    `SELECT * FROM (SELECT * FROM alerts WHERE state != 'resolved' ORDER BY opened_at DESC)
     UNION ALL SELECT * FROM (SELECT * FROM alerts WHERE state = 'resolved' ORDER BY resolved_at DESC LIMIT 50)`,
  );
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
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (q.actor) {
    where.push("actor = ?");
    args.push(q.actor);
  }
  if (q.actionPrefix) {
    where.push("substr(action, 1, ?) = ?");
    args.push(q.actionPrefix.length, q.actionPrefix);
  }
  if (q.from !== undefined) {
    where.push("at >= ?");
    args.push(q.from);
  }
  if (q.to !== undefined) {
    where.push("at < ?");
    args.push(q.to);
  }
  args.push(q.limit);
  return db.prepare(`SELECT * FROM audit ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`).all(...args) as AuditRow[];
}

/** One CSV field: quoted, and a leading = + - @ tab or CR neutralized so a spreadsheet never runs it as a formula. */
export function csvField(v: string | number): string {
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return `"${s.replace(/"/g, '""')}"`;
}

export function auditCsv(rows: AuditRow[]): string {
  const head = ["id", "at", "actor", "address", "action", "target", "detail", "prev_hash", "hash"];
  const lines = rows.map((r) => [r.id, new Date(r.at).toISOString(), r.actor, r.address, r.action, r.target, r.detail_json, r.prev_hash, r.hash].map(csvField).join(","));
  return `${head.join(",")}\r\n${lines.join("\r\n")}${lines.length ? "\r\n" : ""}`;
}

/** Keys whose values are secrets if ever inline (paths in *_file keys and TLS file paths are not). */
const SECRET_KEY = /pass(word)?$|secret$|token$|api_?key$|private_?key$|^authorization$|cookie/i;

/** The effective config as YAML-ish text, with secret-looking values masked and monitor objects reduced to ids. */
export function maskedConfig(config: GatehouseConfig): string {
  const plain = {
    file: config.file,
    site: config.site,
    timezone: config.timezone,
    data_dir: config.dataDir,
    console: config.console,
    retention: config.retention,
    monitors: Object.fromEntries(config.monitors.map((m) => [m.monitor.id, { schedule: m.schedule, config: m.config }])),
    alerts: config.alerts,
    doors: config.doors,
    mqtt: config.mqtt ?? null,
  };
  return JSON.stringify(
    plain,
    (k, v) => {
      if (k && SECRET_KEY.test(k) && !/_file$/.test(k) && v !== null && typeof v !== "object") return "••••••";
      if (typeof v === "string" && /^[a-z]+:\/\/[^/\s:@]+:[^/\s@]+@/i.test(v)) return v.replace(/\/\/([^:/@]+):[^@]+@/, "//$1:••••••@");
      return v;
    },
    2,
  );
}
