/**
 * The console's rows: users, sessions, one-time links, recovery codes. Parameterized SQL only;
 * tokens are stored as sha256 (see tokens.ts). Callers audit the changes they make.
 */
import type { Db } from "../../agent/store/db.js";
import { randomBytes } from "node:crypto";
import { newToken, tokenHash } from "./tokens.js";

const B32 = "abcdefghijklmnopqrstuvwxyz234567";
function base32(buf: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const b of buf) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

export const ROLES = ["admin", "manager", "viewer"] as const;
export type Role = (typeof ROLES)[number];

/** Lower-case letters, digits, dot, dash, underscore; 1–64 characters; starts with a letter or digit. */
export const USERNAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export interface User {
  id: number;
  username: string;
  role: Role;
  passwordHash: string;
  passwordChangedAt: number;
  totpSecretSealed: string;
  totpLastStep: number;
  createdAt: number;
  createdBy: string;
  disabledAt: number | null;
}

interface UserRow {
  id: number;
  username: string;
  role: Role;
  password_hash: string;
  password_changed_at: number;
  totp_secret_sealed: string;
  totp_last_step: number;
  created_at: number;
  created_by: string;
  disabled_at: number | null;
}

const toUser = (r: UserRow): User => ({
  id: r.id,
  username: r.username,
  role: r.role,
  passwordHash: r.password_hash,
  passwordChangedAt: r.password_changed_at,
  totpSecretSealed: r.totp_secret_sealed,
  totpLastStep: r.totp_last_step,
  createdAt: r.created_at,
  createdBy: r.created_by,
  disabledAt: r.disabled_at,
});

export function countUsers(db: Db): number {
  return (db.prepare("SELECT count(*) AS n FROM users").get() as { n: number }).n;
}

export function userByName(db: Db, username: string): User | undefined {
  const r = db.prepare("SELECT * FROM users WHERE username = ?").get(username) as UserRow | undefined;
  return r && toUser(r);
}

export function userById(db: Db, id: number): User | undefined {
  const r = db.prepare("SELECT * FROM users WHERE id = ?").get(id) as UserRow | undefined;
  return r && toUser(r);
}

export function listUsers(db: Db): User[] {
  return (db.prepare("SELECT * FROM users ORDER BY username").all() as UserRow[]).map(toUser);
}

export function insertUser(
  db: Db,
  u: { username: string; role: Role; passwordHash: string; totpSecretSealed: string; totpLastStep: number; createdBy: string; now: number },
): number {
  const info = db
    .prepare(
      `INSERT INTO users (username, role, password_hash, password_changed_at, totp_secret_sealed, totp_last_step, created_at, created_by)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(u.username, u.role, u.passwordHash, u.now, u.totpSecretSealed, u.totpLastStep, u.now, u.createdBy);
  return Number(info.lastInsertRowid);
}

/** Records the TOTP step just accepted, only if it is newer (so two racing logins cannot both use one code). */
export function claimTotpStep(db: Db, userId: number, step: number): boolean {
  return db.prepare("UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?").run(step, userId, step).changes === 1;
}

/** Replaces password and second factor (a reset link was used). */
export function resetCredentials(db: Db, userId: number, c: { passwordHash: string; totpSecretSealed: string; totpLastStep: number; now: number }): void {
  db.prepare("UPDATE users SET password_hash = ?, password_changed_at = ?, totp_secret_sealed = ?, totp_last_step = ? WHERE id = ?").run(c.passwordHash, c.now, c.totpSecretSealed, c.totpLastStep, userId);
}

export function setPassword(db: Db, userId: number, hash: string, now: number): void {
  db.prepare("UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?").run(hash, now, userId);
}

export function setRole(db: Db, userId: number, role: Role): void {
  db.prepare("UPDATE users SET role = ? WHERE id = ?").run(role, userId);
}

export function setDisabled(db: Db, userId: number, at: number | null): void {
  db.prepare("UPDATE users SET disabled_at = ? WHERE id = ?").run(at, userId);
}

export function countActiveAdmins(db: Db): number {
  return (db.prepare("SELECT count(*) AS n FROM users WHERE role = 'admin' AND disabled_at IS NULL").get() as { n: number }).n;
}

// ---- sessions

export interface Session {
  idHash: string;
  userId: number;
  createdAt: number;
  lastSeenAt: number;
  reauthAt: number;
  address: string;
  mustChangePassword: boolean;
}

/** Creates a session; returns the cookie value (only its hash is stored). */
export function createSession(db: Db, userId: number, now: number, address: string, mustChangePassword: boolean): string {
  const id = newToken(16);
  db.prepare("INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, reauth_at, address, must_change_pw) VALUES (?, ?, ?, ?, ?, ?, ?)").run(
    tokenHash(id),
    userId,
    now,
    now,
    now,
    address,
    mustChangePassword ? 1 : 0,
  );
  return id;
}

export function sessionByCookie(db: Db, cookie: string): Session | undefined {
  const r = db.prepare("SELECT * FROM sessions WHERE id_hash = ?").get(tokenHash(cookie)) as
    | { id_hash: string; user_id: number; created_at: number; last_seen_at: number; reauth_at: number; address: string; must_change_pw: number }
    | undefined;
  return r && { idHash: r.id_hash, userId: r.user_id, createdAt: r.created_at, lastSeenAt: r.last_seen_at, reauthAt: r.reauth_at, address: r.address, mustChangePassword: r.must_change_pw === 1 };
}

export function touchSession(db: Db, idHash: string, now: number): void {
  db.prepare("UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?").run(now, idHash);
}

export function markReauth(db: Db, idHash: string, now: number): void {
  db.prepare("UPDATE sessions SET reauth_at = ? WHERE id_hash = ?").run(now, idHash);
}

export function clearMustChange(db: Db, userId: number): void {
  db.prepare("UPDATE sessions SET must_change_pw = 0 WHERE user_id = ?").run(userId);
}

export function deleteSession(db: Db, idHash: string): void {
  db.prepare("DELETE FROM sessions WHERE id_hash = ?").run(idHash);
}

/** Ends every session of a user (disable, password change elsewhere). Returns how many. */
export function deleteUserSessions(db: Db, userId: number, exceptIdHash = ""): number {
  return db.prepare("DELETE FROM sessions WHERE user_id = ? AND id_hash != ?").run(userId, exceptIdHash).changes;
}

export function pruneSessions(db: Db, idleBefore: number, createdBefore: number): number {
  return db.prepare("DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?").run(idleBefore, createdBefore).changes;
}

// ---- one-time links

export const LINK_TTL_MS = 24 * 3_600_000;

export type EnrollmentKind = "setup" | "enroll" | "reset";

export interface Enrollment {
  tokenHash: string;
  kind: EnrollmentKind;
  username: string | null;
  role: Role;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
  createdBy: string;
}

/** Creates a one-time link token (24 h). The token is returned once and stored hashed. */
export function createEnrollment(db: Db, e: { kind: EnrollmentKind; username: string | null; role: Role; createdBy: string; now: number }): string {
  const token = newToken(16);
  db.prepare("INSERT INTO enrollments (token_hash, kind, username, role, created_at, expires_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)").run(
    tokenHash(token),
    e.kind,
    e.username,
    e.role,
    e.now,
    e.now + LINK_TTL_MS,
    e.createdBy,
  );
  return token;
}

/** A link that is still usable at `now`, by its token. */
export function usableEnrollment(db: Db, token: string, now: number): Enrollment | undefined {
  if (!/^[A-Za-z0-9_-]{16,64}$/.test(token)) return undefined;
  const r = db.prepare("SELECT * FROM enrollments WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?").get(tokenHash(token), now) as
    | { token_hash: string; kind: EnrollmentKind; username: string | null; role: Role; created_at: number; expires_at: number; used_at: number | null; created_by: string }
    | undefined;
  if (!r) return undefined;
  // A setup link is void once any user exists (the first admin was made another way).
  if (r.kind === "setup" && countUsers(db) > 0) return undefined;
  return {
    tokenHash: r.token_hash,
    kind: r.kind,
    username: r.username,
    role: r.role,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    usedAt: r.used_at,
    createdBy: r.created_by,
  };
}

/** Whether an unused, unexpired enrollment link already names this user. */
export function hasPendingEnrollment(db: Db, username: string, now: number): boolean {
  return db.prepare("SELECT 1 FROM enrollments WHERE username = ? AND used_at IS NULL AND expires_at > ?").get(username, now) !== undefined;
}

/** Marks a link used; false when it was used meanwhile (single use even under a race). */
export function consumeEnrollment(db: Db, tokenHashValue: string, now: number): boolean {
  return db.prepare("UPDATE enrollments SET used_at = ? WHERE token_hash = ? AND used_at IS NULL").run(now, tokenHashValue).changes === 1;
}

/** Whether an unexpired, unused setup link exists (so `serve` does not print a new one each start). */
export function hasUsableSetupLink(db: Db, now: number): boolean {
  return db.prepare("SELECT 1 FROM enrollments WHERE kind = 'setup' AND used_at IS NULL AND expires_at > ?").get(now) !== undefined;
}

// ---- recovery codes

/** Replaces a user's recovery codes with `n` new ones; returns them (shown once). */
export function newRecoveryCodes(db: Db, userId: number, n = 10): string[] {
  // 120 bits each (ASVS 2.6.2 asks 112 for an unsalted stored hash), base32 in groups of four.
  const codes = Array.from({ length: n }, () => base32(randomBytes(15)).match(/.{4}/g)!.join("-"));
  db.prepare("DELETE FROM recovery_codes WHERE user_id = ?").run(userId);
  const ins = db.prepare("INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)");
  for (const c of codes) ins.run(userId, tokenHash(c));
  return codes;
}

const RECOVERY_RE = /^[a-z2-7]{4}(-[a-z2-7]{4}){5}$/;

/** Whether `code` is one of the user's unused recovery codes (without using it). */
export function isUnusedRecoveryCode(db: Db, userId: number, code: string): boolean {
  const norm = code.trim().toLowerCase();
  return RECOVERY_RE.test(norm) && db.prepare("SELECT 1 FROM recovery_codes WHERE user_id = ? AND code_hash = ? AND used_at IS NULL").get(userId, tokenHash(norm)) !== undefined;
}

/** Uses a recovery code once; true when it was valid and unused. */
export function useRecoveryCode(db: Db, userId: number, code: string, now: number): boolean {
  const norm = code.trim().toLowerCase();
  if (!RECOVERY_RE.test(norm)) return false;
  return db.prepare("UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL").run(now, userId, tokenHash(norm)).changes === 1;
}

export function unusedRecoveryCodes(db: Db, userId: number): number {
  return (db.prepare("SELECT count(*) AS n FROM recovery_codes WHERE user_id = ? AND used_at IS NULL").get(userId) as { n: number }).n;
}
