/**
 * A host's judgement through the one findings pipeline: observation, finding state, alerts and
 * outbox rows in one transaction (as a monitor run is recorded), under the source `host:<id>`.
 * Every host source (the osquery TLS server here, a Fleet reader later) calls `recordHost`.
 */
import type { AlertContext } from "../alerts/engine.js";
import { appendAudit } from "../audit.js";
import { worstStatus, type Finding } from "../evaluator.js";
import { record } from "../findings/record.js";
import type { Db } from "../store/db.js";
import { currentFindings } from "../store/findings.js";
import { insertObservation, latestObservation } from "../store/observations.js";
import type { HostsConfig } from "./config.js";
import { judgeHost } from "./judge.js";
import { POSTURE_QUERIES } from "./queries.js";
import { hostSource, type HostSnapshot } from "./snapshot.js";
import { deleteHost, getHost, listHosts, setOffline } from "../store/hosts.js";
import { hostSnapshot } from "./results.js";

export interface HostRecord {
  source: string;
  findings: Finding[];
  outboxIds: number[];
}

/** Evidence text for the report: each check's verdict, then what each query said and when. */
function evidenceOf(s: HostSnapshot, findings: readonly Finding[]): string {
  const lines = findings.map((f) => `${f.rule.replace(/^hosts\./, "")}: ${f.status} — ${f.message}`);
  lines.push(`platform: ${s.platform ?? "unknown"}; last check-in ${new Date(s.lastSeenAt).toISOString()}`);
  for (const q of POSTURE_QUERIES) {
    const r = s.results[q.name];
    if (r) lines.push(`${q.name}: ${r.status === 0 ? `${r.rows.length} row(s)` : `status ${r.status}`} at ${new Date(r.at).toISOString()}`);
  }
  return lines.join("\n");
}

/** An unchanged judgement is written at most this often (a host posts result batches every few minutes). */
export const UNCHANGED_RECORD_MS = 3_600_000;

/** Whether the findings say exactly what the stored finding state says. */
function unchanged(db: Db, source: string, findings: readonly Finding[]): boolean {
  const current = new Map(currentFindings(db, source).map((f) => [f.rule, f]));
  return current.size === findings.length && findings.every((f) => current.get(f.rule)?.status === f.status && current.get(f.rule)?.message === f.message);
}

/**
 * Judges a snapshot and records it: the caller's transaction is joined when there is one, so a
 * result batch and its findings are committed together. A judgement identical to the stored one
 * is written only once an hour (evidence that the host still reports, without a row per batch).
 */
export function recordHost(db: Db, ctx: AlertContext, policy: HostsConfig, s: HostSnapshot): HostRecord {
  const source = hostSource(s.id);
  const findings = judgeHost(s, policy, ctx.now);
  const last = latestObservation(db, source);
  if (last && ctx.now - last.startedAt < UNCHANGED_RECORD_MS && unchanged(db, source, findings)) return { source, findings, outboxIds: [] };
  let outboxIds: number[] = [];
  db.transaction(() => {
    insertObservation(db, {
      monitor: source,
      startedAt: ctx.now,
      durationMs: 0,
      status: worstStatus(findings.map((f) => f.status)),
      outcome: "ok",
      evidence: evidenceOf(s, findings),
      facts: {
        "host.name": s.name,
        "host.platform": s.platform ?? "",
        "host.last_seen_at": new Date(s.lastSeenAt).toISOString(),
        "host.queries": POSTURE_QUERIES.filter((q) => s.results[q.name]).map((q) => q.name),
      },
      findings,
    });
    outboxIds = record(db, ctx, source, findings, { complete: true });
  })();
  return { source, findings, outboxIds };
}

/**
 * The check-in watch (run every minute): a host that crossed `offline_after` since the last look,
 * or came back, is judged again — so "not checking in" alerts like an offline door sensor, and
 * nothing is written while nothing changes.
 */
export function checkOffline(db: Db, ctx: AlertContext, policy: HostsConfig): HostRecord[] {
  const out: HostRecord[] = [];
  for (const h of listHosts(db)) {
    const offline = ctx.now - h.lastSeenAt > policy.offlineAfterMs;
    if (offline === h.offline) continue;
    db.transaction(() => {
      setOffline(db, h.id, offline);
      out.push(recordHost(db, ctx, policy, hostSnapshot(db, h)));
    })();
  }
  return out;
}

/**
 * Forgets a computer (sold, replaced, reinstalled under a new identity): its open alerts resolve
 * at once, its finding state is cleared, its node key stops working, and the audit log says who
 * did it. Its past observations stay as evidence until retention prunes them.
 */
export function forgetHost(db: Db, ctx: AlertContext, hostId: number, by: { actor: string; address: string }): HostRecord | undefined {
  const host = getHost(db, hostId);
  if (!host) return undefined;
  const source = hostSource(hostId);
  let outboxIds: number[] = [];
  db.transaction(() => {
    insertObservation(db, { monitor: source, startedAt: ctx.now, durationMs: 0, status: "pass", outcome: "ok", evidence: `forgotten by ${by.actor}`, facts: {}, findings: [] });
    outboxIds = record(db, { ...ctx, policy: { ...ctx.policy, flapWindowMs: 0 } }, source, [], { complete: true });
    deleteHost(db, hostId);
    appendAudit(db, { at: ctx.now, actor: by.actor, action: "host.forget", target: source, address: by.address, detail: { hostname: host.hostname, host_identifier: host.hostIdentifier } });
  })();
  return { source, findings: [], outboxIds };
}
