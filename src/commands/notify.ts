/** `gatehouse notify test`: send a test notification through every channel and report each. */
import { openAgent } from "../agent/agent.js";
import type { Notification } from "../agent/alerts/notification.js";
import { configOption, loadConfigFrom, parseCommandArgs, type Command } from "./command.js";

const usage = "gatehouse notify test [--config FILE]";

export const notifyTestCommand: Command = {
  words: ["notify", "test"],
  summary: "send a test alert through every configured channel",
  usage,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, configOption, usage);
    const config = loadConfigFrom(values.config);
    const agent = openAgent(config);
    try {
      if (agent.channels.length === 0) {
        io.out("no notification channels are configured (see alerts.email in the config)");
        return 1;
      }
      const n: Notification = {
        event: "test",
        site: config.site,
        at: Date.now(),
        items: [{ alertId: null, severity: "info", source: "gatehouse", rule: "gatehouse.test", subject: "", message: "test notification", since: Date.now() }],
      };
      let failed = 0;
      for (const ch of agent.channels) {
        const ac = new AbortController();
        try {
          await ch.send({ id: 0, messageId: `<test-${Date.now()}-${ch.name}@gatehouse>`, notification: n }, ac.signal);
          io.out(`${ch.name}: sent`);
        } catch (e) {
          failed++;
          io.out(`${ch.name}: FAILED: ${(e as Error).message}`);
        }
      }
      return failed > 0 ? 2 : 0;
    } finally {
      agent.close();
    }
  },
};
