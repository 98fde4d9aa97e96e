/**
 * The web app: health endpoint and the status page. The full console (login, roles, pages)
 * builds on this.
 */
import { Hono } from "hono";
import type { GatehouseConfig } from "../agent/config/load.js";
import type { Db } from "../agent/store/db.js";
import { currentFindings, latestObservation } from "../agent/store/observations.js";
import { StatusPage, type MonitorTile } from "../../views/pages/status.js";
import { worstStatus } from "../agent/evaluator.js";

export interface WebDeps {
  db: Db;
  config: GatehouseConfig;
  startedAt: number;
  version: string;
}

/** Builds the Hono app. */
export function createApp(deps: WebDeps): Hono {
  const app = new Hono();

  app.use("*", async (c, next) => {
    await next();
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Referrer-Policy", "no-referrer");
    c.header("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'");
  });

  app.get("/healthz", (c) => {
    const ok = deps.db.open;
    return c.json(
      { status: ok ? "ok" : "unavailable", site: deps.config.site, version: deps.version, uptime_s: Math.round((Date.now() - deps.startedAt) / 1000) },
      ok ? 200 : 503,
    );
  });

  app.get("/", (c) => {
    const tiles: MonitorTile[] = deps.config.monitors.map((m) => {
      const last = latestObservation(deps.db, m.monitor.id);
      const findings = currentFindings(deps.db, m.monitor.id).filter((f) => f.status !== "pass");
      return {
        id: m.monitor.id,
        title: m.monitor.title,
        status: last ? last.status : "unknown",
        checkedAt: last?.startedAt,
        problems: findings.map((f) => f.message),
        notApplicable: last?.outcome === "not_applicable",
      };
    });
    const overall = worstStatus(tiles.filter((t) => !t.notApplicable).map((t) => t.status));
    return c.html(`<!doctype html>${<StatusPage site={deps.config.site} overall={overall} tiles={tiles} />}`);
  });

  app.notFound((c) => c.text("not found", 404));
  app.onError((err, c) => {
    console.error(err);
    return c.text("internal error", 500);
  });
  return app;
}
