/** `gatehouse check`: run monitors once, record, print a table or JSON, exit like a Nagios plugin. */
import { runAll, selectMonitors } from "../agent/agent.js";
import { exitCodeFor, worstStatus } from "../agent/evaluator.js";
import type { MonitorRun } from "../agent/runner.js";
import { configOption, parseCommandArgs, withAgent, type Command } from "./command.js";

const usage = "gatehouse check [--config FILE] [--monitor ID]... [--json]";

/** The JSON shape of `check --json` (a contract: scripts rely on it). */
export function checkJson(site: string, checkedAt: number, runs: MonitorRun[]) {
  return {
    site,
    checked_at: new Date(checkedAt).toISOString(),
    status: worstStatus(runs.filter((r) => r.outcome !== "not_applicable").map((r) => r.status)),
    monitors: runs.map((r) => ({
      id: r.id,
      status: r.status,
      duration_ms: Math.round(r.durationMs),
      findings: r.findings.map((f) => ({ rule: f.rule, kind: f.kind, status: f.status, message: f.message, ...(f.subject ? { subject: f.subject } : {}) })),
      facts: r.facts,
      error: r.error ?? null,
    })),
  };
}

/** What `check` says when its results changed alerts: delivery is the daemon's job. */
export function queuedNotice(monitors: number): string {
  return `notifications from ${monitors} monitor${monitors === 1 ? "" : "s"} were queued; the daemon delivers them (gatehouse serve, or the installed gatehouse.service; see gatehouse notify status)`;
}

const MARK = { pass: "PASS", warn: "WARN", fail: "FAIL", unknown: "UNKN" } as const;

/** A readable table: one line per monitor, then its non-passing findings indented. */
export function checkTable(runs: MonitorRun[]): string {
  const lines: string[] = [];
  const width = Math.max(8, ...runs.map((r) => r.id.length));
  for (const r of runs) {
    const note = r.outcome === "not_applicable" ? "not applicable" : r.outcome === "error" ? "error" : "";
    lines.push(`${MARK[r.status]}  ${r.id.padEnd(width)}  ${String(Math.round(r.durationMs)).padStart(6)} ms  ${note}`.trimEnd());
    for (const f of r.findings) {
      if (f.status === "pass") continue;
      lines.push(`      ${MARK[f.status]} ${f.message}`);
    }
  }
  return lines.join("\n");
}

export const checkCommand: Command = {
  words: ["check"],
  summary: "run monitors once, record the results, print them; exit 0 pass, 1 warn, 2 fail, 3 unknown",
  usage,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { ...configOption, monitor: { type: "string", multiple: true }, json: { type: "boolean" } }, usage);
    let queued = 0;
    return withAgent(
      values.config,
      async (agent, config) => {
        const settings = selectMonitors(config, values.monitor ?? []);
        const at = Date.now();
        const runs = await runAll(agent, settings);
        const json = checkJson(config.site, at, runs);
        io.out(values.json ? JSON.stringify(json, null, 2) : checkTable(runs));
        // On stderr, so `--json` stays parseable: a cron user must know that this command does
        // not send mail itself.
        if (queued > 0) io.err(queuedNotice(queued));
        return exitCodeFor(json.status);
      },
      undefined,
      { onEnqueued: () => void queued++ },
    );
  },
};
