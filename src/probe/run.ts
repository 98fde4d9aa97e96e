/** The helper's run loop, shared by the `gatehouse-probe` bin and `gatehouse probe serve`. */
import { unlink } from "node:fs/promises";
import { createLogger } from "../kit/log.js";
import { QUERY_NAMES } from "./queries.js";
import { createProbeServer, listenProbe, stopProbeServer } from "./server.js";
import { systemdNotifier } from "../kit/sd-notify.js";

/** Runs the helper until SIGTERM/SIGINT; resolves with the exit code. */
export async function runProbe(socketPath: string): Promise<number> {
  const log = createLogger().child({ component: "gatehouse-probe" });
  const server = createProbeServer({ log });
  await listenProbe(server, socketPath);
  const notifier = systemdNotifier({ log });
  await notifier.ready(`answering ${QUERY_NAMES.length} queries on ${socketPath}`);
  const stopWatchdog = notifier.startWatchdog();
  log.info({ socket: socketPath, queries: QUERY_NAMES }, "gatehouse-probe listening");
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      log.info({ signal }, "gatehouse-probe stopping");
      stopWatchdog();
      void notifier.stopping();
      void stopProbeServer(server).then(resolve);
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
  await unlink(socketPath).catch(() => undefined);
  return 0;
}

