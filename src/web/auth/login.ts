/**
 * Login: throttle first (cheap), then password (argon2id), then the second factor (TOTP, each
 * step once, or a single-use recovery code). Every outcome is audited; nothing typed by the user
 * except the user name reaches the audit log.
 */
import { appendAudit } from "../../agent/audit.js";
import type { Web } from "../context.js";
import { verifyPassword } from "./passwords.js";
import { claimTotpStep, createSession, unusedRecoveryCodes, useRecoveryCode, userByName, type User } from "./store.js";
import { checkThrottle, recordFailure } from "./throttle.js";
import { checkTotp } from "./totp.js";
import { unseal } from "./tokens.js";

export type LoginResult =
  | { ok: true; user: User; cookie: string; mustChangePassword: boolean }
  | { ok: false; status: 401 | 429; message: string; retryAfterMs?: number };

const GENERIC = "Wrong user name, password or code.";

/** Normalizes a typed user name for lookups and throttling (bounded, lower-case). */
export function normalizeUsername(s: string): string {
  return s.trim().toLowerCase().slice(0, 64);
}

export type AuthResult = { ok: true; user: User } | { ok: false; status: 401 | 429; message: string; retryAfterMs?: number };

/**
 * Checks the throttle, the password and the second factor, audits the outcome under `purpose`
 * (login or reauth) and records failures for throttling. Creates nothing.
 */
export async function authenticate(web: Web, input: { username: string; password: string; code: string; address: string }, purpose: "login" | "reauth"): Promise<AuthResult> {
  const { db } = web;
  const account = normalizeUsername(input.username);
  const actor = `user:${account}`;
  const address = input.address;
  const now = web.now();
  const verdict = checkThrottle(db, account, address, now);
  if (!verdict.allowed) {
    appendAudit(db, { at: now, actor, action: `${purpose}.throttled`, address, detail: { reason: verdict.reason, retry_after_s: Math.ceil(verdict.retryAfterMs / 1000) } });
    const wait = Math.ceil(verdict.retryAfterMs / 1000);
    return { ok: false, status: 429, retryAfterMs: verdict.retryAfterMs, message: `Too many failed attempts. Try again in ${wait} second${wait === 1 ? "" : "s"}.` };
  }
  const fail = (reason: string, message = GENERIC): AuthResult => {
    db.transaction(() => {
      recordFailure(db, account, address, web.now());
      appendAudit(db, { at: web.now(), actor, action: `${purpose}.failure`, address, detail: { reason } });
    })();
    return { ok: false, status: 401, message };
  };

  const user = userByName(db, account);
  const passwordOk = await verifyPassword(user?.passwordHash, input.password);
  if (!user || !passwordOk) return fail(user ? "bad_password" : "unknown_user");
  if (user.disabledAt !== null) return fail("disabled");

  const code = input.code.trim();
  const at = web.now();
  if (/^\d{6}$/.test(code.replace(/\s+/g, ""))) {
    let secret: string;
    try {
      secret = unseal(web.consoleKey, user.totpSecretSealed);
    } catch {
      return fail("totp_secret_unreadable");
    }
    const check = checkTotp(secret, code, at, user.totpLastStep);
    if (!check.ok && check.reason === "replayed") return fail("totp_replayed", REPLAYED);
    if (!check.ok) return fail("bad_totp");
    if (!claimTotpStep(db, user.id, check.step)) return fail("totp_replayed", REPLAYED);
  } else if (code.length > 0 && useRecoveryCode(db, user.id, code, at)) {
    appendAudit(db, { at, actor, action: "auth.recovery_code_used", address, detail: { left: unusedRecoveryCodes(db, user.id) } });
  } else {
    return fail(code.length === 0 ? "no_code" : "bad_code");
  }
  db.prepare("DELETE FROM auth_failures WHERE account = ?").run(account);
  return { ok: true, user };
}

const REPLAYED = "This code was already used. Wait for the next code from your authenticator app.";

/** Checks password and second factor together; on success creates the session (a new id every login). */
export async function login(web: Web, input: { username: string; password: string; code: string; address: string }): Promise<LoginResult> {
  const r = await authenticate(web, input, "login");
  if (!r.ok) return r;
  const { user } = r;
  const at = web.now();
  const maxAge = web.passwordMaxAgeDays;
  const mustChangePassword = maxAge !== undefined && at - user.passwordChangedAt > maxAge * 86_400_000;
  const cookie = web.db.transaction(() => {
    const id = createSession(web.db, user.id, at, input.address, mustChangePassword);
    appendAudit(web.db, { at, actor: `user:${user.username}`, action: "login.success", address: input.address, detail: { role: user.role, must_change_password: mustChangePassword } });
    return id;
  })();
  return { ok: true, user, cookie, mustChangePassword };
}
