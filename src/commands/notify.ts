/**
 * `gatehouse notify test`: send a test notification through every channel (and ping the
 * heartbeat) and report each result. `gatehouse notify status`: what is queued, what failed.
 */
import { listNotices } from "../agent/alerts/manage.js";
import type { Notification } from "../agent/alerts/notification.js";
import { lastHeartbeat, pingHeartbeat } from "../agent/notify/heartbeat.js";
import { utcText } from "../kit/format.js";
import { configOption, parseCommandArgs, withAgent, withStore, type Command } from "./command.js";

const usage = "gatehouse notify test [--config FILE]";

/** `gatehouse notify test`. */
export const notifyTestCommand: Command = {
  words: ["notify", "test"],
  summary: "send a test alert through every configured channel",
  usage,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, configOption, usage);
    return withAgent(values.config, async (agent, config) => {
      const hb = config.alerts.heartbeat;
      if (agent.channels.length === 0 && !hb) {
        io.out("no notification channels are configured (see alerts.email, alerts.webhook, alerts.syslog in the config)");
        return 1;
      }
      const now = Date.now();
      const n: Notification = {
        event: "test",
        site: config.site,
        at: now,
        items: [{ alertId: null, severity: "info", source: "gatehouse", rule: "gatehouse.test", subject: "", message: "test notification", since: now }],
      };
      let failed = 0;
      for (const ch of agent.channels) {
        try {
          await ch.send({ id: 0, messageId: `<test-${now}-${ch.name}@gatehouse>`, notification: n }, AbortSignal.timeout(120_000));
          io.out(`${ch.name} (${ch.kind}): sent`);
        } catch (e) {
          failed++;
          io.out(`${ch.name} (${ch.kind}): FAILED: ${(e as Error).message}`);
        }
      }
      if (hb) {
        const r = await pingHeartbeat(hb, { now });
        if (!r.ok) failed++;
        io.out(`heartbeat: ${r.ok ? `ok (HTTP ${r.status})` : `FAILED: ${r.error}`}`);
      }
      return failed > 0 ? 2 : 0;
    });
  },
};

const statusUsage = "gatehouse notify status [--json] [--config FILE]";

/** `gatehouse notify status`: pending notices with their last error, and the last heartbeat. */
export const notifyStatusCommand: Command = {
  words: ["notify", "status"],
  summary: "show queued notifications, delivery errors and the last heartbeat",
  usage: statusUsage,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { ...configOption, json: { type: "boolean" } }, statusUsage);
    return withStore(values.config, (db) => {
      const pending = listNotices(db, { pending: true });
      const hb = lastHeartbeat(db);
      if (values.json) {
        io.out(JSON.stringify({ pending, heartbeat: hb ?? null }, null, 2));
      } else {
        io.out(pending.length ? `${pending.length} notice(s) waiting:` : "nothing waiting: every notice was accepted by its peer");
        for (const p of pending) {
          io.out(`  #${p.id} ${p.event} → ${p.channel}, ${p.attempts} attempt(s), next ${utcText(p.nextAttemptAt)}${p.lastError ? `: ${p.lastError}` : ""}`);
        }
        if (hb) io.out(`heartbeat: last ${utcText(hb.at)} ${hb.ok ? "ok" : `FAILED: ${hb.error}`}`);
      }
      return pending.some((p) => p.attempts > 0) ? 1 : 0;
    });
  },
};
