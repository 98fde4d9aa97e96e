/**
 * The console: a Hono app with security headers on every response, the CSRF guard on every
 * state change, the session loaded once, and every route declared with its least role
 * (routes/table.tsx). Pages are server-rendered (views/) and readable without JavaScript.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { auditChecker } from "./data.js";
import { peerAddress, type Env, type Web, type WebDeps } from "./context.js";
import { respond } from "./render.js";
import { csrfGuard, hostGuard, redactPath, securityHeaders } from "./security.js";
import { loadSession } from "./session.js";
import { loadAssets } from "./static.js";
import { adminRoutes } from "./routes/admin.js";
import { authRoutes } from "./routes/auth.js";
import { complianceRoutes, UPLOAD_LIMIT, UPLOAD_PATH } from "./routes/compliance.js";
import { computerRoutes } from "./routes/computers.js";
import { OSQUERY_PREFIX, osqueryApp } from "./routes/osquery.js";
import { pageRoutes } from "./routes/pages.js";
import { Routes, type RouteSpec } from "./routes/table.js";
import { MessagePage } from "../../views/pages/auth.js";

export type { WebDeps } from "./context.js";

function resolveDeps(deps: WebDeps): Web {
  return {
    db: deps.db,
    config: deps.config,
    startedAt: deps.startedAt,
    version: deps.version,
    consoleKey: deps.consoleKey,
    https: deps.https,
    now: deps.now ?? Date.now,
    log: deps.log ?? { debug() {}, info() {}, warn() {}, error() {} },
    routes: deps.routes ?? [],
    onEnqueued: deps.onEnqueued ?? (() => {}),
    passwordMaxAgeDays: deps.passwordMaxAgeDays,
    idleMs: deps.idleMs ?? 15 * 60_000,
    absoluteMs: deps.absoluteMs ?? 12 * 3_600_000,
    runNow: deps.runNow,
    auditCheck: auditChecker(deps.db),
  };
}

/** A sub-app with its own authentication (HMAC-signed door webhooks). */
export interface SubApp {
  fetch(req: Request, env?: unknown): Response | Promise<Response>;
}

/** Machine-to-machine endpoints under this prefix authenticate by signature, not by session or Origin. */
export const DOOR_WEBHOOK_PREFIX = "/api/doors/";

export interface Console {
  app: Hono<Env>;
  routes: readonly RouteSpec[];
  /** Mounts the door webhook sub-app (doors start after the console; until then 404). */
  mountDoorWebhook(sub: SubApp): void;
}

/** Builds the console and returns it with its route declarations (the role matrix). */
export function buildConsole(deps: WebDeps): Console {
  if (deps.consoleKey.length !== 32) throw new Error("the console key must be 32 bytes");
  const web = resolveDeps(deps);
  const assets = loadAssets();
  const app = new Hono<Env>();

  app.use("*", securityHeaders(web.https));
  app.use("*", hostGuard(web.https, web.config.console.publicUrl));
  app.use("*", async (c, next) => {
    c.set("web", web);
    c.set("address", peerAddress(c));
    c.set("cookieValue", undefined);
    await next();
  });
  // osquery's TLS API: node keys instead of sessions, its own body limits (result batches exceed 64 KiB).
  const osquery = web.config.hosts ? osqueryApp(web, web.config.hosts) : undefined;
  if (osquery) app.all(`${OSQUERY_PREFIX}/*`, (c) => osquery.fetch(c.req.raw, c.env));
  const smallBody = bodyLimit({ maxSize: 64 * 1024, onError: (c) => c.text("Request too large.", 413) });
  const uploadBody = bodyLimit({ maxSize: UPLOAD_LIMIT, onError: (c) => c.text(`Upload too large (at most ${UPLOAD_LIMIT / 1024 / 1024} MiB).`, 413) });
  app.use("*", (c, next) => (c.req.method === "POST" && UPLOAD_PATH.test(c.req.path) ? uploadBody(c, next) : smallBody(c, next)));
  let doorWebhook: SubApp | undefined;
  // Signed door events: no session, no Origin (senders are not browsers); the sub-app checks its HMAC.
  app.post(`${DOOR_WEBHOOK_PREFIX}*`, (c) => (doorWebhook ? doorWebhook.fetch(c.req.raw, c.env) : c.text("not found", 404)));
  const metrics = deps.metrics;
  if (metrics) app.get("/metrics", (c) => metrics.fetch(c.req.raw, c.env));
  app.use("*", csrfGuard(web.config.console.publicUrl));
  app.use("*", loadSession());

  app.get("/healthz", (c) => {
    const ok = web.db.open;
    return c.json({ status: ok ? "ok" : "unavailable", version: web.version, uptime_s: Math.round((web.now() - web.startedAt) / 1000) }, ok ? 200 : 503);
  });

  // Browsers ask for /favicon.ico on every page whatever the page links; answer with the SVG.
  app.get("/favicon.ico", (c) => c.redirect("/static/favicon.svg", 301));
  app.get("/static/:name", (c) => {
    const a = assets.get(c.req.param("name") ?? "");
    if (!a) return c.text("not found", 404);
    c.header("Cache-Control", "public, max-age=3600");
    c.header("ETag", a.etag);
    if (c.req.header("If-None-Match") === a.etag) return c.body(null, 304);
    return c.body(a.body, 200, { "Content-Type": a.type });
  });

  const routes = new Routes(app);
  authRoutes(routes);
  pageRoutes(routes);
  complianceRoutes(routes);
  adminRoutes(routes);
  computerRoutes(routes);

  app.notFound((c) => {
    const a = c.var.auth;
    return respond(c, { page: () => <MessagePage site={web.config.site} title="Not found" text="There is no such page." viewer={a ? { username: a.user.username, role: a.user.role } : undefined} /> }, 404);
  });
  app.onError((err, c) => {
    web.log.error({ err: err.message, path: redactPath(c.req.path), method: c.req.method }, "console request failed");
    return c.text("Internal error. The details were logged.", 500);
  });
  return {
    app,
    routes: routes.specs,
    mountDoorWebhook(sub) {
      doorWebhook = sub;
    },
  };
}
