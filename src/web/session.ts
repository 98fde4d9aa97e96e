/**
 * Session cookie and the middleware that loads the signed-in user. The cookie is
 * `__Host-gh_session` (Secure, HttpOnly, SameSite=Strict, Path=/, no Domain): the prefix makes the
 * browser refuse it unless set that way. Chromium and Firefox accept Secure cookies from
 * http://localhost and http://127.0.0.1, so the tls: off loopback demo works with the same cookie.
 */
import type { MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { appendAudit } from "../agent/audit.js";
import type { Ctx, Env } from "./context.js";
import { deleteSession, sessionByCookie, touchSession, userById } from "./auth/store.js";
import { unseenWrite } from "./overview-cache.js";

const TOUCH_EVERY_MS = 30_000;

export const SESSION_COOKIE = "__Host-gh_session";

/** Sets the session cookie (no Max-Age: it ends with the browser; the server enforces both limits). */
export function setSessionCookie(c: Ctx, value: string): void {
  setCookie(c, SESSION_COOKIE, value, { path: "/", secure: true, httpOnly: true, sameSite: "Strict" });
}

export function clearSessionCookie(c: Ctx): void {
  deleteCookie(c, SESSION_COOKIE, { path: "/", secure: true, httpOnly: true, sameSite: "Strict" });
}

/**
 * Loads the session and its user; ends it when idle too long, past the absolute limit, or the user
 * is disabled. Background refreshes (htmx polling GETs) do not count as activity: otherwise an
 * open overview tab would defeat the automatic logoff.
 */
export function loadSession(): MiddlewareHandler<Env> {
  return async (c, next) => {
    c.set("auth", undefined);
    // Assets and the health check need no session (and should not write to the database).
    if (c.req.path.startsWith("/static/") || c.req.path === "/healthz") return next();
    const raw = getCookie(c, SESSION_COOKIE);
    const cookie = raw && /^[A-Za-z0-9_-]{22}$/.test(raw) ? raw : undefined;
    if (raw !== undefined && cookie === undefined) clearSessionCookie(c);
    if (cookie) {
      const web = c.var.web;
      const now = web.now();
      const s = sessionByCookie(web.db, cookie);
      const user = s ? userById(web.db, s.userId) : undefined;
      let ended: string | undefined;
      if (s && user) {
        if (user.disabledAt !== null) ended = "user_disabled";
        else if (now - s.lastSeenAt > web.idleMs) ended = "idle_timeout";
        else if (now - s.createdAt > web.absoluteMs) ended = "absolute_timeout";
      }
      if (s && user && !ended) {
        const background = c.req.method === "GET" && c.req.header("HX-Request") === "true";
        // Activity is recorded at most every 30 s: each write is an fsync, and the 15-minute
        // idle logoff does not need finer time.
        if (!background && now - s.lastSeenAt >= TOUCH_EVERY_MS) unseenWrite(web.db, () => touchSession(web.db, s.idHash, now));
        c.set("auth", { user, session: s });
        c.set("cookieValue", cookie);
      } else {
        if (s) {
          web.db.transaction(() => {
            deleteSession(web.db, s.idHash);
            if (user) appendAudit(web.db, { at: now, actor: `user:${user.username}`, action: "session.expired", address: c.var.address, detail: { reason: ended ?? "unknown" } });
          })();
        }
        clearSessionCookie(c);
      }
    }
    return next();
  };
}
