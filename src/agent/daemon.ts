/**
 * The daemon: scheduler (monitors and housekeeping), delivery worker, door engine, event-driven
 * re-checks, the console, and sd_notify; with a clean stop that finishes the write in hand and
 * closes the database last.
 */
import type { ServerType } from "@hono/node-server";
import { openAgent, type Agent } from "./agent.js";
import type { AlertContext } from "./alerts/engine.js";
import { addAlertingJobs } from "./jobs/alerting.js";
import { reconcileChannels } from "./alerts/reconcile.js";
import { runComplianceEvaluation } from "./compliance/evaluate.js";
import { monitorControls } from "./controls/index.js";
import { runMonthlyReport } from "./compliance/monthly.js";
import { renderEvidenceReportHtml } from "../web/evidence-report.js";
import type { GatehouseConfig } from "./config/load.js";
import { pruneDoorData, startDoors } from "./doors/index.js";
import { checkOffline } from "./hosts/record.js";
import { metricsApp } from "./metrics.js";
import { DeliveryWorker } from "./notify/worker.js";
import { runMonitor } from "./runner.js";
import { Scheduler } from "./scheduler.js";
import { nightlyBackup } from "./store/backup.js";
import { databaseAnswers } from "./store/db.js";
import { holdDataDirLock } from "./store/lock.js";
import { pruneObservations } from "./store/observations.js";
import type { Logger } from "../kit/log.js";
import { systemdNotifier } from "../kit/sd-notify.js";
import { checkConsoleListen, startConsole } from "../web/server.js";

export interface Daemon {
  agent: Agent;
  scheduler: Scheduler;
  worker: DeliveryWorker;
  server: ServerType;
  /** The port actually bound. */
  port: number;
  stop(): Promise<void>;
}

export interface DaemonOptions {
  log: Logger & { child?(b: object): Logger };
  version: string;
  /** Run every monitor once right after start instead of waiting for its first slot. */
  checkOnStart?: boolean;
}

/** Starts everything; resolves once the console listens and the door inputs are up. */
export async function startDaemon(config: GatehouseConfig, opts: DaemonOptions): Promise<Daemon> {
  // Refuse a bad listen address before anything is opened.
  checkConsoleListen(config);
  const log = opts.log;
  const lock = holdDataDirLock(config.dataDir, "gatehouse serve"); // db restore refuses while held
  const agent = openAgent(config, { log, onEnqueued: () => worker.kick() });
  const worker: DeliveryWorker = new DeliveryWorker(agent.db, { channels: agent.channels, log });
  const scheduler = new Scheduler({ timezone: config.timezone, log, debounceMs: 100 });
  const alertCtx = (): AlertContext => ({
    site: config.site,
    routes: agent.runner.routes,
    now: Date.now(),
    ...(agent.runner.alertPolicy ? { policy: agent.runner.alertPolicy } : {}),
    ...(agent.runner.consoleUrl ? { consoleUrl: agent.runner.consoleUrl } : {}),
  });
  const kick = () => worker.kick();
  const stops: Array<() => unknown> = [];
  const cleanup = async () => {
    for (const s of stops.reverse()) await s();
    await scheduler.stop();
    await worker.stop();
    agent.close();
    lock.release();
  };

  try {
    for (const setting of config.monitors) {
      scheduler.add({ id: setting.monitor.id, schedule: setting.schedule, run: () => runMonitor(agent.runner, setting) });
    }
    addHousekeeping(scheduler, agent, { config, log, kick, alertCtx });

    // The console, with /metrics and the door webhook mounted outside its login.
    const consoleServer = await startConsole(config, {
      db: agent.db,
      log,
      version: opts.version,
      routes: agent.runner.routes,
      onEnqueued: kick,
      runNow: (id) => void scheduler.runNow(id),
      ...(config.console.passwordMaxAgeDays !== undefined ? { passwordMaxAgeDays: config.console.passwordMaxAgeDays } : {}),
      metrics: metricsApp({
        db: agent.db,
        controls: monitorControls(config.monitors.map((m) => m.monitor)),
        site: config.site,
        version: opts.version,
        dataDir: config.dataDir,
        ...(config.metrics.tokenFile ? { tokenFile: config.metrics.tokenFile } : {}),
      }),
    });
    stops.push(() => new Promise<void>((r) => consoleServer.server.close(() => r())));
    scheduler.add({ id: "console:housekeeping", schedule: "*/5 * * * *", run: async () => consoleServer.housekeeping() });

    if (config.doors.sensors.length > 0) {
      const doors = await startDoors({
        db: agent.db,
        config,
        routes: agent.runner.routes,
        log,
        onEnqueued: kick,
        ...(agent.runner.consoleUrl ? { consoleUrl: agent.runner.consoleUrl } : {}),
        ...(agent.runner.alertPolicy ? { policy: agent.runner.alertPolicy } : {}),
      });
      consoleServer.mountDoorWebhook(doors.webhook);
      stops.push(() => doors.stop().catch((e: unknown) => log.warn({ err: String(e) }, "door inputs did not stop cleanly")));
      log.info({ sensors: config.doors.sensors.map((s) => s.id) }, "door engine started");
    }

    // Event-driven re-checks (the firewall's `nft monitor`, through gatehouse-probe under the units); polling stays the safety net.
    for (const s of config.monitors) {
      const w = s.monitor.watch?.({ privileged: agent.runner.privileged, log }, s.config, () => scheduler.trigger(s.monitor.id));
      if (w) stops.push(() => w.stop());
    }

    // Alerts still firing that a newly configured channel never had: queue them for it once.
    reconcileChannels(agent.db, alertCtx());
    scheduler.start();
    worker.start();
    if (opts.checkOnStart) for (const s of config.monitors) void scheduler.runNow(s.monitor.id);
    void scheduler.runNow("compliance:daily");
    log.info({ listen: `${config.console.listen.host}:${consoleServer.port}`, monitors: config.monitors.map((m) => m.monitor.id) }, "gatehouse started");

    // Last, so READY=1 means everything above is up; WATCHDOG=1 while the database answers.
    const notifier = systemdNotifier({ log });
    const stopWatchdog = notifier.startWatchdog(() => databaseAnswers(agent.db));
    stops.unshift(() => stopWatchdog());
    void notifier.ready(`listening on ${config.console.listen.host}:${consoleServer.port}`);

    let stopping: Promise<void> | undefined;
    return {
      agent,
      scheduler,
      worker,
      server: consoleServer.server,
      port: consoleServer.port,
      stop() {
        stopping ??= cleanup().then(() => log.info({}, "gatehouse stopped"));
        return stopping;
      },
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/** Jobs that keep the data and the alerts in shape, besides the monitors. */
function addHousekeeping(
  scheduler: Scheduler,
  agent: Agent,
  d: { config: GatehouseConfig; log: Logger; kick: () => void; alertCtx: () => AlertContext },
): void {
  const { config, log, kick, alertCtx } = d;
  addAlertingJobs(scheduler, { db: agent.db, config, routes: agent.runner.routes, ...(agent.runner.consoleUrl ? { consoleUrl: agent.runner.consoleUrl } : {}), log, kick });
  scheduler.add({
    id: "retention:observations",
    schedule: "23 * * * *",
    run: async () => {
      const pruned = pruneObservations(agent.db, Date.now() - config.retention.observationsMs);
      if (pruned > 0) log.info({ pruned }, "old observations pruned");
    },
  });
  scheduler.add({
    id: "retention:door-events",
    schedule: "41 * * * *",
    run: async () => {
      const pruned = pruneDoorData(agent.db, Date.now(), config.retention.doorEventsMs);
      if (pruned > 0) log.info({ pruned }, "old door events pruned");
    },
  });
  // Registers (BAAs, training, restore tests…) turn into alerts once a day; the monthly evidence
  // report is built on the first run of a new month and mailed to managers.
  scheduler.add({
    id: "compliance:daily",
    schedule: "5 6 * * *",
    run: async () => {
      if (runComplianceEvaluation(agent.db, alertCtx(), { timezone: config.timezone }).outboxIds.length > 0) kick();
      const monthly = runMonthlyReport(agent.db, alertCtx(), { dataDir: config.dataDir, timezone: config.timezone, monitors: config.monitors.map((m) => m.monitor), render: renderEvidenceReportHtml, log, onLate: kick });
      if (monthly) kick();
    },
  });
  // Office computers (osquery): one that stops checking in raises an alert, like an offline door sensor.
  const hosts = config.hosts;
  if (hosts) {
    scheduler.add({
      id: "hosts:checkin",
      schedule: "* * * * *",
      run: async () => {
        if (checkOffline(agent.db, alertCtx(), hosts).some((r) => r.outboxIds.length > 0)) kick();
      },
    });
  }
  scheduler.add({
    id: "ops:db-backup",
    schedule: "17 3 * * *",
    run: async () => {
      const r = await nightlyBackup(agent.db, config.dataDir, { keep: 7, timezone: config.timezone });
      log.info({ file: r.backup.file, bytes: r.backup.bytes, removed: r.removed.length }, "nightly database copy written");
    },
  });
}
