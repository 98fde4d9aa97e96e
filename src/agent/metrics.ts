/**
 * GET /metrics in the Prometheus text format (prom-client), for fleets that already run
 * Prometheus. Every figure is read from the store at scrape time, so it is right whichever
 * process wrote it, plus the standard process metrics of this process.
 *
 * Access: without a `tokenFile`, loopback callers only. With one, every caller must present
 * `Authorization: Bearer <token>` (read once, at start-up), loopback included: behind a local
 * reverse proxy every request looks local. Mounted by the web app (src/web).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { Hono, type Context } from "hono";
import type { Registry } from "prom-client";
import type { Db } from "./store/db.js";
import { firingAlertCount, openAlertCounts } from "./store/alerts.js";
import { listNightlyBackups } from "./store/backup.js";
import { listDoorStates } from "./store/doors.js";
import { latestPerSource } from "./store/observation-log.js";
import { failingNoticesByChannel, oldestPendingNoticeAt, pendingNoticesByChannel } from "./store/outbox.js";

export interface MetricsDeps {
  db: Db;
  /** Monitor id → control id, from the loaded config (config.monitors). */
  controls?: ReadonlyMap<string, string>;
  site?: string;
  version?: string;
  /** Data dir, for the age of the newest nightly backup. */
  dataDir?: string;
  /** File holding the bearer token that lets non-loopback scrapers in. */
  tokenFile?: string;
  /** Include node's process metrics (default true). */
  processMetrics?: boolean;
  now?: () => number;
}

const STATUSES = ["pass", "warn", "fail", "unknown"] as const;
const RANK: Record<string, number> = { pass: 0, warn: 1, unknown: 2, fail: 3 };
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

/**
 * Builds the registry with every Gatehouse metric; exported for tests and other exporters.
 * prom-client is loaded here, at the first scrape: a box nobody scrapes pays neither its memory
 * nor its process collectors' timers.
 */
export async function createMetricsRegistry(deps: MetricsDeps): Promise<Registry> {
  const { collectDefaultMetrics, Gauge, Registry } = await import("prom-client");
  const { db } = deps;
  const now = deps.now ?? Date.now;
  const registry = new Registry();
  if (deps.processMetrics ?? true) {
    collectDefaultMetrics({ register: registry });
    // prom-client names three gauges `*_total`, which Prometheus reserves for counters
    // (`promtool check metrics` fails on them); the same figures stay, broken down by type,
    // in nodejs_active_handles, nodejs_active_requests and nodejs_active_resources.
    for (const n of ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"]) registry.removeSingleMetric(n);
  }

  new Gauge({
    name: "gatehouse_info",
    help: "Gatehouse build and site (always 1).",
    labelNames: ["version", "site"],
    registers: [registry],
    collect() {
      this.reset();
      this.set({ version: deps.version ?? "unknown", site: deps.site ?? "" }, 1);
    },
  });

  // Latest observation of each monitor, shared by the gauges below within one scrape.
  const latest = () => latestPerSource(db);
  const controlOf = (m: string) => deps.controls?.get(m) ?? "";

  new Gauge({
    name: "gatehouse_monitor_status",
    help: "Status of each monitor's latest check: 1 for the current status, 0 for the others.",
    labelNames: ["monitor", "control", "status"],
    registers: [registry],
    collect() {
      this.reset();
      for (const r of latest()) for (const s of STATUSES) this.set({ monitor: r.monitor, control: controlOf(r.monitor), status: s }, r.status === s ? 1 : 0);
    },
  });
  new Gauge({
    name: "gatehouse_monitor_probe_success",
    help: "1 when the monitor's latest probe ran (or found the thing not applicable), 0 when it errored.",
    labelNames: ["monitor"],
    registers: [registry],
    collect() {
      this.reset();
      for (const r of latest()) this.set({ monitor: r.monitor }, r.outcome === "error" ? 0 : 1);
    },
  });
  new Gauge({
    name: "gatehouse_monitor_check_duration_seconds",
    help: "Duration of each monitor's latest check.",
    labelNames: ["monitor"],
    registers: [registry],
    collect() {
      this.reset();
      for (const r of latest()) this.set({ monitor: r.monitor }, r.duration_ms / 1000);
    },
  });
  new Gauge({
    name: "gatehouse_monitor_last_check_timestamp_seconds",
    help: "Unix time of each monitor's latest check.",
    labelNames: ["monitor"],
    registers: [registry],
    collect() {
      this.reset();
      for (const r of latest()) this.set({ monitor: r.monitor }, r.started_at / 1000);
    },
  });
  new Gauge({
    name: "gatehouse_control_status",
    help: "Worst status over the monitors of each checklist control: 1 for the current status, 0 for the others.",
    labelNames: ["control", "status"],
    registers: [registry],
    collect() {
      this.reset();
      const worst = new Map<string, string>();
      for (const r of latest()) {
        const c = controlOf(r.monitor);
        if (!c) continue;
        const prev = worst.get(c);
        if (prev === undefined || (RANK[r.status] ?? 2) > (RANK[prev] ?? 2)) worst.set(c, r.status);
      }
      for (const [control, status] of worst) for (const s of STATUSES) this.set({ control, status: s }, status === s ? 1 : 0);
    },
  });

  new Gauge({
    name: "gatehouse_alerts",
    help: "Open alerts by state (firing, acknowledged), severity and source.",
    labelNames: ["state", "severity", "source"],
    registers: [registry],
    collect() {
      this.reset();
      for (const r of openAlertCounts(db)) this.set({ state: r.state, severity: r.severity, source: r.source }, r.n);
    },
  });
  new Gauge({
    name: "gatehouse_alerts_firing",
    help: "Alerts firing and not acknowledged.",
    registers: [registry],
    collect() {
      this.set(firingAlertCount(db));
    },
  });

  new Gauge({
    name: "gatehouse_outbox_pending_messages",
    help: "Notifications written to the outbox and not yet delivered, by channel (rows folded into a grouped message count as that message).",
    labelNames: ["channel"],
    registers: [registry],
    collect() {
      this.reset();
      for (const r of pendingNoticesByChannel(db)) this.set({ channel: r.channel }, r.n);
    },
  });
  new Gauge({
    name: "gatehouse_outbox_failed_attempts_messages",
    help: "Undelivered notifications that have failed at least one delivery attempt, by channel.",
    labelNames: ["channel"],
    registers: [registry],
    collect() {
      this.reset();
      for (const r of failingNoticesByChannel(db)) this.set({ channel: r.channel }, r.n);
    },
  });
  new Gauge({
    name: "gatehouse_outbox_oldest_pending_age_seconds",
    help: "Age of the oldest undelivered notification (0 when none).",
    registers: [registry],
    collect() {
      const t = oldestPendingNoticeAt(db);
      this.set(t === null ? 0 : Math.max(0, (now() - t) / 1000));
    },
  });

  // Door sensors (migration 3 creates door_state; every store is migrated before use).
  const doors = () => listDoorStates(db);
  new Gauge({
    name: "gatehouse_door_state",
    help: "Current state of each door sensor (open, closed, unknown): 1 for the current state, 0 for the others.",
    labelNames: ["sensor", "state"],
    registers: [registry],
    collect() {
      this.reset();
      for (const d of doors()) for (const s of ["open", "closed", "unknown"]) this.set({ sensor: d.sensorId, state: s }, d.state === s ? 1 : 0);
    },
  });
  new Gauge({
    name: "gatehouse_door_online",
    help: "1 when the door sensor has reported recently, 0 when it is offline.",
    labelNames: ["sensor"],
    registers: [registry],
    collect() {
      this.reset();
      for (const d of doors()) this.set({ sensor: d.sensorId }, d.online ? 1 : 0);
    },
  });
  new Gauge({
    name: "gatehouse_door_last_seen_timestamp_seconds",
    help: "Unix time of the last message from each door sensor.",
    labelNames: ["sensor"],
    registers: [registry],
    collect() {
      this.reset();
      for (const d of doors()) if (d.lastSeenAt !== null) this.set({ sensor: d.sensorId }, d.lastSeenAt / 1000);
    },
  });

  if (deps.dataDir) {
    const dataDir = deps.dataDir;
    new Gauge({
      name: "gatehouse_db_last_backup_timestamp_seconds",
      help: "Unix time of the newest nightly copy of Gatehouse's own database (0 when none).",
      registers: [registry],
      collect() {
        const newest = listNightlyBackups(dataDir)[0];
        this.set(newest ? newest.mtimeMs / 1000 : 0);
      },
    });
  }
  return registry;
}

function tokenDigest(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

/** The remote address @hono/node-server puts in the bindings (undefined under app.request()). */
function remoteAddress(c: Context): string | undefined {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } }; server?: { incoming?: { socket?: { remoteAddress?: string } } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? env?.server?.incoming?.socket?.remoteAddress;
}

/**
 * A Hono app serving GET /metrics. Reads the token file now (a missing or empty file is a
 * start-up error, not a scrape-time surprise).
 */
export function metricsApp(deps: MetricsDeps): Hono {
  let expected: Buffer | undefined;
  if (deps.tokenFile) {
    let token: string;
    try {
      token = readFileSync(deps.tokenFile, "utf8").trim();
    } catch (e) {
      throw new Error(`metrics token file ${deps.tokenFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (token.length < 16) throw new Error(`metrics token file ${deps.tokenFile}: the token must be at least 16 characters`);
    expected = tokenDigest(token);
  }
  let registry: Promise<Registry> | undefined;
  const app = new Hono();
  app.get("/metrics", async (c) => {
    const addr = remoteAddress(c);
    const local = addr !== undefined && LOOPBACK.test(addr);
    if (expected !== undefined || !local) {
      const m = /^Bearer (\S+)$/.exec(c.req.header("authorization") ?? "");
      const ok = expected !== undefined && m !== null && timingSafeEqual(tokenDigest(m[1]!), expected);
      if (!ok) {
        c.header("WWW-Authenticate", 'Bearer realm="gatehouse-metrics"');
        c.header("Cache-Control", "no-store");
        return c.text("metrics are served to localhost, or with the bearer token\n", 401);
      }
    }
    let body: string;
    let reg: Registry;
    try {
      registry ??= createMetricsRegistry(deps).catch((e: unknown) => {
        registry = undefined; // try again at the next scrape
        throw e;
      });
      reg = await registry;
      body = await reg.metrics();
    } catch {
      return c.text("metrics are not available right now\n", 503);
    }
    c.header("Content-Type", reg.contentType);
    c.header("Cache-Control", "no-store");
    return c.body(body);
  });
  return app;
}
