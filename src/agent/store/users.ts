/**
 * Console users (table `users`).
 */
import type { Db } from "./db.js";
import { statementsFor } from "./statements.js";

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
