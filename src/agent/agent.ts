/**
 * Wires the agent from a loaded config: store, privileged reader, channels, runner deps.
 * Shared by `serve`, `check`, `baseline` and `notify test`.
 */
import { run } from "../kit/exec.js";
import type { GatehouseConfig, MonitorSetting } from "./config/load.js";
import { nullLogger } from "../kit/log.js";
import type { Logger } from "../kit/log.js";
import type { Channel } from "./notify/channel.js";
import { buildChannels, routesOf } from "./notify/channels.js";
import { alertPolicyOf } from "./alerts/config.js";
import type { PrivilegedReader } from "../kit/privileged.js";
import { privilegedReaderFromEnv } from "../probe/client.js";
import { runMonitor, type MonitorRun, type RunnerDeps } from "./runner.js";
import { openStore, type Db } from "./store/db.js";
import { UserError } from "../kit/errors.js";

export interface Agent {
  config: GatehouseConfig;
  db: Db;
  channels: Channel[];
  runner: RunnerDeps;
  log: Logger & { child?(b: object): Logger };
  close(): void;
}

export interface AgentOptions {
  log?: Logger & { child?(b: object): Logger };
  privileged?: PrivilegedReader;
  onEnqueued?: () => void;
}

/** The console's own URL, for links in notifications; always ends in "/" so paths append (and resolve) under it. */
export function consoleUrl(config: GatehouseConfig): string {
  if (config.console.publicUrl) return config.console.publicUrl.endsWith("/") ? config.console.publicUrl : `${config.console.publicUrl}/`;
  const scheme = config.console.tls === "off" ? "http" : "https";
  const host = config.console.listen.host.includes(":") ? `[${config.console.listen.host}]` : config.console.listen.host;
  return `${scheme}://${host === "0.0.0.0" || host === "::" ? "localhost" : host}:${config.console.listen.port}/`;
}

/** Opens the store and builds everything a command needs. */
export function openAgent(config: GatehouseConfig, opts: AgentOptions = {}): Agent {
  const db = openStore(config.dataDir);
  const channels = buildChannels(config.alerts);
  const log = opts.log ?? nullLogger;
  const runner: RunnerDeps = {
    db,
    site: config.site,
    log,
    run,
    privileged: opts.privileged ?? privilegedReaderFromEnv(),
    routes: routesOf(channels),
    consoleUrl: consoleUrl(config),
    alertPolicy: alertPolicyOf(config.alerts),
    ...(opts.onEnqueued ? { onEnqueued: opts.onEnqueued } : {}),
  };
  return {
    config,
    db,
    channels,
    runner,
    log,
    close() {
      for (const c of channels) c.close?.();
      if (db.open) db.close();
    },
  };
}

/** The configured monitors, narrowed to `ids` when given (unknown ids are a user error). */
export function selectMonitors(config: GatehouseConfig, ids: readonly string[]): MonitorSetting[] {
  if (ids.length === 0) return config.monitors;
  const byId = new Map(config.monitors.map((m) => [m.monitor.id, m]));
  return ids.map((id) => {
    const m = byId.get(id);
    if (!m) throw new UserError(`unknown or disabled monitor "${id}"; enabled: ${[...byId.keys()].join(", ") || "(none)"}`, 3);
    return m;
  });
}

/** Runs the given monitors concurrently; one failing never affects the others. */
export async function runAll(agent: Agent, settings: readonly MonitorSetting[]): Promise<MonitorRun[]> {
  return Promise.all(settings.map((s) => runMonitor(agent.runner, s)));
}
