/**
 * The daemon: scheduler, delivery worker, housekeeping (reminders, retention) and the web
 * server, with a clean stop (finish the write in hand, close the database).
 */
import { serve as serveHttp, type ServerType } from "@hono/node-server";
import { openAgent, type Agent } from "./agent.js";
import { enqueueReminders } from "./alerts/engine.js";
import type { GatehouseConfig } from "./config/load.js";
import { UserError } from "./errors.js";
import type { Logger } from "../monitors/monitor.js";
import { DeliveryWorker } from "./notify/worker.js";
import { runMonitor } from "./runner.js";
import { Scheduler } from "./scheduler.js";
import { pruneObservations } from "./store/observations.js";
import { createApp } from "../web/app.js";

export interface Daemon {
  agent: Agent;
  scheduler: Scheduler;
  worker: DeliveryWorker;
  /** The port actually bound (differs from config when it asked for 0). */
  port: number;
  stop(): Promise<void>;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

export interface DaemonOptions {
  log: Logger & { child?(b: object): Logger };
  version: string;
  /** Run every monitor once right after start instead of waiting for its first slot. */
  checkOnStart?: boolean;
}

/** Starts everything; resolves once the web server listens. */
export async function startDaemon(config: GatehouseConfig, opts: DaemonOptions): Promise<Daemon> {
  if (!LOOPBACK.has(config.console.listen.host)) {
    throw new UserError(
      `console.listen is ${config.console.listen.host}:${config.console.listen.port}, but until console login is configured Gatehouse only listens on 127.0.0.1 (set console.listen to "127.0.0.1:PORT")`,
      1,
    );
  }
  let worker: DeliveryWorker | undefined;
  const agent = openAgent(config, { log: opts.log, onEnqueued: () => worker?.kick() });
  worker = new DeliveryWorker(agent.db, { channels: agent.channels, log: opts.log });
  const scheduler = new Scheduler({ timezone: config.timezone, log: opts.log });
  for (const setting of config.monitors) {
    scheduler.add({ id: setting.monitor.id, schedule: setting.schedule, run: () => runMonitor(agent.runner, setting) });
  }
  scheduler.add({
    id: "housekeeping:reminders",
    schedule: "* * * * *",
    run: async () => {
      const n = enqueueReminders(agent.db, { site: config.site, routes: agent.runner.routes, now: Date.now(), ...(agent.runner.consoleUrl ? { consoleUrl: agent.runner.consoleUrl } : {}) }, config.alerts.renotify_after);
      if (n > 0) worker?.kick();
    },
  });
  scheduler.add({
    id: "housekeeping:retention",
    schedule: "23 * * * *",
    run: async () => {
      const pruned = pruneObservations(agent.db, Date.now() - config.retention.observationsMs);
      if (pruned > 0) opts.log.info({ pruned }, "old observations pruned");
    },
  });

  const startedAt = Date.now();
  const app = createApp({ db: agent.db, config, startedAt, version: opts.version });
  const server = await new Promise<{ server: ServerType; port: number }>((resolve, reject) => {
    const s = serveHttp({ fetch: app.fetch, hostname: config.console.listen.host, port: config.console.listen.port }, (info) =>
      resolve({ server: s, port: info.port }),
    );
    s.once("error", (e: NodeJS.ErrnoException) =>
      reject(new UserError(`cannot listen on ${config.console.listen.host}:${config.console.listen.port}: ${e.code ?? e.message}`, 1)),
    );
  }).catch((e) => {
    agent.close();
    throw e;
  });

  scheduler.start();
  worker.start();
  if (opts.checkOnStart) for (const s of config.monitors) void scheduler.runNow(s.monitor.id);
  opts.log.info({ listen: `${config.console.listen.host}:${server.port}`, monitors: config.monitors.map((m) => m.monitor.id) }, "gatehouse started");

  let stopping: Promise<void> | undefined;
  return {
    agent,
    scheduler,
    worker,
    port: server.port,
    stop() {
      stopping ??= (async () => {
        await new Promise<void>((r) => server.server.close(() => r()));
        await scheduler.stop();
        await worker!.stop();
        agent.close();
        opts.log.info({}, "gatehouse stopped");
      })();
      return stopping;
    },
  };
}
