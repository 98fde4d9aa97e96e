/**
 * Every console route is declared with the least role that may use it; the guard runs before
 * the handler on every route, so no route can forget its check. The declarations double as the
 * route × role matrix the tests walk.
 */
import type { Handler, Hono, MiddlewareHandler } from "hono";
import { recordDenial } from "../auth/denials.js";
import type { Role } from "../auth/store.js";
import { ROLE_RANK, type Env } from "../context.js";
import { MessagePage } from "../../../views/pages/auth.js";
import { respond } from "../render.js";

export type Access = "public" | Role;

export interface RouteSpec {
  method: "GET" | "POST";
  path: string;
  access: Access;
  /** Needs the password and a code given within the last 5 minutes (password, 2FA, users). */
  reauth?: boolean;
  /** Where to come back after re-authenticating (the page holding the form). */
  back?: string;
}

export const REAUTH_MS = 5 * 60_000;

/** Paths usable while a password change is forced. */
const DURING_FORCED_CHANGE = new Set(["/account", "/account/password", "/reauth", "/logout"]);

/** The guard: signed in, not forced to change the password, role high enough, recently re-authenticated. */
export function guard(spec: RouteSpec): MiddlewareHandler<Env> {
  return async (c, next) => {
    if (spec.access === "public") return next();
    const web = c.var.web;
    const auth = c.var.auth;
    if (!auth) {
      if (c.req.header("HX-Request") === "true") {
        c.header("HX-Redirect", "/login");
        return c.text("Signed out", 401);
      }
      if (c.req.method === "GET") return c.redirect(`/login?next=${encodeURIComponent(c.req.path)}`, 303);
      return respond(c, { page: () => <MessagePage site={web.config.site} title="Signed out" text="Your session has ended. Sign in again." link={{ href: "/login", label: "Sign in" }} /> }, 401);
    }
    const viewer = { username: auth.user.username, role: auth.user.role };
    if (auth.session.mustChangePassword && !DURING_FORCED_CHANGE.has(spec.path)) return c.redirect("/account", 303);
    if (ROLE_RANK[auth.user.role] < ROLE_RANK[spec.access]) {
      recordDenial(web.db, { at: web.now(), actor: `user:${auth.user.username}`, method: c.req.method, path: c.req.path, address: c.var.address, role: auth.user.role, required: spec.access });
      return respond(c, { page: () => <MessagePage site={web.config.site} viewer={viewer} title="Not allowed" text={`This needs the ${spec.access} role; you are ${auth.user.role}. The attempt was recorded.`} /> }, 403);
    }
    if (spec.reauth && web.now() - auth.session.reauthAt > REAUTH_MS) {
      return c.redirect(`/reauth?next=${encodeURIComponent(spec.back ?? "/")}`, 303);
    }
    return next();
  };
}

/** Registers routes through the guard and remembers their specs. */
export class Routes {
  readonly specs: RouteSpec[] = [];
  constructor(private readonly app: Hono<Env>) {}
  add(spec: RouteSpec, handler: Handler<Env>): void {
    this.specs.push(spec);
    if (spec.method === "GET") this.app.get(spec.path, guard(spec), handler);
    else this.app.post(spec.path, guard(spec), handler);
  }
}
