/**
 * Starting the console for the daemon: refuse plain HTTP off loopback, load the sealing key and
 * the TLS material, hand out the first-admin setup link when nobody can sign in yet, and listen.
 */
import { createServer as createHttpsServer } from "node:https";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { serve as serveHttp, type ServerType } from "@hono/node-server";
import { consoleUrl } from "../agent/agent.js";
import { auditChain } from "../agent/audit.js";
import type { ChannelRoute } from "../agent/alerts/engine.js";
import type { GatehouseConfig } from "../agent/config/load.js";
import { UserError } from "../kit/errors.js";
import type { Db } from "../agent/store/db.js";
import { flushSessionActivity } from "../agent/store/sessions.js";
import type { Logger } from "../kit/log.js";
import { buildConsole, type SubApp } from "./app.js";
import { countUsers, createEnrollment, hasUsableSetupLink, pruneSessions } from "./auth/store.js";
import { flushDenials } from "./auth/denials.js";
import { removeSetupLinkFile, SETUP_LINK_FILE } from "./auth/setup-link.js";
import { pruneFailures } from "./auth/throttle.js";
import { CONSOLE_TLS_OPTIONS, ensureSelfSigned, loadOrCreateConsoleKey, readConfiguredTls, type TlsMaterial } from "./tls.js";

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);
export { SETUP_LINK_FILE } from "./auth/setup-link.js";

/** Plain HTTP is only for loopback (the demo, or behind a local TLS proxy): passwords must never cross the network in clear. */
export function checkConsoleListen(config: GatehouseConfig): void {
  const { host, port } = config.console.listen;
  if (config.console.tls === "off" && !LOOPBACK.has(host)) {
    throw new UserError(
      `console.tls is off but console.listen is ${host}:${port}: the console only serves plain HTTP on a loopback address (127.0.0.1, ::1). Use tls: auto (a self-signed certificate is made on first start) or tls: { cert, key }, or listen on 127.0.0.1.`,
      1,
    );
  }
}

/**
 * Creates the one-time setup link when no user exists and no valid link is outstanding. The link
 * is a credential, so it goes to a 0600 file in the data dir (and to a terminal if there is one),
 * never to the log.
 */
export function issueSetupLinkIfNeeded(db: Db, config: GatehouseConfig, now = Date.now()): { link: string; file: string } | undefined {
  if (countUsers(db) > 0) {
    removeSetupLinkFile(config.dataDir);
    return undefined;
  }
  if (hasUsableSetupLink(db, now)) return undefined;
  const token = createEnrollment(db, { kind: "setup", username: null, role: "admin", createdBy: "gatehouse", now });
  const link = `${consoleUrl(config)}enroll/${token}`;
  const file = join(config.dataDir, SETUP_LINK_FILE);
  // Created afresh: `mode` applies only to a new file, and an older one may be readable by others.
  rmSync(file, { force: true });
  writeFileSync(file, `${link}\n(one-time link to create the first administrator; valid 24 hours; this file is removed once the administrator exists)\n`, { mode: 0o600, flag: "wx" });
  return { link, file };
}

export interface ConsoleOptions {
  db: Db;
  log: Logger;
  version: string;
  routes: readonly ChannelRoute[];
  onEnqueued: () => void;
  runNow?: (monitorId: string) => void;
  /** Force a password change at login past this age (wire a config key such as console.password_max_age_days). */
  passwordMaxAgeDays?: number;
  /** The Prometheus endpoint, served at GET /metrics outside the login (it checks its own access). */
  metrics?: SubApp;
}

export interface ConsoleServer {
  server: ServerType;
  port: number;
  /** Periodic cleanup of expired sessions and old login failures. */
  housekeeping(): void;
  /** Mounts the door webhook sub-app (`POST /api/doors/:id/events`) once the door engine runs. */
  mountDoorWebhook(sub: SubApp): void;
}

/** Starts the console server; resolves once it listens. */
export async function startConsole(config: GatehouseConfig, o: ConsoleOptions): Promise<ConsoleServer> {
  checkConsoleListen(config);
  const consoleKey = loadOrCreateConsoleKey(config.dataDir);
  let tls: TlsMaterial | undefined;
  if (config.console.tls === "auto") {
    const t = await ensureSelfSigned(config.dataDir, config.console.listen.host);
    if (t.created) o.log.info({ cert: t.certFile }, "self-signed console certificate created");
    if (t.renewed) o.log.info({ cert: t.certFile, reason: t.renewed }, "self-signed console certificate renewed");
    tls = t;
  } else if (config.console.tls !== "off") {
    try {
      tls = readConfiguredTls(config.console.tls);
    } catch (e) {
      throw new UserError(`cannot read console.tls cert/key: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 1);
    }
  }
  // The audit chain is verified in the background from now on (pages read its last state).
  void auditChain(o.db).walk();
  const setup = issueSetupLinkIfNeeded(o.db, config);
  if (setup) {
    o.log.warn({ file: setup.file }, "no console user exists yet: the one-time setup link for the first administrator was written to this file");
    if (process.stderr.isTTY) process.stderr.write(`\nCreate the first administrator (one-time link, 24 h):\n  ${setup.link}\n\n`);
  }
  const { app, mountDoorWebhook } = buildConsole({
    db: o.db,
    config,
    startedAt: Date.now(),
    version: o.version,
    consoleKey,
    https: tls !== undefined,
    log: o.log,
    routes: o.routes,
    onEnqueued: o.onEnqueued,
    ...(o.runNow ? { runNow: o.runNow } : {}),
    ...(o.passwordMaxAgeDays !== undefined ? { passwordMaxAgeDays: o.passwordMaxAgeDays } : {}),
    ...(o.metrics ? { metrics: o.metrics } : {}),
  });
  const { host, port } = config.console.listen;
  const server = await new Promise<{ server: ServerType; port: number }>((resolve, reject) => {
    const s = serveHttp(
      {
        fetch: app.fetch,
        hostname: host,
        port,
        ...(tls ? { createServer: createHttpsServer, serverOptions: { cert: tls.cert, key: tls.key, ...CONSOLE_TLS_OPTIONS } } : {}),
      },
      (info) => resolve({ server: s, port: info.port }),
    );
    s.once("error", (e: NodeJS.ErrnoException) => reject(new UserError(`cannot listen on ${host}:${port}: ${e.code ?? e.message}`, 1)));
  });
  // Sessions' activity is written behind (src/agent/store/sessions.ts): the rest goes in when the
  // console stops, before the daemon closes the database.
  server.server.once("close", () => {
    try {
      flushSessionActivity(o.db);
    } catch (e) {
      o.log.warn({ err: (e as Error).message }, "console: the last session activity could not be written");
    }
  });
  return {
    ...server,
    mountDoorWebhook,
    housekeeping() {
      const now = Date.now();
      pruneSessions(o.db, now - 15 * 60_000, now - 12 * 3_600_000);
      pruneFailures(o.db, now);
      flushDenials(o.db, now);
    },
  };
}
