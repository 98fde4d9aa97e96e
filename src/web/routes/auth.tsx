/** Sign in and out, one-time enrollment links, re-authentication, and the user's own account. */
import { z } from "zod";
import { appendAudit } from "../../agent/audit.js";
import { authenticate, checkCurrentPassword, login } from "../auth/login.js";
import { BUSY_RETRY_AFTER_S, HashQueueFull, hashPassword, passwordProblem, PASSWORD_MAX } from "../auth/passwords.js";
import {
  clearMustChange,
  consumeEnrollment,
  countUsers,
  deleteSession,
  deleteUserSessions,
  insertUser,
  markReauth,
  newRecoveryCodes,
  resetCredentials,
  setPassword,
  unusedRecoveryCodes,
  usableEnrollment,
  userByName,
  USERNAME_RE,
} from "../auth/store.js";
import { removeSetupLinkFile } from "../auth/setup-link.js";
import { seal, tokenHash } from "../auth/tokens.js";
import { checkTotp, enrollmentTotpSecret, totpQrSvg, totpUri } from "../auth/totp.js";
import type { Ctx } from "../context.js";
import { readForm, safeNext, secret, text } from "../forms.js";
import { respond } from "../render.js";
import { clearSessionCookie, setSessionCookie } from "../session.js";
import type { Routes } from "./table.js";
import { AccountPage } from "../../../views/pages/admin.js";
import { EnrollPage, LoginPage, MessagePage, ReauthPage, RecoveryCodesPage } from "../../../views/pages/auth.js";

const loginForm = z.object({ username: text(64, 1), password: secret(1024), code: secret(64), next: z.string().max(400).optional() });
const enrollForm = z.object({ username: z.string().max(256).optional(), password: secret(1024), password2: secret(1024), code: secret(64) });
const reauthForm = z.object({ password: secret(1024), code: secret(64), next: z.string().max(400).optional() });
const passwordForm = z.object({ current: secret(1024), password: secret(1024), password2: secret(1024) });

/** Hashes a new password, or answers 503 with Retry-After when hashing is saturated. */
async function hashOrBusy(c: Ctx, password: string): Promise<{ hash: string } | { busy: Response }> {
  try {
    return { hash: await hashPassword(password) };
  } catch (e) {
    if (!(e instanceof HashQueueFull)) throw e;
    c.header("Retry-After", String(BUSY_RETRY_AFTER_S));
    return { busy: c.text(`The console is busy. Try again in ${BUSY_RETRY_AFTER_S} seconds.`, 503) };
  }
}

const viewerOf = (c: Ctx) => {
  const a = c.var.auth;
  return a ? { username: a.user.username, role: a.user.role } : undefined;
};

const linkGone = (c: Ctx) =>
  respond(c, { page: () => <MessagePage site={c.var.web.config.site} title="Link not valid" text="This link is invalid, already used, or expired. Ask an administrator for a new one." /> }, 404);

export function authRoutes(r: Routes): void {
  r.add({ method: "GET", path: "/login", access: "public" }, (c) => {
    const web = c.var.web;
    if (c.var.auth) return c.redirect("/", 303);
    const notice = countUsers(web.db) === 0 ? "No console user exists yet: open the one-time setup link printed by `gatehouse init` (or in the data dir's setup-link.txt)." : undefined;
    return respond(c, { page: () => <LoginPage site={web.config.site} next={safeNext(c.req.query("next"))} notice={notice} /> });
  });

  r.add({ method: "POST", path: "/login", access: "public" }, async (c) => {
    const web = c.var.web;
    const f = await readForm(c, loginForm);
    if (!f.ok) return respond(c, { page: () => <LoginPage site={web.config.site} error={f.message} username={f.submitted?.username ?? ""} /> }, 400);
    const next = safeNext(f.data.next);
    const result = await login(web, { username: f.data.username, password: f.data.password, code: f.data.code, address: c.var.address });
    if (!result.ok) {
      if (result.retryAfterMs !== undefined) c.header("Retry-After", String(Math.ceil(result.retryAfterMs / 1000)));
      return respond(c, { page: () => <LoginPage site={web.config.site} error={result.message} username={f.data.username} next={next} /> }, result.status);
    }
    // A fresh id at every login; any session this browser had before ends now.
    const old = c.var.cookieValue;
    if (old) deleteSession(web.db, tokenHash(old));
    setSessionCookie(c, result.cookie);
    return c.redirect(result.mustChangePassword ? "/account" : next, 303);
  });

  r.add({ method: "POST", path: "/logout", access: "viewer" }, (c) => {
    const web = c.var.web;
    const auth = c.var.auth!;
    web.db.transaction(() => {
      deleteSession(web.db, auth.session.idHash);
      appendAudit(web.db, { at: web.now(), actor: `user:${auth.user.username}`, action: "logout", address: c.var.address });
    })();
    clearSessionCookie(c);
    return c.redirect("/login", 303);
  });

  /** Shows the enrollment form (stores nothing: the TOTP secret is derived from the link). */
  r.add({ method: "GET", path: "/enroll/:token", access: "public" }, (c) => {
    const web = c.var.web;
    const token = c.req.param("token") ?? "";
    const e = usableEnrollment(web.db, token, web.now());
    if (!e) return linkGone(c);
    const s = enrollmentTotpSecret(web.consoleKey, token);
    return respond(c, { page: () => <EnrollPage site={web.config.site} e={{ token, kind: e.kind, username: e.username, role: e.role, secret: s }} /> });
  });

  r.add({ method: "GET", path: "/enroll/:token/qr.svg", access: "public" }, async (c) => {
    const web = c.var.web;
    const token = c.req.param("token") ?? "";
    const e = usableEnrollment(web.db, token, web.now());
    if (!e) return c.text("not found", 404);
    const svg = await totpQrSvg(totpUri(enrollmentTotpSecret(web.consoleKey, token), e.username ?? "admin", `Gatehouse ${web.config.site}`));
    return c.body(svg, 200, { "Content-Type": "image/svg+xml; charset=utf-8" });
  });

  r.add({ method: "POST", path: "/enroll/:token", access: "public" }, async (c) => {
    const web = c.var.web;
    const token = (c.req.param("token") ?? "");
    const e = usableEnrollment(web.db, token, web.now());
    if (!e) return linkGone(c);
    const totpSecret = enrollmentTotpSecret(web.consoleKey, token);
    const again = (error: string, status: 400 | 409 = 400) =>
      respond(c, { page: () => <EnrollPage site={web.config.site} e={{ token, kind: e.kind, username: e.username, role: e.role, secret: totpSecret, error }} /> }, status);
    const f = await readForm(c, enrollForm);
    if (!f.ok) return again(f.message);
    const username = e.username ?? (f.data.username ?? "").trim().toLowerCase();
    if (!USERNAME_RE.test(username)) return again("Choose a user name of lower-case letters, digits, dot, dash or underscore (at most 64).");
    const existing = userByName(web.db, username);
    if (e.kind === "reset" ? !existing : existing) return again(e.kind === "reset" ? "That account no longer exists." : "That user name is taken.", 409);
    if (f.data.password !== f.data.password2) return again("The two passwords differ.");
    const problem = passwordProblem(f.data.password, username);
    if (problem) return again(problem);
    const check = checkTotp(totpSecret, f.data.code, web.now(), 0);
    if (!check.ok) return again("That code does not match. Check the time on your phone and enter the current code.");
    const hashed = await hashOrBusy(c, f.data.password);
    if ("busy" in hashed) return hashed.busy;
    const { hash } = hashed;
    const now = web.now();
    let codes: string[] | undefined;
    try {
      codes = web.db.transaction(() => {
        if (!consumeEnrollment(web.db, e.tokenHash, now)) return undefined;
        const sealed = seal(web.consoleKey, totpSecret);
        if (e.kind === "reset") {
          resetCredentials(web.db, existing!.id, { passwordHash: hash, totpSecretSealed: sealed, totpLastStep: check.step, now });
          const ended = deleteUserSessions(web.db, existing!.id);
          const list = newRecoveryCodes(web.db, existing!.id);
          appendAudit(web.db, { at: now, actor: `user:${username}`, action: "user.reset_credentials", target: `user:${username}`, address: c.var.address, detail: { reset_by: e.createdBy, sessions_ended: ended } });
          return list;
        }
        const id = insertUser(web.db, { username, role: e.role, passwordHash: hash, totpSecretSealed: sealed, totpLastStep: check.step, createdBy: e.createdBy, now });
        const list = newRecoveryCodes(web.db, id);
        appendAudit(web.db, {
          at: now,
          actor: `user:${username}`,
          action: e.kind === "setup" ? "user.setup_first_admin" : "user.enroll",
          target: `user:${username}`,
          address: c.var.address,
          detail: { before: null, after: { username, role: e.role }, invited_by: e.createdBy },
        });
        return list;
      })();
    } catch {
      return again("The account could not be created (the name may have just been taken).", 409);
    }
    if (!codes) return linkGone(c);
    if (e.kind === "setup") removeSetupLinkFile(web.config.dataDir);
    return respond(c, { page: () => <RecoveryCodesPage site={web.config.site} username={username} codes={codes!} /> });
  });

  r.add({ method: "GET", path: "/reauth", access: "viewer" }, (c) =>
    respond(c, { page: () => <ReauthPage site={c.var.web.config.site} viewer={viewerOf(c)!} next={safeNext(c.req.query("next"))} /> }),
  );

  r.add({ method: "POST", path: "/reauth", access: "viewer" }, async (c) => {
    const web = c.var.web;
    const auth = c.var.auth!;
    const f = await readForm(c, reauthForm);
    const next = safeNext(f.ok ? f.data.next : undefined);
    if (!f.ok) return respond(c, { page: () => <ReauthPage site={web.config.site} viewer={viewerOf(c)!} next={next} error={f.message} /> }, 400);
    const result = await authenticate(web, { username: auth.user.username, password: f.data.password, code: f.data.code, address: c.var.address }, "reauth");
    if (!result.ok) {
      if (result.retryAfterMs !== undefined) c.header("Retry-After", String(Math.ceil(result.retryAfterMs / 1000)));
      return respond(c, { page: () => <ReauthPage site={web.config.site} viewer={viewerOf(c)!} next={next} error={result.message} /> }, result.status);
    }
    web.db.transaction(() => {
      markReauth(web.db, auth.session.idHash, web.now());
      appendAudit(web.db, { at: web.now(), actor: `user:${auth.user.username}`, action: "reauth.success", address: c.var.address });
    })();
    return c.redirect(next, 303);
  });

  const accountPage = (c: Ctx, opts: { error?: string; notice?: string } = {}, status: 200 | 400 | 429 | 503 = 200) => {
    const web = c.var.web;
    const auth = c.var.auth!;
    return respond(
      c,
      {
        page: () => (
          <AccountPage
            site={web.config.site}
            viewer={viewerOf(c)!}
            tz={web.config.timezone}
            passwordChangedAt={auth.user.passwordChangedAt}
            recoveryLeft={unusedRecoveryCodes(web.db, auth.user.id)}
            mustChange={auth.session.mustChangePassword}
            error={opts.error}
            notice={opts.notice}
          />
        ),
      },
      status,
    );
  };

  r.add({ method: "GET", path: "/account", access: "viewer" }, (c) => accountPage(c, c.req.query("changed") ? { notice: "Password changed. Your other sessions were ended." } : {}));

  r.add({ method: "POST", path: "/account/password", access: "viewer", reauth: true, back: "/account" }, async (c) => {
    const web = c.var.web;
    const auth = c.var.auth!;
    const f = await readForm(c, passwordForm);
    if (!f.ok) return accountPage(c, { error: f.message }, 400);
    if (f.data.password !== f.data.password2) return accountPage(c, { error: "The two passwords differ." }, 400);
    const problem = passwordProblem(f.data.password, auth.user.username);
    if (problem) return accountPage(c, { error: problem }, 400);
    if (f.data.password.length > PASSWORD_MAX) return accountPage(c, { error: "Too long." }, 400);
    // The current password too, not only the recent re-authentication: a session taken over in
    // those 5 minutes must not be able to take the account for good (ASVS 2.1.6).
    const current = await checkCurrentPassword(web, auth.user, f.data.current, c.var.address);
    if (!current.ok) {
      if (current.retryAfterMs !== undefined) c.header("Retry-After", String(Math.ceil(current.retryAfterMs / 1000)));
      return accountPage(c, { error: current.message }, current.status);
    }
    if (f.data.password === f.data.current) return accountPage(c, { error: "The new password must differ from the current one." }, 400);
    const hashed = await hashOrBusy(c, f.data.password);
    if ("busy" in hashed) return hashed.busy;
    const { hash } = hashed;
    const now = web.now();
    web.db.transaction(() => {
      setPassword(web.db, auth.user.id, hash, now);
      clearMustChange(web.db, auth.user.id);
      const ended = deleteUserSessions(web.db, auth.user.id, auth.session.idHash);
      appendAudit(web.db, { at: now, actor: `user:${auth.user.username}`, action: "user.password_change", target: `user:${auth.user.username}`, address: c.var.address, detail: { other_sessions_ended: ended } });
    })();
    return c.redirect("/account?changed=1", 303);
  });

  r.add({ method: "POST", path: "/account/recovery-codes", access: "viewer", reauth: true, back: "/account" }, (c) => {
    const web = c.var.web;
    const auth = c.var.auth!;
    const codes = web.db.transaction(() => {
      const list = newRecoveryCodes(web.db, auth.user.id);
      appendAudit(web.db, { at: web.now(), actor: `user:${auth.user.username}`, action: "user.recovery_codes_renew", target: `user:${auth.user.username}`, address: c.var.address });
      return list;
    })();
    return respond(c, { page: () => <RecoveryCodesPage site={web.config.site} username={auth.user.username} codes={codes} viewer={viewerOf(c)} /> });
  });
}
