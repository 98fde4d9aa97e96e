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
    // same-origin, not no-referrer: no Referer ever leaves for another site (one-time link tokens are
    // in paths), while the console's own form posts carry their real Origin instead of "null".
    h.set("Referrer-Policy", "same-origin");
    h.set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()");
    h.set("X-Frame-Options", "DENY");
    h.set("Cross-Origin-Opener-Policy", "same-origin");
    h.set("Cross-Origin-Resource-Policy", "same-origin");
    if (!h.has("Cache-Control")) h.set("Cache-Control", "no-store");
    if (https) h.set("Strict-Transport-Security", "max-age=31536000");
  };
}

const LOOPBACK_HOST = /^(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\])$/i;

/**
 * Without TLS (allowed on loopback only) a request must name a loopback host, or the configured
 * public URL's host (a local TLS proxy passing its name on). Otherwise a web page whose DNS name
 * was rebound to 127.0.0.1 would be same-origin with the console in a browser on the box: it
 * could read /metrics (trusted from loopback) and drive the login form. Over HTTPS the certificate
 * already binds the name, so nothing is checked there.
 */
export function hostGuard(https: boolean, publicUrl: string | undefined): MiddlewareHandler<Env> {
  const extra = publicUrl ? new URL(publicUrl).hostname.toLowerCase() : undefined;
  return async (c, next) => {
    if (https) return next();
    const host = new URL(c.req.url).hostname.toLowerCase();
    if (LOOPBACK_HOST.test(host) || host === extra) return next();
    return c.text("Misdirected request: this console answers on 127.0.0.1, localhost or [::1] (or set console.public_url).", 421);
  };
}

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

/** A request path fit for a log line: one-time link tokens are credentials and are cut out. */
export function redactPath(path: string): string {
  return path.replace(/\/enroll\/[^/]+/, "/enroll/[token]").slice(0, 200);
}

/**
 * State changes only by POST/PUT/DELETE/PATCH from this origin. `Sec-Fetch-Site`, when sent,
 * must be same-origin, and `Origin` must be this origin (or the configured public URL). Under our
 * `Referrer-Policy: same-origin` every browser sends the real Origin on the console's own posts
 * (form and htmx alike), so an opaque `Origin: null` — sandboxed frames, data: and file: pages,
 * posts after a cross-origin redirect — is refused like a missing one, whatever else is claimed:
 * the check then rests on two independent signals, not on Sec-Fetch-Site alone.
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
    else if (origin === "null") problem = "opaque Origin";
    else if (origin !== own && origin !== extra) problem = "cross-origin request";
    if (problem) {
      c.var.web.log.warn({ method: c.req.method, path: redactPath(c.req.path), problem, address: c.var.address }, "request refused by the CSRF check");
      return c.text(`Refused: ${problem}. Changes can only be made from the console's own pages.`, 403);
    }
    return next();
  };
}
