/**
 * The console's credentials on top of the store (src/agent/store/users.ts, sessions.ts): cookie
 * values, link tokens and recovery codes are made here and stored only as sha256 (see tokens.ts).
 * Callers audit the changes they make.
 */
import type { Db } from "../../agent/store/db.js";
import { randomBytes } from "node:crypto";
import { insertSession, liveSession, type Session } from "../../agent/store/sessions.js";
import {
  countUsers,
  insertEnrollment,
  isUnusedRecoveryCodeHash,
  replaceRecoveryCodes,
  usableEnrollmentByHash,
  useRecoveryCodeHash,
  type Enrollment,
  type EnrollmentKind,
  type Role,
} from "../../agent/store/users.js";
import { newToken, tokenHash } from "./tokens.js";

export {
  claimTotpStep,
  consumeEnrollment,
  countActiveAdmins,
  countUsers,
  hasPendingEnrollment,
  hasUsableSetupLink,
  insertUser,
  listUsers,
  resetCredentials,
  ROLES,
  setDisabled,
  setPassword,
  setRole,
  unusedRecoveryCodes,
  userById,
  userByName,
  type Enrollment,
  type EnrollmentKind,
  type Role,
  type User,
} from "../../agent/store/users.js";
export { clearMustChange, deleteSession, deleteUserSessions, markReauth, pruneSessions, touchSession, type Session } from "../../agent/store/sessions.js";

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

/** Lower-case letters, digits, dot, dash, underscore; 1–64 characters; starts with a letter or digit. */
export const USERNAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

// ---- sessions

/** Creates a session; returns the cookie value (only its hash is stored). */
export function createSession(db: Db, userId: number, now: number, address: string, mustChangePassword: boolean): string {
  const id = newToken(16);
  insertSession(db, { idHash: tokenHash(id), userId, now, address, mustChangePassword });
  return id;
}

/** The session a cookie value names, if it exists (from memory when nothing changed). */
export function sessionByCookie(db: Db, cookie: string): Session | undefined {
  return liveSession(db, tokenHash(cookie))?.session;
}

// ---- one-time links

export const LINK_TTL_MS = 24 * 3_600_000;

/** Creates a one-time link token (24 h). The token is returned once and stored hashed. */
export function createEnrollment(db: Db, e: { kind: EnrollmentKind; username: string | null; role: Role; createdBy: string; now: number }): string {
  const token = newToken(16);
  insertEnrollment(db, { tokenHash: tokenHash(token), kind: e.kind, username: e.username, role: e.role, createdBy: e.createdBy, createdAt: e.now, expiresAt: e.now + LINK_TTL_MS });
  return token;
}

/** A link that is still usable at `now`, by its token. */
export function usableEnrollment(db: Db, token: string, now: number): Enrollment | undefined {
  if (!/^[A-Za-z0-9_-]{16,64}$/.test(token)) return undefined;
  const e = usableEnrollmentByHash(db, tokenHash(token), now);
  // A setup link is void once any user exists (the first admin was made another way).
  if (!e || (e.kind === "setup" && countUsers(db) > 0)) return undefined;
  return e;
}

// ---- recovery codes

/** Replaces a user's recovery codes with `n` new ones; returns them (shown once). */
export function newRecoveryCodes(db: Db, userId: number, n = 10): string[] {
  // 120 bits each (ASVS 2.6.2 asks 112 for an unsalted stored hash), base32 in groups of four.
  const codes = Array.from({ length: n }, () => base32(randomBytes(15)).match(/.{4}/g)!.join("-"));
  replaceRecoveryCodes(db, userId, codes.map(tokenHash));
  return codes;
}

const RECOVERY_RE = /^[a-z2-7]{4}(-[a-z2-7]{4}){5}$/;

/** Whether `code` is one of the user's unused recovery codes (without using it). */
export function isUnusedRecoveryCode(db: Db, userId: number, code: string): boolean {
  const norm = code.trim().toLowerCase();
  return RECOVERY_RE.test(norm) && isUnusedRecoveryCodeHash(db, userId, tokenHash(norm));
}

/** Uses a recovery code once; true when it was valid and unused. */
export function useRecoveryCode(db: Db, userId: number, code: string, now: number): boolean {
  const norm = code.trim().toLowerCase();
  return RECOVERY_RE.test(norm) && useRecoveryCodeHash(db, userId, tokenHash(norm), now);
}
