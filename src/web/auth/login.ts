/**
 * Login: throttle first (cheap; see throttle.ts), then password (argon2id), then the second factor (TOTP, each
 * step once, or a single-use recovery code). Every outcome is audited; nothing typed by the user
 * reaches the audit log except the name of an existing account.
 */
import { createHmac } from "node:crypto";
import { appendAudit } from "../../agent/audit.js";
import { forgiveFailures } from "../../agent/store/auth-failures.js";
import type { Web } from "../context.js";
import { BUSY_RETRY_AFTER_S, HashQueueFull, hashSlots, verifyPassword } from "./passwords.js";
import { claimTotpStep, createSession, isUnusedRecoveryCode, unusedRecoveryCodes, useRecoveryCode, userByName, type User } from "./store.js";
import { checkThrottle, recordFailure, throttleAddress } from "./throttle.js";
import { checkTotp } from "./totp.js";
import { unseal } from "./tokens.js";

export type LoginResult =
  | { ok: true; user: User; cookie: string; mustChangePassword: boolean }
  | { ok: false; status: 401 | 429 | 503; message: string; retryAfterMs?: number };

const GENERIC = "Wrong user name, password or code.";

/** Normalizes a typed user name for lookups and throttling (bounded, lower-case). */
export function normalizeUsername(s: string): string {
  return s.trim().toLowerCase().slice(0, 64);
}

export type AuthResult = { ok: true; user: User } | { ok: false; status: 401 | 429 | 503; message: string; retryAfterMs?: number };

const BUSY = { ok: false as const, status: 503 as const, retryAfterMs: BUSY_RETRY_AFTER_S * 1000, message: `The console is busy checking other sign-ins. Try again in ${BUSY_RETRY_AFTER_S} seconds.` };

/**
 * Checks the throttle, the password and the second factor, audits the outcome under `purpose`
 * (login or reauth) and records failures for throttling. Creates nothing.
 */
export async function authenticate(web: Web, input: { username: string; password: string; code: string; address: string }, purpose: "login" | "reauth"): Promise<AuthResult> {
  const { db } = web;
  const account = normalizeUsername(input.username);
  const user = userByName(db, account);
  // A name that is no account is often a password typed in the wrong field: it is neither audited
  // nor kept in the throttling table in clear (that table holds a keyed hash of every name).
  const actor = user ? `user:${user.username}` : "user:(unknown)";
  const accountKey = throttleAccount(web.consoleKey, account);
  const address = input.address;
  const addressKey = throttleAddress(address);
  const now = web.now();
  // A valid recovery code passes the account's ceiling (reached only by guessing from many places).
  const recoveryCode = user !== undefined && isUnusedRecoveryCode(db, user.id, input.code);
  const verdict = checkThrottle(db, accountKey, addressKey, now, { recoveryCode });
  if (!verdict.allowed) {
    if (throttleAuditDue(db, [`account:${accountKey}`, `address:${addressKey}`], now)) appendAudit(db, { at: now, actor, action: `${purpose}.throttled`, address, detail: { reason: verdict.reason, retry_after_s: Math.ceil(verdict.retryAfterMs / 1000) } });
    const wait = Math.ceil(verdict.retryAfterMs / 1000);
    const when = `Try again in ${wait} second${wait === 1 ? "" : "s"}`;
    const message =
      verdict.reason === "account_limit"
        ? `This account had too many failed sign-ins from many places in the last hour. Sign in with one of your recovery codes, or ${when.toLowerCase()}.`
        : `Too many failed attempts. ${when}.`;
    return { ok: false, status: 429, retryAfterMs: verdict.retryAfterMs, message };
  }
  // Refused before it counts when every password-hash slot and place in line is taken.
  if (!hashSlots.hasRoom()) return BUSY;
  // The attempt counts as a failure from now until it succeeds: checked and recorded in one
  // synchronous step, so parallel attempts racing through the password check see each other.
  recordFailure(db, accountKey, addressKey, now);
  const fail = (reason: string, message = GENERIC): AuthResult => {
    appendAudit(db, { at: web.now(), actor, action: `${purpose}.failure`, address, detail: { reason } });
    return { ok: false, status: 401, message };
  };

  let passwordOk: boolean;
  try {
    passwordOk = await verifyPassword(user?.passwordHash, input.password);
  } catch (e) {
    if (e instanceof HashQueueFull) return BUSY;
    throw e;
  }
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
  // Only this address's failures for the account are forgiven: an attacker's elsewhere stay counted.
  forgiveFailures(db, accountKey, addressKey);
  return { ok: true, user };
}

/**
 * Checks the current password of a signed-in user (a password change asks for it, ASVS 2.1.6):
 * throttled and counted like a login, so a stolen session cannot guess it at leisure.
 */
export async function checkCurrentPassword(web: Web, user: User, password: string, address: string): Promise<{ ok: true } | { ok: false; status: 400 | 429 | 503; message: string; retryAfterMs?: number }> {
  const { db } = web;
  const accountKey = throttleAccount(web.consoleKey, user.username);
  const addressKey = throttleAddress(address);
  const now = web.now();
  const verdict = checkThrottle(db, accountKey, addressKey, now);
  if (!verdict.allowed) return { ok: false, status: 429, retryAfterMs: verdict.retryAfterMs, message: `Too many failed attempts. Try again in ${Math.ceil(verdict.retryAfterMs / 1000)} seconds.` };
  if (!hashSlots.hasRoom()) return BUSY;
  recordFailure(db, accountKey, addressKey, now);
  let ok: boolean;
  try {
    ok = await verifyPassword(user.passwordHash, password);
  } catch (e) {
    if (e instanceof HashQueueFull) return BUSY;
    throw e;
  }
  if (!ok) {
    appendAudit(db, { at: web.now(), actor: `user:${user.username}`, action: "user.password_change_refused", target: `user:${user.username}`, address, detail: { reason: "bad_current_password" } });
    return { ok: false, status: 400, message: "The current password is not right." };
  }
  forgiveFailures(db, accountKey, addressKey);
  return { ok: true };
}

const THROTTLE_AUDIT_EVERY_MS = 60_000;
const lastThrottleAudit = new WeakMap<Web["db"], Map<string, number>>();

/**
 * Whether a throttled refusal should be audited now: at most once a minute per throttled account
 * or address. Refusals cost an attacker nothing, and the audit log is append-only and re-verified
 * in full when rows are added, so one row per refusal would let anyone grow it without bound.
 */
function throttleAuditDue(db: Web["db"], keys: string[], now: number): boolean {
  let seen = lastThrottleAudit.get(db);
  if (!seen) lastThrottleAudit.set(db, (seen = new Map()));
  const recent = (k: string) => {
    const t = seen.get(k);
    return t !== undefined && now >= t && now - t < THROTTLE_AUDIT_EVERY_MS;
  };
  if (keys.some(recent)) return false;
  if (seen.size > 10_000) seen.clear();
  for (const k of keys) seen.set(k, now);
  return true;
}

/** The throttling key of a typed account name: a keyed hash, so a mistyped password is not kept. */
export function throttleAccount(consoleKey: Buffer, account: string): string {
  return createHmac("sha256", consoleKey).update("gatehouse-throttle-account\0").update(account).digest("hex");
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
