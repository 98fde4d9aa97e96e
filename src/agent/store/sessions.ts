/**
 * Console sessions, looked up from memory with their user, activity written behind.
 *
 * Every console request checks its session; reading two rows and writing the activity took about
 * a quarter of an overview request. So a session found once is kept in memory with its user, and
 * its last activity is updated there and written to the database in batches (at most every
 * `FLUSH_EVERY_MS`, before pruning, and when the console stops: `flushSessionActivity`).
 *
 * What is kept is dropped as soon as it may be stale, so revocation counts at once:
 * - any write through this module other than activity (sign-out, re-authentication, a user's
 *   sessions ended) and any write to `users` (users.ts moves its generation: disable, role,
 *   password) forget the kept entries of this connection;
 * - another connection or process committing to the file (a CLI command, sqlite3 by hand) moves
 *   `PRAGMA data_version`, read before every lookup: everything kept is forgotten.
 * Entries are filled only outside a transaction, so a rolled-back write is never remembered.
 * The activity not yet written survives a forget (it is kept apart and laid over what is read).
 */
import { dataVersion, unseenWrite } from "./changes.js";
import type { Db } from "./db.js";
import { statementsFor } from "./statements.js";
import { userById, usersGeneration, type User } from "./users.js";

export interface Session {
  idHash: string;
  userId: number;
  createdAt: number;
  /** Last activity (in memory: the database may lag by up to FLUSH_EVERY_MS). */
  lastSeenAt: number;
  reauthAt: number;
  address: string;
  mustChangePassword: boolean;
}

interface SessionRow {
  id_hash: string;
  user_id: number;
  created_at: number;
  last_seen_at: number;
  reauth_at: number;
  address: string;
  must_change_pw: number;
}

/**
 * Activity reaches the database at most this long after it happened (and at shutdown, and before
 * a prune). Each write is a commit with an fsync (~15 ms of the event loop on a small box), so not
 * more often: the 15-minute idle limit is checked in memory, and the database's copy only matters
 * across a restart, where it is never staler than the 30 s the console touched sessions at before.
 */
export const FLUSH_EVERY_MS = 30_000;
/** More kept sessions than this and the memory starts over (a console has a handful). */
const MAX_KEPT = 10_000;

const statements = statementsFor((db) => ({
  insert: db.prepare<[string, number, number, number, number, string, number]>(
    "INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, reauth_at, address, must_change_pw) VALUES (?, ?, ?, ?, ?, ?, ?)",
  ),
  byHash: db.prepare<[string], SessionRow>("SELECT * FROM sessions WHERE id_hash = ?"),
  touch: db.prepare<[number, string]>("UPDATE sessions SET last_seen_at = max(last_seen_at, ?) WHERE id_hash = ?"),
  reauth: db.prepare<[number, string]>("UPDATE sessions SET reauth_at = ? WHERE id_hash = ?"),
  clearMustChange: db.prepare<[number]>("UPDATE sessions SET must_change_pw = 0 WHERE user_id = ?"),
  delete: db.prepare<[string]>("DELETE FROM sessions WHERE id_hash = ?"),
  deleteOfUser: db.prepare<[number, string]>("DELETE FROM sessions WHERE user_id = ? AND id_hash != ?"),
  prune: db.prepare<[number, number]>("DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?"),
  perUser: db.prepare<[], { user_id: number; n: number }>("SELECT user_id, count(*) AS n FROM sessions GROUP BY user_id"),
}));

interface Kept {
  session: Session;
  user: User;
}

interface Memory {
  dataVersion: number;
  usersGeneration: number;
  kept: Map<string, Kept>;
  /** Activity not yet written: id hash → last seen. */
  pending: Map<string, number>;
  timer: NodeJS.Timeout | undefined;
}

const memories = new WeakMap<Db, Memory>();

function memoryOf(db: Db): Memory {
  let m = memories.get(db);
  if (!m) memories.set(db, (m = { dataVersion: -1, usersGeneration: -1, kept: new Map(), pending: new Map(), timer: undefined }));
  return m;
}

/** Forgets what is kept (a write changed sessions or users). */
function forget(db: Db): void {
  memoryOf(db).kept.clear();
}

/** Runs a write to `sessions` and forgets what is kept (also when it throws). */
function changing<T>(db: Db, write: () => T): T {
  try {
    return write();
  } finally {
    forget(db);
  }
}

const toSession = (r: SessionRow, pendingSeen: number | undefined): Session => ({
  idHash: r.id_hash,
  userId: r.user_id,
  createdAt: r.created_at,
  lastSeenAt: Math.max(r.last_seen_at, pendingSeen ?? 0),
  reauthAt: r.reauth_at,
  address: r.address,
  mustChangePassword: r.must_change_pw === 1,
});

/** Stores a new session by the hash of its cookie value. */
export function insertSession(db: Db, s: { idHash: string; userId: number; now: number; address: string; mustChangePassword: boolean }): void {
  statements(db).insert.run(s.idHash, s.userId, s.now, s.now, s.now, s.address, s.mustChangePassword ? 1 : 0);
}

/**
 * The session with this id hash and its user, from memory when nothing changed since it was
 * read. The objects returned are the kept ones: read them, do not change them.
 */
export function liveSession(db: Db, idHash: string): { session: Session; user: User } | undefined {
  const m = memoryOf(db);
  const version = dataVersion(db);
  const generation = usersGeneration(db);
  if (version !== m.dataVersion || generation !== m.usersGeneration) {
    m.kept.clear();
    m.dataVersion = version;
    m.usersGeneration = generation;
  }
  const hit = m.kept.get(idHash);
  if (hit) return hit;
  const row = statements(db).byHash.get(idHash);
  const user = row && userById(db, row.user_id);
  if (!row || !user) return undefined;
  const found = { session: toSession(row, m.pending.get(idHash)), user };
  if (!db.inTransaction) {
    if (m.kept.size >= MAX_KEPT) m.kept.clear();
    m.kept.set(idHash, found);
  }
  return found;
}

/**
 * Records activity on a session at `now`: at once in memory (the idle limit reads it there),
 * in the database within FLUSH_EVERY_MS.
 */
export function touchSession(db: Db, idHash: string, now: number): void {
  const m = memoryOf(db);
  const kept = m.kept.get(idHash);
  if (kept && now > kept.session.lastSeenAt) kept.session.lastSeenAt = now;
  m.pending.set(idHash, Math.max(now, m.pending.get(idHash) ?? 0));
  schedule(db, m);
}

/** Writes the pending activity FLUSH_EVERY_MS from now (once; again later if the database was busy). */
function schedule(db: Db, m: Memory): void {
  if (m.timer) return;
  m.timer = setTimeout(() => {
    m.timer = undefined;
    try {
      flushSessionActivity(db);
    } catch {
      // Busy or closing: the activity stays pending for the next try.
      if (db.open) schedule(db, m);
    }
  }, FLUSH_EVERY_MS).unref();
}

/**
 * Writes the pending activity in one transaction (the overview's change signal does not move:
 * it shows no sessions). Returns how many sessions were written. A no-op on a closed database.
 */
export function flushSessionActivity(db: Db): number {
  const m = memoryOf(db);
  if (m.pending.size === 0 || !db.open) return 0;
  const touch = statements(db).touch;
  const batch = [...m.pending];
  unseenWrite(db, () =>
    db.transaction(() => {
      for (const [idHash, at] of batch) touch.run(at, idHash);
    })(),
  );
  for (const [idHash, at] of batch) if (m.pending.get(idHash) === at) m.pending.delete(idHash);
  return batch.length;
}

/** Records a fresh re-authentication (password and code given again). */
export function markReauth(db: Db, idHash: string, now: number): void {
  changing(db, () => statements(db).reauth.run(now, idHash));
}

/** The user changed their password: no session of theirs asks for it any more. */
export function clearMustChange(db: Db, userId: number): void {
  changing(db, () => statements(db).clearMustChange.run(userId));
}

/** Ends one session. */
export function deleteSession(db: Db, idHash: string): void {
  memoryOf(db).pending.delete(idHash);
  changing(db, () => statements(db).delete.run(idHash));
}

/** Ends every session of a user but `exceptIdHash` (disable, password change elsewhere). Returns how many. */
export function deleteUserSessions(db: Db, userId: number, exceptIdHash = ""): number {
  return changing(db, () => statements(db).deleteOfUser.run(userId, exceptIdHash).changes);
}

/** Deletes sessions idle since before `idleBefore` or created before `createdBefore` (pending activity written first). */
export function pruneSessions(db: Db, idleBefore: number, createdBefore: number): number {
  flushSessionActivity(db);
  return changing(db, () => statements(db).prune.run(idleBefore, createdBefore).changes);
}

/** Open sessions per user id (the users page). */
export function sessionCountsByUser(db: Db): Map<number, number> {
  return new Map(statements(db).perUser.all().map((r) => [r.user_id, r.n]));
}
