/**
 * Cheap change detection on a connection, for what is kept in memory above the store (the
 * console's overview, sessions, the monitor page's status strip):
 *
 * - `PRAGMA data_version` moves whenever *another* connection commits to the file — a CLI process
 *   (`gatehouse register add`, `user add`, `check`) or a second connection of this one. It does not
 *   move for this connection's own commits, hence:
 * - `total_changes()`: rows this connection (the daemon's single writer) has inserted, updated or
 *   deleted, triggers included.
 *
 * Both are read by statements prepared once per connection; no table is read.
 */
import type { Db } from "./db.js";
import { statementsFor } from "./statements.js";

const statements = statementsFor((db) => ({
  both: db.prepare<[], { own: number; other: number }>("SELECT total_changes() AS own, (SELECT data_version FROM pragma_data_version) AS other"),
  total: db.prepare<[], number>("SELECT total_changes()").pluck(),
  dataVersion: db.prepare<[], number>("SELECT data_version FROM pragma_data_version").pluck(),
}));

/** Rows this connection changed in writes nobody watching needs to see (session activity, derived rows). */
const ignored = new WeakMap<Db, number>();

/**
 * Moves when another connection or process committed to the database since the last call of
 * this connection: a memory cache of rows another process may change checks it before use.
 */
export function dataVersion(db: Db): number {
  return statements(db).dataVersion.get() as number;
}

/**
 * A cheap value that changes whenever any connection (this process's or another's) has written
 * to `db` since the last call, writes run through `unseenWrite` aside.
 */
export function changeSignal(db: Db): () => string {
  const s = statements(db);
  return () => {
    const r = s.both.get()!;
    return `${r.own - (ignored.get(db) ?? 0)}.${r.other}`;
  };
}

/**
 * Runs `write` (synchronous statements of this connection on rows no kept rendering shows, such
 * as a session's last activity) without moving the change signal: the rows it changed are
 * counted out. Nothing else can run on the connection meanwhile (synchronous).
 */
export function unseenWrite<T>(db: Db, write: () => T): T {
  const total = statements(db).total;
  const before = total.get() as number;
  try {
    return write();
  } finally {
    ignored.set(db, (ignored.get(db) ?? 0) + (total.get() as number) - before);
  }
}
