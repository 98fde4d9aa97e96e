/** `gatehouse serve`: the daemon. SIGTERM/SIGINT stop it cleanly. */
import { startDaemon } from "../agent/daemon.js";
import { createLogger } from "../agent/log.js";
import { configOption, loadConfigFrom, parseCommandArgs, type Command } from "./command.js";
import { VERSION } from "../version.js";

const usage = "gatehouse serve [--config FILE]";

export const serveCommand: Command = {
  words: ["serve"],
  summary: "run the daemon: scheduler, alerting, web console",
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(argv, configOption, usage);
    const config = loadConfigFrom(values.config);
    const log = createLogger();
    const daemon = await startDaemon(config, { log, version: VERSION, checkOnStart: true });
    await new Promise<void>((resolve) => {
      const onSignal = (sig: NodeJS.Signals) => {
        log.info({ signal: sig }, "stopping");
        daemon.stop().then(resolve, resolve);
      };
      process.once("SIGTERM", onSignal);
      process.once("SIGINT", onSignal);
    });
    return 0;
  },
};
