/**
 * Protection on every request: security headers on every response (errors and 404s included)
 * and the CSRF check on every state-changing method.
 */
import type { MiddlewareHandler } from "hono";
import type { Env } from "./context.js";

export const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'; object-src 'none'";

/** Headers every response gets. HSTS only over HTTPS (browsers ignore it on http anyway). */
export function securityHeaders(https: boolean): MiddlewareHandler<Env> {
  return async (c, next) => {
    await next();
    const h = c.res.headers;
    h.set("Content-Security-Policy", CSP);
    h.set("X-Content-Type-Options", "nosniff");
    h.set("Referrer-Policy", "no-referrer");
    h.set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()");
    h.set("X-Frame-Options", "DENY");
    h.set("Cross-Origin-Opener-Policy", "same-origin");
    h.set("Cross-Origin-Resource-Policy", "same-origin");
    if (!h.has("Cache-Control")) h.set("Cache-Control", "no-store");
    if (https) h.set("Strict-Transport-Security", "max-age=31536000");
  };
}

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

/** A request path fit for a log line: one-time link tokens are credentials and are cut out. */
export function redactPath(path: string): string {
  return path.replace(/\/enroll\/[^/]+/, "/enroll/[token]").slice(0, 200);
}

/**
 * State changes only by POST/PUT/DELETE/PATCH from this origin. `Sec-Fetch-Site`, when sent,
 * must be same-origin. `Origin` must be present: either this origin (or the configured public
 * URL), or "null" together with `Sec-Fetch-Site: same-origin` — because with our
 * `Referrer-Policy: no-referrer` Chromium sends `Origin: null` on its own form posts, and
 * Sec-Fetch-Site (which pages cannot forge) then vouches for them. A missing Origin, a foreign one,
 * or "null" without Sec-Fetch-Site is refused: every browser we support sends one of the two.
 */
export function csrfGuard(publicUrl: string | undefined): MiddlewareHandler<Env> {
  const extra = publicUrl ? new URL(publicUrl).origin : undefined;
  return async (c, next) => {
    if (SAFE.has(c.req.method)) return next();
    const site = c.req.header("Sec-Fetch-Site");
    const origin = c.req.header("Origin");
    const own = new URL(c.req.url).origin;
    let problem: string | undefined;
    if (site !== undefined && site !== "same-origin") problem = `Sec-Fetch-Site is ${site}`;
    else if (!origin) problem = "no Origin header";
    else if (origin === "null") {
      if (site !== "same-origin") problem = "opaque Origin without Sec-Fetch-Site";
    } else if (origin !== own && origin !== extra) problem = "cross-origin request";
    if (problem) {
      c.var.web.log.warn({ method: c.req.method, path: redactPath(c.req.path), problem, address: c.var.address }, "request refused by the CSRF check");
      return c.text(`Refused: ${problem}. Changes can only be made from the console's own pages.`, 403);
    }
    return next();
  };
}
