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
import { deleteSession, liveSession, touchSession } from "../agent/store/sessions.js";
import { tokenHash } from "./auth/tokens.js";

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
 * open overview tab would defeat the automatic logoff. The session and its user come from memory
 * (src/agent/store/sessions.ts: forgotten at once when either changes, in this process or another)
 * and activity is written behind, so a request normally costs no row read and no write.
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
      const live = liveSession(web.db, tokenHash(cookie));
      const s = live?.session;
      const user = live?.user;
      let ended: string | undefined;
      if (s && user) {
        if (user.disabledAt !== null) ended = "user_disabled";
        else if (now - s.lastSeenAt > web.idleMs) ended = "idle_timeout";
        else if (now - s.createdAt > web.absoluteMs) ended = "absolute_timeout";
      }
      if (s && user && !ended) {
        const background = c.req.method === "GET" && c.req.header("HX-Request") === "true";
        if (!background) touchSession(web.db, s.idHash, now);
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
