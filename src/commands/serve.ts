/**
 * `gatehouse serve`: the daemon. SIGTERM/SIGINT stop it cleanly; SIGHUP (`systemctl reload`)
 * re-reads the config and restarts the daemon's parts in place with it. An invalid new config
 * is refused with its reasons in the log and the running daemon keeps the old one.
 */
import { ConfigError } from "../kit/config-errors.js";
import type { GatehouseConfig } from "../agent/config/load.js";
import { startDaemon, type Daemon } from "../agent/daemon.js";
import { describeError, UserError } from "../kit/errors.js";
import { createLogger } from "../kit/log.js";
import { configOption, loadConfigFrom, parseCommandArgs, type Command } from "./command.js";
import { VERSION } from "../version.js";

const usage = "gatehouse serve [--config FILE]";

/** sysexits' EX_CONFIG: systemd shows it as status=78/CONFIG and the unit does not restart on it. */
export const EXIT_CONFIG = 78;

function load(flag: string | undefined): GatehouseConfig {
  try {
    return loadConfigFrom(flag);
  } catch (e) {
    if (e instanceof ConfigError) throw new UserError(describeError(e), EXIT_CONFIG);
    throw e;
  }
}

export const serveCommand: Command = {
  words: ["serve"],
  summary: "run the daemon: scheduler, alerting, web console",
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(argv, configOption, usage);
    let config = load(values.config);
    const log = createLogger();
    let daemon: Daemon = await startDaemon(config, { log, version: VERSION, checkOnStart: true });

    // Signals are handled one at a time: a reload finishes before a stop begins.
    let busy: Promise<void> = Promise.resolve();
    const reload = async () => {
      let next: GatehouseConfig;
      try {
        next = loadConfigFrom(values.config);
      } catch (e) {
        log.error({ reason: describeError(e) }, "reload refused: the new configuration is invalid; still running with the previous one");
        return;
      }
      log.info({}, "reloading the configuration");
      await daemon.stop();
      try {
        daemon = await startDaemon(next, { log, version: VERSION, checkOnStart: true });
        config = next;
        log.info({}, "configuration reloaded");
      } catch (e) {
        log.error({ reason: describeError(e) }, "the new configuration could not start; restarting with the previous one");
        daemon = await startDaemon(config, { log, version: VERSION, checkOnStart: false });
      }
    };
    process.on("SIGHUP", () => {
      busy = busy.then(reload, reload);
    });
    await new Promise<void>((resolve) => {
      const onSignal = (sig: NodeJS.Signals) => {
        log.info({ signal: sig }, "stopping");
        busy.then(() => daemon.stop()).then(resolve, resolve);
      };
      process.once("SIGTERM", onSignal);
      process.once("SIGINT", onSignal);
    });
    return 0;
  },
};
