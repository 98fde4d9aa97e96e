/**
 * Prepared statements, once per connection. Every store module declares its statements in one
 * place and gets them through the function this returns: the first call on a connection
 * prepares them, every later call is a WeakMap lookup (the console and a seeded year call these
 * millions of times; preparing per call was a measurable share of a page).
 */
import type { Db } from "./db.js";

/** Wraps a module's statement definitions so they are prepared once per connection. */
export function statementsFor<T>(define: (db: Db) => T): (db: Db) => T {
  const cache = new WeakMap<Db, T>();
  return (db) => {
    let s = cache.get(db);
    if (s === undefined) {
      s = define(db);
      cache.set(db, s);
    }
    return s;
  };
}
