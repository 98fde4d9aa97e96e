/**
 * `gatehouse doors` (sensors and their states), `doors simulate ID open|closed` (feed the engine
 * as an installer would while testing a sensor) and `doors onsite --until 21:30 --by NAME
 * --reason TEXT` (after-hours openings recorded without alerts until then; audited).
 */
import type { Agent } from "../agent/agent.js";
import { alertPolicyOf } from "../agent/alerts/config.js";
import { severityFor } from "../agent/alerts/transitions.js";
import { appendAudit } from "../agent/audit.js";
import type { GatehouseConfig } from "../agent/config/load.js";
import { inputKind } from "../agent/doors/config.js";
import { SOURCE } from "../agent/doors/transitions.js";
import { compactDuration } from "../kit/format.js";
import { hhmm, localTime } from "../kit/time.js";
import { checkDoorsWiring, doorEngine } from "../agent/doors/index.js";
import { cancelOnsite, declareOnsite, OnsiteError, parseUntil } from "../agent/doors/onsite.js";
import { activeOnsite, listDoorStates } from "../agent/store/doors.js";
import { currentFindings } from "../agent/store/findings.js";
import { UserError } from "../kit/errors.js";
import { nullLogger } from "../kit/log.js";
import { configOption, osActor, parseCommandArgs, withAgent, type Command } from "./command.js";

const listUsage = "gatehouse doors [--config FILE] [--json]";
const simulateUsage = "gatehouse doors simulate ID open|closed [--config FILE]";
const onsiteUsage = 'gatehouse doors onsite --until HH:MM --by NAME --reason TEXT [--config FILE] | doors onsite --cancel ID';

function engineOf(agent: Agent) {
  // The same alert timing as the daemon (flap window, group wait), from the config.
  const policy = agent.runner.alertPolicy ?? alertPolicyOf(agent.config.alerts);
  return doorEngine({
    db: agent.db,
    config: agent.config,
    routes: agent.runner.routes,
    log: nullLogger,
    ...(agent.runner.consoleUrl ? { consoleUrl: agent.runner.consoleUrl } : {}),
    policy,
  });
}

function clock(at: number | null, tz: string): string {
  if (at === null) return "-";
  const l = localTime(at, tz);
  return `${l.date} ${hhmm(l.minutes)}`;
}

export const doorsListCommand: Command = {
  words: ["doors"],
  summary: "list door sensors with their state, last message and open alerts",
  usage: listUsage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { ...configOption, json: { type: "boolean" } }, listUsage);
    if (positionals.length > 0) throw new UserError(`unknown doors subcommand "${positionals[0]}"\nusage: ${listUsage}\n       ${simulateUsage}\n       ${onsiteUsage}`, 3);
    return withAgent(values.config, (agent, config) => {
      engineOf(agent); // creates state rows for newly configured sensors
      const states = new Map(listDoorStates(agent.db).map((s) => [s.sensorId, s]));
      // What each sensor reports now and how severe it is (the findings its alerts follow).
      const alerts = currentFindings(agent.db, SOURCE).flatMap((f) => {
        const severity = severityFor(f);
        return severity ? [{ subject: f.subject, rule: f.rule, severity }] : [];
      });
      const onsite = activeOnsite(agent.db, Date.now());
      const rows = config.doors.sensors.map((s) => {
        const st = states.get(s.id);
        return {
          id: s.id,
          name: s.name ?? s.id,
          input: inputKind(s),
          policy: s.policy,
          state: st?.state ?? "unknown",
          since: st?.since ?? null,
          last_seen: st?.lastSeenAt ?? null,
          online: st?.online ?? true,
          battery: st?.battery ?? null,
          malformed: st?.malformed ?? 0,
          alerts: alerts.filter((a) => a.subject === s.id).map((a) => `${a.rule} (${a.severity})`),
        };
      });
      if (values.json) {
        io.out(JSON.stringify({ sensors: rows, onsite: onsite ?? null }, null, 2));
        return 0;
      }
      if (rows.length === 0) {
        io.out("no door sensors configured (see doors.sensors in the config)");
        return 0;
      }
      const tz = config.timezone;
      const table = [
        ["ID", "NAME", "INPUT", "STATE", "SINCE", "LAST SEEN", "ONLINE", "BATTERY", "REFUSED", "ALERTS"],
        ...rows.map((r) => [
          r.id,
          r.name,
          r.input,
          r.state,
          clock(r.since, tz),
          clock(r.last_seen, tz),
          r.online ? "yes" : "NO",
          r.battery === null ? "-" : `${r.battery}%`,
          String(r.malformed),
          r.alerts.join(", ") || "-",
        ]),
      ];
      const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
      for (const row of table) io.out(row.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd());
      if (onsite) io.out(`\non site until ${clock(onsite.untilAt, tz)} (${tz}): ${onsite.declaredBy} — ${onsite.reason} [#${onsite.id}]`);
      return rows.some((r) => r.alerts.length > 0) ? 1 : 0;
    });
  },
};

export const doorsSimulateCommand: Command = {
  words: ["doors", "simulate"],
  summary: "feed the door engine an open or closed event for a sensor (installer test; audited)",
  usage: simulateUsage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, configOption, simulateUsage);
    const [id, state] = positionals;
    if (!id || (state !== "open" && state !== "closed") || positionals.length !== 2) throw new UserError(`expected a sensor id and open or closed\nusage: ${simulateUsage}`, 3);
    // Checked before the agent opens: a wrong sensor id never touches the database.
    const sensorExists = (config: GatehouseConfig): void => {
      checkDoorsWiring(config);
      if (!config.doors.sensors.some((s) => s.id === id)) {
        throw new UserError(`unknown door sensor "${id}"; configured: ${config.doors.sensors.map((s) => s.id).join(", ") || "(none)"}`, 3);
      }
    };
    return withAgent(
      values.config,
      (agent) => {
        const engine = engineOf(agent);
        const actor = osActor();
        const result = agent.db.transaction(() => {
          appendAudit(agent.db, { actor, action: "doors.simulate", target: `door:${id}`, detail: { state } });
          return engine.handle({ sensorId: id, source: "simulate", payload: `simulate ${id} ${state} by ${actor}`, signal: { state } });
        })();
        if (!result) throw new UserError(`the engine did not accept the event for ${id}`, 3);
        const what: Record<string, string> = {
          alarm: "ALARM raised",
          onsite: "after hours, covered by an on-site declaration: recorded without an alert",
          business_hours: "inside business hours: recorded",
          closed: "closed: alerts raised by the opening resolve (once it stays closed for alerts.flap_window)",
          no_change: "no change",
          initial: "initial state recorded",
          status: "recorded",
        };
        io.out(`${id}: ${result.state.state} — ${what[result.outcome] ?? result.outcome} (event #${result.eventId})`);
        if (result.outboxIds.length > 0) io.out(`${result.outboxIds.length} notification(s) queued; the running daemon delivers them`);
        return 0;
      },
      sensorExists,
    );
  },
};

export const doorsOnsiteCommand: Command = {
  words: ["doors", "onsite"],
  summary: "declare staff on site until a time: after-hours openings are recorded without alerts (audited)",
  usage: onsiteUsage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      { ...configOption, until: { type: "string" }, by: { type: "string" }, reason: { type: "string" }, cancel: { type: "string" } },
      onsiteUsage,
    );
    if (positionals.length > 0) throw new UserError(`unexpected argument "${positionals[0]}"\nusage: ${onsiteUsage}`, 3);
    return withAgent(values.config, (agent, config) => {
      const now = Date.now();
      if (values.cancel !== undefined) {
        const id = Number(values.cancel);
        if (!Number.isInteger(id) || id <= 0) throw new UserError(`--cancel expects a declaration number\nusage: ${onsiteUsage}`, 3);
        if (!cancelOnsite(agent.db, id, osActor(), now)) throw new UserError(`no active on-site declaration #${id}`, 1);
        io.out(`on-site declaration #${id} cancelled`);
        return 0;
      }
      if (!values.until || !values.by || !values.reason) throw new UserError(`--until, --by and --reason are required\nusage: ${onsiteUsage}`, 3);
      try {
        const untilAt = parseUntil(values.until, now, config.timezone);
        const d = declareOnsite(agent.db, { untilAt, declaredBy: values.by, reason: values.reason, actor: osActor(), now });
        io.out(`on site until ${clock(d.untilAt, config.timezone)} (${config.timezone}, in ${compactDuration(Math.round((d.untilAt - now) / 60_000) * 60_000)}): ${d.declaredBy} — ${d.reason} [#${d.id}]`);
        io.out(`after-hours door openings until then are recorded without alerts; cancel with: gatehouse doors onsite --cancel ${d.id}`);
        return 0;
      } catch (e) {
        if (e instanceof OnsiteError) throw new UserError(e.message, 3);
        throw e;
      }
    });
  },
};

/** Every doors command, for the command table. */
export const doorsCommands: readonly Command[] = [doorsListCommand, doorsSimulateCommand, doorsOnsiteCommand];
