/**
 * Loads gatehouse.yaml once at start-up: YAML syntax, the agent's own keys, then each owner's
 * section (every monitor, alerts, doors, mqtt). All problems are collected and reported together,
 * each naming its key path and line.
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { isMap, isScalar, LineCounter, parseDocument, type Node } from "yaml";
import { z } from "zod";
import { monitorRegistry, MONITORS } from "../../monitors/index.js";
import type { Monitor, SiteContext } from "../../monitors/monitor.js";
import { parseAlertsConfig, type AlertsConfig } from "../alerts/config.js";
import { inputKind, parseDoorsConfig, parseMqttConfig, type DoorsConfig, type MqttConfig } from "../doors/config.js";
import { mqttRoutes } from "../doors/mqtt-routes.js";
import { parseHostsConfig, type HostsConfig } from "../hosts/config.js";
import { ConfigError, type ConfigIssue, type KeyPath } from "../../kit/config-errors.js";
import { duration, parseWith, secretFile } from "../../kit/config-schema.js";
import { DAY_MS, isTimeZone } from "../../kit/time.js";
import { cronProblem } from "../scheduler.js";

export const DEFAULT_CONFIG_PATH = "/etc/gatehouse/gatehouse.yaml";

/** --config, else $GATEHOUSE_CONFIG, else /etc/gatehouse/gatehouse.yaml. */
export function resolveConfigPath(flag: string | undefined, env = process.env): string {
  return resolve(flag ?? env.GATEHOUSE_CONFIG ?? DEFAULT_CONFIG_PATH);
}

export interface ListenAddress {
  host: string;
  port: number;
}

export interface MonitorSetting<C = unknown> {
  monitor: Monitor<C>;
  schedule: string;
  config: C;
}

export interface GatehouseConfig {
  /** Absolute path of the file this came from (relative paths in it resolve against its folder). */
  file: string;
  site: string;
  timezone: string;
  dataDir: string;
  console: { listen: ListenAddress; tls: "auto" | "off" | { cert: string; key: string }; publicUrl?: string; passwordMaxAgeDays?: number };
  retention: { observationsMs: number; doorEventsMs: number };
  metrics: { tokenFile?: string };
  monitors: MonitorSetting[];
  alerts: AlertsConfig;
  doors: DoorsConfig;
  mqtt: MqttConfig | undefined;
  /** Office computers reporting through osquery (src/agent/hosts); undefined = off. */
  hosts: HostsConfig | undefined;
}

const listen = () =>
  z.string().transform((s, ctx) => {
    const m = /^(\[[0-9a-fA-F:.]+\]|[0-9A-Za-z.-]+):(\d{1,5})$/.exec(s);
    const port = m ? Number(m[2]) : NaN;
    if (!m || port < 1 || port > 65535) {
      ctx.addIssue({ code: "custom", message: `expected host:port such as 127.0.0.1:8443, got "${s}"` });
      return z.NEVER;
    }
    return { host: m[1]!.replace(/^\[|\]$/g, ""), port };
  });

const timezone = () => z.string().refine(isTimeZone, { message: "expected an IANA time zone such as America/Phoenix" });

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

const coreSchema = z.strictObject({
  site: z.string().min(1).max(200),
  timezone: timezone().default("UTC"),
  data_dir: z.string().min(1).default("/var/lib/gatehouse"),
  console: z
    .strictObject({
      listen: listen().default({ host: "127.0.0.1", port: 8443 }),
      tls: z
        .union([z.enum(["auto", "off"]), z.strictObject({ cert: z.string().min(1), key: z.string().min(1) })])
        .default("auto"),
      public_url: z.url().optional(),
      /** Force a password change at the next login once a password is this old (HIPAA password policy). */
      password_max_age_days: z.number().int().min(1).max(3650).optional(),
    })
    .superRefine((c, ctx) => {
      // Plain HTTP carries passwords and session cookies: only on a loopback address.
      if (c.tls === "off" && !LOOPBACK.has(c.listen.host)) {
        ctx.addIssue({
          code: "custom",
          path: ["tls"],
          message: `off is allowed only with console.listen on a loopback address (127.0.0.1, ::1), not ${c.listen.host}: use tls: auto (a self-signed certificate is made on first start) or tls: { cert, key }`,
        });
      }
    })
    .default({ listen: { host: "127.0.0.1", port: 8443 }, tls: "auto" }),
  retention: z
    .strictObject({ observations: duration().default(90 * DAY_MS), door_events: duration().default(400 * DAY_MS) })
    .default({ observations: 90 * DAY_MS, door_events: 400 * DAY_MS }),
  /** GET /metrics answers loopback callers, and others that present the token in this file. */
  metrics: z.strictObject({ token_file: secretFile().optional() }).default({}),
  monitors: z.record(z.string(), z.unknown()).nullable().default({}),
  alerts: z.unknown().optional(),
  doors: z.unknown().optional(),
  mqtt: z.unknown().optional(),
  hosts: z.unknown().optional(),
});

/** A cron expression the scheduler can run, checked by the scheduler's own rule (`cronProblem`). */
export const cronExpression = () =>
  z.string().superRefine((s, ctx) => {
    const problem = cronProblem(s);
    if (problem) ctx.addIssue({ code: "custom", message: `expected a cron expression like "*/5 * * * *": ${problem}` });
  });

const monitorCommon = z.looseObject({ schedule: cronExpression().optional(), enabled: z.boolean().optional() });

/** Reads, parses and validates a config file. Throws ConfigError with every issue found. */
export function loadConfig(file: string): GatehouseConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ConfigError([{ path: [], message: `cannot read config file ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}` }]);
  }
  return parseConfigText(text, resolve(file));
}

/** Parses config text; `file` is used for messages and to resolve relative paths. */
export function parseConfigText(text: string, file: string, monitors: readonly Monitor<any>[] = MONITORS): GatehouseConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => ({ path: [], line: lines.linePos(e.pos[0]).line, message: `YAML syntax: ${e.message.split("\n")[0]}` })),
    );
  }
  const lineOf = (path: KeyPath) => lineOfPath(doc.contents, path, lines);
  const raw: unknown = doc.toJS({ maxAliasCount: 100 });
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError([{ path: [], line: 1, message: "expected a mapping of keys (site, timezone, monitors, …)" }]);
  }

  const issues: ConfigIssue[] = [];
  const collect = <T>(path: KeyPath, f: () => T): T | undefined => {
    try {
      return f();
    } catch (e) {
      if (e instanceof ConfigError) issues.push(...e.under(path).withLines(lineOf).issues);
      else throw e;
      return undefined;
    }
  };

  const core = collect([], () => parseWith(coreSchema, raw));
  const registry = monitorRegistry(monitors);
  const settings: MonitorSetting[] = [];
  const rawMonitors = (raw as Record<string, unknown>).monitors;
  const monitorsRaw = (rawMonitors && typeof rawMonitors === "object" && !Array.isArray(rawMonitors) ? rawMonitors : {}) as Record<string, unknown>;
  for (const key of Object.keys(monitorsRaw)) {
    if (!registry.has(key)) {
      issues.push({ path: ["monitors", key], line: lineOf(["monitors", key]), message: `unknown monitor; known: ${[...registry.keys()].join(", ")}` });
    }
  }
  for (const monitor of registry.values()) {
    const present = Object.hasOwn(monitorsRaw, monitor.id);
    const value = monitorsRaw[monitor.id];
    if (!present && !monitor.enabledByDefault) continue;
    // A list (e.g. backup sets) is the monitor's own config with no common keys beside it.
    const common = Array.isArray(value) ? undefined : collect(["monitors", monitor.id], () => parseWith(monitorCommon.optional().nullable(), value));
    if (common?.enabled === false) continue;
    const own = value && typeof value === "object" && !Array.isArray(value) ? { ...(value as Record<string, unknown>) } : value;
    if (own && typeof own === "object" && !Array.isArray(own)) {
      delete (own as Record<string, unknown>).schedule;
      delete (own as Record<string, unknown>).enabled;
    }
    const config = collect(["monitors", monitor.id], () => monitor.parseConfig(own === null ? undefined : own));
    if (config !== undefined || issues.length === 0) {
      settings.push({ monitor, schedule: common?.schedule ?? monitor.defaultSchedule, config });
    }
  }
  // Sections are validated from the raw document so their errors show even when core keys fail.
  const sections = raw as Record<string, unknown>;
  const alerts = collect(["alerts"], () => parseAlertsConfig(sections.alerts));
  const doors = collect(["doors"], () => parseDoorsConfig(sections.doors));
  const mqtt = collect(["mqtt"], () => parseMqttConfig(sections.mqtt));
  if (doors) issues.push(...doorsWiring(doors, mqtt, sections.mqtt !== undefined).map((i) => ({ ...i, line: lineOf(i.path) })));
  const hosts = collect(["hosts"], () => parseHostsConfig(sections.hosts));

  if (issues.length > 0) throw new ConfigError(issues);
  if (!core || !alerts || !doors) throw new Error("config sections parsed without issues but produced no value");
  const base = dirname(file);
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const site: SiteContext = {
    dataDir: abs(core.data_dir),
    storagePaths: settings.flatMap((m) => m.monitor.storagePaths?.(m.config) ?? []),
  };
  const completed = settings.map((m) => (m.monitor.withSite ? { ...m, config: m.monitor.withSite(m.config, site) } : m));
  const tls = core.console.tls;
  return {
    file,
    site: core.site,
    timezone: core.timezone,
    dataDir: site.dataDir,
    console: {
      listen: core.console.listen,
      tls: typeof tls === "string" ? tls : { cert: abs(tls.cert), key: abs(tls.key) },
      ...(core.console.public_url ? { publicUrl: core.console.public_url } : {}),
      ...(core.console.password_max_age_days ? { passwordMaxAgeDays: core.console.password_max_age_days } : {}),
    },
    retention: { observationsMs: core.retention.observations, doorEventsMs: core.retention.door_events },
    metrics: core.metrics.token_file ? { tokenFile: core.metrics.token_file } : {},
    monitors: completed,
    alerts,
    doors,
    mqtt,
    hosts,
  };
}

/**
 * What no single section's schema can see: an mqtt sensor needs the top-level mqtt section, and
 * no two sensors may listen on one topic (the door inputs' own routing decides that).
 */
function doorsWiring(doors: DoorsConfig, mqtt: MqttConfig | undefined, mqttPresent: boolean): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  doors.sensors.forEach((s, i) => {
    if (inputKind(s) === "mqtt" && !mqtt && !mqttPresent) {
      issues.push({ path: ["doors", "sensors", i, "input", "mqtt"], message: `sensor ${s.id} uses an mqtt input, but the config has no top-level mqtt section (url, username, password_file)` });
    }
  });
  try {
    mqttRoutes(doors.sensors);
  } catch (e) {
    issues.push({ path: ["doors", "sensors"], message: (e as Error).message });
  }
  return issues;
}

/** The line of the deepest node that exists along `path` (1-based), for error messages. */
function lineOfPath(root: Node | null, path: KeyPath, lines: LineCounter): number | undefined {
  let node: unknown = root;
  let best: number | undefined;
  const lineAt = (n: unknown) => {
    const range = (n as { range?: [number, number, number] } | null)?.range;
    return range ? lines.linePos(range[0]).line : undefined;
  };
  best = lineAt(node);
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
      if (!pair) break;
      best = lineAt(pair.key) ?? best;
      node = pair.value;
      if (isScalar(node)) break;
    } else if (node && typeof node === "object" && "items" in node && typeof key === "number") {
      const item = (node as { items: unknown[] }).items[key];
      if (!item) break;
      best = lineAt(item) ?? best;
      node = item;
    } else break;
  }
  return best;
}
