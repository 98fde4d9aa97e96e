/**
 * What the console needs from the daemon, and what each request carries through the middleware.
 */
import type { Context } from "hono";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { ChannelRoute } from "../agent/alerts/engine.js";
import type { GatehouseConfig } from "../agent/config/load.js";
import type { Db } from "../agent/store/db.js";
import type { Logger } from "../kit/log.js";
import type { Role, Session, User } from "./auth/store.js";

export interface WebDeps {
  db: Db;
  config: GatehouseConfig;
  startedAt: number;
  version: string;
  /** 32-byte key that seals TOTP secrets (kept in the data dir, outside the database). */
  consoleKey: Buffer;
  /** Served over HTTPS (adds HSTS). False only for tls: off on a loopback address. */
  https: boolean;
  /** The clock (ms); tests pass a fake one. */
  now?: () => number;
  log?: Logger;
  /** Notification routes for "send test notification", and a kick for the delivery worker. */
  routes?: readonly ChannelRoute[];
  onEnqueued?: () => void;
  /** Force a password change at login when it is older than this many days. */
  passwordMaxAgeDays?: number;
  /** Idle timeout (default 15 min, HIPAA automatic logoff) and absolute session limit (default 12 h). */
  idleMs?: number;
  absoluteMs?: number;
  /** Runs a monitor now (after a baseline approval), when the scheduler is there. */
  runNow?: (monitorId: string) => void;
  /** GET /metrics, mounted before login and CSRF (it checks loopback or its bearer token). */
  metrics?: { fetch(req: Request, env?: unknown): Response | Promise<Response> };
}

/** Resolved deps with defaults applied. */
export interface Web extends Required<Pick<WebDeps, "db" | "config" | "startedAt" | "version" | "consoleKey" | "https">> {
  now: () => number;
  log: Logger;
  routes: readonly ChannelRoute[];
  onEnqueued: () => void;
  passwordMaxAgeDays: number | undefined;
  idleMs: number;
  absoluteMs: number;
  runNow: ((monitorId: string) => void) | undefined;
  /** The audit chain's state, re-verified only when rows were added. */
  auditCheck: () => { ok: boolean; rows: number; reason?: string };
}

export interface Auth {
  user: User;
  session: Session;
}

export type Env = { Variables: { web: Web; auth: Auth | undefined; address: string; cookieValue: string | undefined } };
export type Ctx = Context<Env>;

/** The peer address of the TCP connection. Never X-Forwarded-For: nothing here sits behind a proxy we trust. */
export function peerAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown";
  }
}

export const ROLE_RANK: Record<Role, number> = { viewer: 1, manager: 2, admin: 3 };
