/**
 * Runs one monitor once: the probe (isolated, timed, with a deadline), the evaluator, and the
 * record — observation, finding state, alerts and outbox rows in one transaction.
 */
import { CommandError } from "../kit/exec.js";
import { NotApplicable, ProbeError, type Facts, type Logger, type ProbeContext, type Status } from "../monitors/monitor.js";
import type { AlertPolicy } from "./alerts/config.js";
import type { ChannelRoute } from "./alerts/engine.js";
import type { MonitorSetting } from "./config/load.js";
import { describeError } from "../kit/errors.js";
import { rootedFileView } from "../kit/file-view.js";
import { evaluate, worstStatus, type Finding, type ProbeOutcome } from "./evaluator.js";
import { record } from "./findings/record.js";
import type { PrivilegedReader } from "../kit/privileged.js";
import type { RunFn } from "../kit/exec.js";
import type { Db } from "./store/db.js";
import { getBaseline } from "./store/baselines.js";
import { loadFirstSeen } from "./store/findings.js";
import { insertObservation } from "./store/observations.js";

export interface RunnerDeps {
  db: Db;
  site: string;
  log: Logger & { child?(b: object): Logger };
  run: RunFn;
  privileged: PrivilegedReader;
  routes: readonly ChannelRoute[];
  /** Flap window, group wait, renotify (alerts config); documented defaults when absent. */
  alertPolicy?: AlertPolicy;
  consoleUrl?: string;
  /** Called after a transaction wrote outbox rows, to wake the delivery worker. */
  onEnqueued?: () => void;
  now?: () => number;
  /** Deadline for one probe (default 60 s). */
  probeTimeoutMs?: number;
  /** Root of the file-system view probes read through (default `/`). */
  fsRoot?: string;
}

export interface MonitorRun {
  id: string;
  startedAt: number;
  durationMs: number;
  status: Status;
  outcome: ProbeOutcome["outcome"];
  error?: string;
  facts: Facts;
  evidence: string;
  findings: Finding[];
  observationId: number;
}

/** Calls the probe with a deadline; maps every failure to an outcome. Never throws. */
export async function probeOnce(setting: MonitorSetting, ctx: Omit<ProbeContext, "signal">, timeoutMs: number): Promise<ProbeOutcome> {
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      ac.abort();
      reject(new ProbeError(`probe did not finish within ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs);
  });
  try {
    const obs = await Promise.race([setting.monitor.probe({ ...ctx, signal: ac.signal }, setting.config), deadline]);
    return { outcome: "ok", facts: obs.facts, evidence: obs.evidence };
  } catch (e) {
    if (e instanceof NotApplicable) return { outcome: "not_applicable", message: e.message };
    if (e instanceof ProbeError || e instanceof CommandError) return { outcome: "error", message: describeError(e) };
    return { outcome: "error", message: `unexpected error: ${describeError(e)}` };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs, evaluates and records one monitor. */
export async function runMonitor(deps: RunnerDeps, setting: MonitorSetting): Promise<MonitorRun> {
  const now = deps.now ?? Date.now;
  const id = setting.monitor.id;
  const log = deps.log.child ? deps.log.child({ monitor: id }) : deps.log;
  const startedAt = now();
  const t0 = performance.now();
  const result = await probeOnce(
    setting,
    { ...rootedFileView(deps.fsRoot), run: deps.run, privileged: deps.privileged, log, now: () => new Date(now()) },
    deps.probeTimeoutMs ?? 60_000,
  );
  const durationMs = performance.now() - t0;
  const findings = evaluate({
    monitor: setting.monitor,
    config: setting.config,
    result,
    baseline: getBaseline(deps.db, id)?.facts,
    policy: { now: new Date(startedAt), firstSeen: loadFirstSeen(deps.db, id) },
  });
  const status = worstStatus(findings.map((f) => f.status));
  const facts = result.outcome === "ok" ? result.facts : {};
  const evidence = result.outcome === "ok" ? result.evidence : "";
  const error = result.outcome === "ok" ? undefined : result.message;
  let observationId = 0;
  let enqueued = 0;
  deps.db.transaction(() => {
    observationId = insertObservation(deps.db, {
      monitor: id,
      startedAt,
      durationMs,
      status,
      outcome: result.outcome,
      ...(error ? { error } : {}),
      evidence,
      facts,
      findings,
    });
    enqueued = record(
      deps.db,
      { site: deps.site, routes: deps.routes, now: startedAt, ...(deps.consoleUrl ? { consoleUrl: deps.consoleUrl } : {}), ...(deps.alertPolicy ? { policy: deps.alertPolicy } : {}) },
      id,
      findings,
      { complete: true, blind: result.outcome !== "ok" },
    ).length;
  })();
  if (enqueued > 0) deps.onEnqueued?.();
  log.info({ status, outcome: result.outcome, duration_ms: Math.round(durationMs), findings: findings.length }, "check done");
  return { id, startedAt, durationMs, status, outcome: result.outcome, ...(error ? { error } : {}), facts, evidence, findings, observationId };
}
