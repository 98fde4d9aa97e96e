/** `gatehouse baseline approve ID [--reason TEXT]` and `baseline show ID`. */
import { selectMonitors } from "../agent/agent.js";
import { UserError } from "../kit/errors.js";
import { runMonitor } from "../agent/runner.js";
import { getBaseline } from "../agent/store/baselines.js";
import { configOption, onePositional, osActor, parseCommandArgs, withAgent, type Command } from "./command.js";
import { approveBaseline } from "../agent/baseline.js";

const approveUsage = 'gatehouse baseline approve ID [--reason TEXT] [--config FILE]';
const showUsage = "gatehouse baseline show ID [--config FILE] [--json]";

export const baselineApproveCommand: Command = {
  words: ["baseline", "approve"],
  summary: "approve what a monitor observes now as its baseline (audited)",
  usage: approveUsage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { ...configOption, reason: { type: "string" } }, approveUsage);
    const id = onePositional(positionals, "monitor id", approveUsage);
    return withAgent(values.config, async (agent, config) => {
      const [setting] = selectMonitors(config, [id]);
      const before = await runMonitor(agent.runner, setting!);
      if (before.outcome !== "ok") throw new UserError(`cannot approve ${id}: ${before.error ?? "the monitor observed nothing"}`, 3);
      const facts = approveBaseline(agent.db, setting!.monitor, before.facts, { actor: osActor(), reason: values.reason ?? "" });
      const after = await runMonitor(agent.runner, setting!);
      io.out(`approved baseline for ${id} (${Object.keys(facts).length} facts); status now ${after.status}`);
      return 0;
    });
  },
};

export const baselineShowCommand: Command = {
  words: ["baseline", "show"],
  summary: "show a monitor's approved baseline",
  usage: showUsage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { ...configOption, json: { type: "boolean" } }, showUsage);
    const id = onePositional(positionals, "monitor id", showUsage);
    return withAgent(
      values.config,
      (agent) => {
        const b = getBaseline(agent.db, id);
        if (!b) {
          io.out(`no baseline approved for ${id}; run: gatehouse baseline approve ${id} --reason "…"`);
          return 1;
        }
        if (values.json) io.out(JSON.stringify({ monitor: id, approved_at: new Date(b.approvedAt).toISOString(), approved_by: b.approvedBy, reason: b.reason, facts: b.facts }, null, 2));
        else {
          io.out(`${id}: approved ${new Date(b.approvedAt).toISOString()} by ${b.approvedBy}${b.reason ? ` — ${b.reason}` : ""}`);
          for (const [k, v] of Object.entries(b.facts)) io.out(Array.isArray(v) ? `  ${k}:\n${v.map((x) => `    - ${x}`).join("\n")}` : `  ${k}: ${JSON.stringify(v)}`);
        }
        return 0;
      },
      (config) => selectMonitors(config, [id]),
    );
  },
};
