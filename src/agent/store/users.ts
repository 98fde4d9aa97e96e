/**
 * Console users, their one-time links (enrollments) and recovery codes. Secrets arrive already
 * hashed or sealed (src/web/auth makes them): this module only stores rows. Callers audit the
 * changes they make.
 *
 * Every write to `users` bumps a per-connection generation (`usersGeneration`): the session
 * cache (sessions.ts) keeps users in memory and drops them when it moves, so a role change, a
 * disable or a new password counts from the next request on.
 */
import type { Db } from "./db.js";
import { statementsFor } from "./statements.js";

export const ROLES = ["admin", "manager", "viewer"] as const;
export type Role = (typeof ROLES)[number];

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

interface EnrollmentRow {
  token_hash: string;
  kind: EnrollmentKind;
  username: string | null;
  role: Role;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  created_by: string;
}

const statements = statementsFor((db) => ({
  count: db.prepare<[], number>("SELECT count(*) FROM users").pluck(),
  byName: db.prepare<[string], UserRow>("SELECT * FROM users WHERE username = ?"),
  byId: db.prepare<[number], UserRow>("SELECT * FROM users WHERE id = ?"),
  all: db.prepare<[], UserRow>("SELECT * FROM users ORDER BY username"),
  insert: db.prepare<[string, Role, string, number, string, number, number, string]>(
    `INSERT INTO users (username, role, password_hash, password_changed_at, totp_secret_sealed, totp_last_step, created_at, created_by)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  ),
  claimTotp: db.prepare<[number, number, number]>("UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?"),
  reset: db.prepare<[string, number, string, number, number]>("UPDATE users SET password_hash = ?, password_changed_at = ?, totp_secret_sealed = ?, totp_last_step = ? WHERE id = ?"),
  setPassword: db.prepare<[string, number, number]>("UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?"),
  setRole: db.prepare<[Role, number]>("UPDATE users SET role = ? WHERE id = ?"),
  setDisabled: db.prepare<[number | null, number]>("UPDATE users SET disabled_at = ? WHERE id = ?"),
  activeAdmins: db.prepare<[], number>("SELECT count(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL").pluck(),

  insertEnrollment: db.prepare<[string, EnrollmentKind, string | null, Role, number, number, string]>(
    "INSERT INTO enrollments (token_hash, kind, username, role, created_at, expires_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
  ),
  usableEnrollment: db.prepare<[string, number], EnrollmentRow>("SELECT * FROM enrollments WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?"),
  pendingFor: db.prepare<[string, number], number>("SELECT 1 FROM enrollments WHERE username = ? AND used_at IS NULL AND expires_at > ?").pluck(),
  consume: db.prepare<[number, string]>("UPDATE enrollments SET used_at = ? WHERE token_hash = ? AND used_at IS NULL"),
  voidPending: db.prepare<[number, string]>("UPDATE enrollments SET used_at = ? WHERE username = ? AND used_at IS NULL"),
  usableSetup: db.prepare<[number], number>("SELECT 1 FROM enrollments WHERE kind = 'setup' AND used_at IS NULL AND expires_at > ?").pluck(),

  dropCodes: db.prepare<[number]>("DELETE FROM recovery_codes WHERE user_id = ?"),
  insertCode: db.prepare<[number, string]>("INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)"),
  unusedCode: db.prepare<[number, string], number>("SELECT 1 FROM recovery_codes WHERE user_id = ? AND code_hash = ? AND used_at IS NULL").pluck(),
  useCode: db.prepare<[number, number, string]>("UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL"),
  unusedCodes: db.prepare<[number], number>("SELECT count(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL").pluck(),
}));

const generations = new WeakMap<Db, number>();

/** Moves at every write to `users` on this connection (what the session cache checks). */
export function usersGeneration(db: Db): number {
  return generations.get(db) ?? 0;
}

/** Runs a write to `users` and moves the generation (also when it throws: a rollback is a change too). */
function changing<T>(db: Db, write: () => T): T {
  try {
    return write();
  } finally {
    generations.set(db, usersGeneration(db) + 1);
  }
}

/** How many users exist (none: the setup link is offered). */
export function countUsers(db: Db): number {
  return statements(db).count.get() as number;
}

/** A user by (normalized) name. */
export function userByName(db: Db, username: string): User | undefined {
  const r = statements(db).byName.get(username);
  return r && toUser(r);
}

/** A user by id. */
export function userById(db: Db, id: number): User | undefined {
  const r = statements(db).byId.get(id);
  return r && toUser(r);
}

/** Every user, by name. */
export function listUsers(db: Db): User[] {
  return statements(db).all.all().map(toUser);
}

/** Adds a user; returns its id. */
export function insertUser(
  db: Db,
  u: { username: string; role: Role; passwordHash: string; totpSecretSealed: string; totpLastStep: number; createdBy: string; now: number },
): number {
  return changing(db, () => Number(statements(db).insert.run(u.username, u.role, u.passwordHash, u.now, u.totpSecretSealed, u.totpLastStep, u.now, u.createdBy).lastInsertRowid));
}

/** Records the TOTP step just accepted, only if it is newer (so two racing logins cannot both use one code). */
export function claimTotpStep(db: Db, userId: number, step: number): boolean {
  return changing(db, () => statements(db).claimTotp.run(step, userId, step).changes === 1);
}

/** Replaces password and second factor (a reset link was used). */
export function resetCredentials(db: Db, userId: number, c: { passwordHash: string; totpSecretSealed: string; totpLastStep: number; now: number }): void {
  changing(db, () => statements(db).reset.run(c.passwordHash, c.now, c.totpSecretSealed, c.totpLastStep, userId));
}

/** Sets a new password hash. */
export function setPassword(db: Db, userId: number, hash: string, now: number): void {
  changing(db, () => statements(db).setPassword.run(hash, now, userId));
}

/** Changes a user's role. */
export function setRole(db: Db, userId: number, role: Role): void {
  changing(db, () => statements(db).setRole.run(role, userId));
}

/** Disables a user at `at`, or enables it again (null). */
export function setDisabled(db: Db, userId: number, at: number | null): void {
  changing(db, () => statements(db).setDisabled.run(at, userId));
}

/** Administrators not disabled (the last one cannot be demoted or disabled). */
export function countActiveAdmins(db: Db): number {
  return statements(db).activeAdmins.get() as number;
}

// ---- one-time links

/** Stores a one-time link by the hash of its token. */
export function insertEnrollment(db: Db, e: { tokenHash: string; kind: EnrollmentKind; username: string | null; role: Role; createdBy: string; createdAt: number; expiresAt: number }): void {
  statements(db).insertEnrollment.run(e.tokenHash, e.kind, e.username, e.role, e.createdAt, e.expiresAt, e.createdBy);
}

/** An unused link not expired at `now`, by the hash of its token. */
export function usableEnrollmentByHash(db: Db, tokenHash: string, now: number): Enrollment | undefined {
  const r = statements(db).usableEnrollment.get(tokenHash, now);
  return (
    r && {
      tokenHash: r.token_hash,
      kind: r.kind,
      username: r.username,
      role: r.role,
      createdAt: r.created_at,
      expiresAt: r.expires_at,
      usedAt: r.used_at,
      createdBy: r.created_by,
    }
  );
}

/** Whether an unused, unexpired enrollment link already names this user. */
export function hasPendingEnrollment(db: Db, username: string, now: number): boolean {
  return statements(db).pendingFor.get(username, now) !== undefined;
}

/** Marks a link used; false when it was used meanwhile (single use even under a race). */
export function consumeEnrollment(db: Db, tokenHash: string, now: number): boolean {
  return statements(db).consume.run(now, tokenHash).changes === 1;
}

/** Voids every unused link naming `username` (a new reset link replaces them). */
export function voidPendingEnrollments(db: Db, username: string, now: number): number {
  return statements(db).voidPending.run(now, username).changes;
}

/** Whether an unexpired, unused setup link exists (so `serve` does not print a new one each start). */
export function hasUsableSetupLink(db: Db, now: number): boolean {
  return statements(db).usableSetup.get(now) !== undefined;
}

// ---- recovery codes

/** Replaces a user's recovery codes with these hashes. */
export function replaceRecoveryCodes(db: Db, userId: number, codeHashes: readonly string[]): void {
  const s = statements(db);
  db.transaction(() => {
    s.dropCodes.run(userId);
    for (const h of codeHashes) s.insertCode.run(userId, h);
  })();
}

/** Whether this hash is one of the user's unused recovery codes (without using it). */
export function isUnusedRecoveryCodeHash(db: Db, userId: number, codeHash: string): boolean {
  return statements(db).unusedCode.get(userId, codeHash) !== undefined;
}

/** Uses a recovery code once; true when it was unused. */
export function useRecoveryCodeHash(db: Db, userId: number, codeHash: string, now: number): boolean {
  return statements(db).useCode.run(now, userId, codeHash).changes === 1;
}

/** How many of the user's recovery codes are left. */
export function unusedRecoveryCodes(db: Db, userId: number): number {
  return statements(db).unusedCodes.get(userId) as number;
}

// --- compliance reads

const complianceStatements = statementsFor((db: Db) => ({
  enabledTotp: db.prepare<[], { username: string; totp_secret_sealed: string }>("SELECT username, totp_secret_sealed FROM users WHERE disabled_at IS NULL ORDER BY username"),
  roles: db.prepare<[], { username: string; role: string; disabled_at: number | null }>("SELECT username, role, disabled_at FROM users ORDER BY username"),
}));

/** Enabled console users and whether each has a TOTP secret (the two-factor control). */
export function enabledUsersTotp(db: Db): { username: string; hasTotp: boolean }[] {
  return complianceStatements(db).enabledTotp.all().map((r) => ({ username: r.username, hasTotp: r.totp_secret_sealed !== "" }));
}

/** Every console user with role and whether disabled (the access review's prefill). */
export function usersWithRoles(db: Db): { username: string; role: string; disabled_at: number | null }[] {
  return complianceStatements(db).roles.all();
}
