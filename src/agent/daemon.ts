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
import { spawnLines } from "./exec.js";
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
  // --- console: begin
  // Console login exists, so any listen address is allowed, but plain HTTP only on loopback:
  // checked before anything is opened. Imported here so every console line stays in this block.
  (await import("../web/server.js")).checkConsoleListen(config);
  // --- console: end
  let worker: DeliveryWorker | undefined;
  const agent = openAgent(config, { log: opts.log, onEnqueued: () => worker?.kick() });
  worker = new DeliveryWorker(agent.db, { channels: agent.channels, log: opts.log });
  const scheduler = new Scheduler({ timezone: config.timezone, log: opts.log, debounceMs: 100 });
  for (const setting of config.monitors) {
    scheduler.add({ id: setting.monitor.id, schedule: setting.schedule, run: () => runMonitor(agent.runner, setting) });
  }
  scheduler.add({
    id: "housekeeping:reminders",
    schedule: "* * * * *",
    run: async () => {
      const n = enqueueReminders(
        agent.db,
        { site: config.site, routes: agent.runner.routes, now: Date.now(), policy: agent.runner.alertPolicy!, ...(agent.runner.consoleUrl ? { consoleUrl: agent.runner.consoleUrl } : {}) },
        config.alerts.renotify_after,
      );
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
  // --- alerting: begin
  // Flap window, group wait and renotify from the config for every monitor (and door) run; a
  // minute tick that settles flap windows, queues the daily digest and pings the heartbeat,
  // registered on the scheduler so scheduler.stop() ends it. Imported here so that every
  // alerting line of this file stays inside this block.
  {
    const { alertPolicyOf } = await import("./alerts/config.js");
    const { addAlertingJobs } = await import("./alerts/jobs.js");
    agent.runner.alertPolicy = alertPolicyOf(config.alerts);
    addAlertingJobs(scheduler, {
      db: agent.db,
      config,
      routes: agent.runner.routes,
      ...(agent.runner.consoleUrl ? { consoleUrl: agent.runner.consoleUrl } : {}),
      log: opts.log,
      kick: () => worker?.kick(),
    });
  }
  // --- alerting: end

  // --- console: begin
  // The web console (src/web/server.ts): HTTPS by default (self-signed on first start), the
  // first-admin setup link when no user exists, and cleanup of expired sessions.
  const server = await (async () => {
    const { startConsole } = await import("../web/server.js");
    const c = await startConsole(config, {
      db: agent.db,
      log: opts.log,
      version: opts.version,
      routes: agent.runner.routes,
      onEnqueued: () => worker?.kick(),
      runNow: (id) => void scheduler.runNow(id),
    });
    scheduler.add({ id: "console:housekeeping", schedule: "*/5 * * * *", run: async () => c.housekeeping() });
    return c;
  })().catch((e) => {
    agent.close();
    throw e;
  });
  // --- console: end

  // Event-driven re-checks (the firewall's `nft monitor`); polling stays the safety net.
  const watches = config.monitors.flatMap((s) => {
    const w = s.monitor.watch?.({ spawnLines, log: opts.log }, s.config, () => scheduler.trigger(s.monitor.id));
    return w ? [w] : [];
  });
  scheduler.start();
  worker.start();
  if (opts.checkOnStart) for (const s of config.monitors) void scheduler.runNow(s.monitor.id);
  opts.log.info({ listen: `${config.console.listen.host}:${server.port}`, monitors: config.monitors.map((m) => m.monitor.id) }, "gatehouse started");
  // --- doors: begin
  // The door engine and its inputs (MQTT, GPIO; the webhook sub-app is mounted by the console),
  // door-event retention, and a kick of the delivery worker when a door alert is queued. Stopped
  // as soon as the HTTP server closes, i.e. first thing in stop(), before the database closes.
  {
    const { startDoors, pruneDoorData } = await import("./doors/index.js");
    if (config.doors.sensors.length > 0) {
      const doors = await startDoors({
        db: agent.db,
        config,
        routes: agent.runner.routes,
        log: opts.log,
        onEnqueued: () => worker?.kick(),
        ...(agent.runner.consoleUrl ? { consoleUrl: agent.runner.consoleUrl } : {}),
        ...(agent.runner.alertPolicy ? { policy: agent.runner.alertPolicy } : {}),
      }).catch(async (e: unknown) => {
        // An unusable doors setup (mqtt section missing, unreadable webhook secret) refuses the start.
        await new Promise<void>((r) => server.server.close(() => r()));
        for (const w of watches) w.stop();
        await scheduler.stop();
        await worker!.stop();
        agent.close();
        throw e;
      });
      server.server.once("close", () => void doors.stop().catch((e: unknown) => opts.log.warn({ err: String(e) }, "door inputs did not stop cleanly")));
      opts.log.info({ sensors: config.doors.sensors.map((s) => s.id) }, "door engine started");
    }
    scheduler.add({
      id: "housekeeping:door-retention",
      schedule: "41 * * * *",
      run: async () => {
        const pruned = pruneDoorData(agent.db, Date.now(), config.retention.doorEventsMs);
        if (pruned > 0) opts.log.info({ pruned }, "old door events pruned");
      },
    });
  }
  // --- doors: end
  // --- ops: begin
  // Last of the start-up blocks, so READY=1 means everything above is up.
  // Nightly rotated copy of the database in <data_dir>/backups (7 kept), and sd_notify for
  // Type=notify: READY=1 once listening, WATCHDOG=1 while the event loop and the database answer.
  // Imported here so that every ops line of this file stays inside this block.
  {
    const { nightlyBackup } = await import("./store/backup.js");
    const { systemdNotifier } = await import("../probe/sd-notify.js");
    scheduler.add({
      id: "ops:db-backup",
      schedule: "17 3 * * *",
      run: async () => {
        const r = await nightlyBackup(agent.db, config.dataDir, { keep: 7, timezone: config.timezone });
        opts.log.info({ file: r.backup.file, bytes: r.backup.bytes, removed: r.removed.length }, "nightly database copy written");
      },
    });
    const notifier = systemdNotifier({ log: opts.log });
    const stopWatchdog = notifier.startWatchdog(() => {
      if (!agent.db.open) {
        stopWatchdog(); // stopped: let systemd's stop timeout, not the watchdog, judge us
        return false;
      }
      return agent.db.prepare("SELECT 1").pluck().get() === 1;
    });
    void notifier.ready(`listening on ${config.console.listen.host}:${server.port}`);
  }
  // --- ops: end

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
