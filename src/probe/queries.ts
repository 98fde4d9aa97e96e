/**
 * The fixed allow-list of read-only queries `gatehouse-probe` answers, by NAME, composed at
 * start from what the monitors declare (`Monitor.privileged`, src/monitors/index.ts). Nothing a
 * client sends ever reaches a command line: commands and their arguments are constants in
 * those declarations. The only parameterised names (`sudoers.d/<file>`, `<command>/<value>`)
 * are checked in full against the declaration's strict pattern; files resolve under their
 * declared directory only.
 */
import { join, posix } from "node:path";
import type { PrivilegedQueries, PrivilegedQuery } from "../kit/privileged.js";
import { MONITORS } from "../monitors/index.js";
import type { Monitor } from "../monitors/monitor.js";

/** What the helper does for one resolved name. */
export type Query =
  | { kind: "file"; path: string }
  | { kind: "dir"; path: string }
  | { kind: "command"; cmd: string; args: readonly string[] }
  | { kind: "stream"; cmd: string; args: readonly string[] };

/** Query names: lower-case words joined by `-` or `.` (`nft-ruleset`, `sudoers.d`). */
const NAME = /^[a-z][a-z0-9]*(?:[.-][a-z0-9]+)*$/;

/** Longest parameter value (a file name in sudoers.d, a device name). */
const MAX_VALUE = 100;

function sameQuery(a: PrivilegedQuery, b: PrivilegedQuery): boolean {
  return JSON.stringify(a, (_k, v: unknown) => (v instanceof RegExp ? v.source : v)) === JSON.stringify(b, (_k, v: unknown) => (v instanceof RegExp ? v.source : v));
}

/**
 * The union of the monitors' declarations. Two monitors may declare the same query under the
 * same name; one name with two meanings, a malformed name, or a relative path is a
 * programming error caught at start-up (and by the tests).
 */
export function composeAllowList(monitors: readonly Pick<Monitor<unknown>, "id" | "privileged">[]): ReadonlyMap<string, PrivilegedQuery> {
  const all = new Map<string, PrivilegedQuery>();
  const owner = new Map<string, string>();
  for (const m of monitors) {
    for (const [name, q] of Object.entries(m.privileged ?? ({} as PrivilegedQueries))) {
      if (!NAME.test(name)) throw new Error(`monitor ${m.id}: privileged query name "${name}" must match ${NAME}`);
      if ((q.kind === "file" || q.kind === "dir") && (!posix.isAbsolute(q.path) || posix.normalize(q.path) !== q.path)) {
        throw new Error(`monitor ${m.id}: privileged query ${name}: "${q.path}" must be a normalized absolute path`);
      }
      const prev = all.get(name);
      if (prev && !sameQuery(prev, q)) throw new Error(`privileged query "${name}" is declared differently by ${owner.get(name)} and ${m.id}`);
      all.set(name, q);
      owner.set(name, owner.has(name) ? `${owner.get(name)}, ${m.id}` : m.id);
    }
  }
  return all;
}

/** gatehouse-probe's allow-list: every query the registered monitors declare. */
export const ALLOW_LIST: ReadonlyMap<string, PrivilegedQuery> = composeAllowList(MONITORS);

/** Every query name, with `<file>`/`<value>` for the parameterised ones (help text, logs). */
export const QUERY_NAMES: readonly string[] = [...ALLOW_LIST].flatMap(([name, q]) =>
  q.kind === "dir" ? [name, `${name}/<file>`] : q.kind === "command" && q.param ? [`${name}/<value>`] : [name],
);

/** Whether `value` is an acceptable parameter for `pattern`: whole match, bounded, no NUL or slash tricks. */
export function validValue(value: string, pattern: RegExp): boolean {
  if (value.length === 0 || value.length > MAX_VALUE || value.includes("/") || value.startsWith(".")) return false;
  const m = pattern.exec(value);
  return m !== null && m.index === 0 && m[0] === value;
}

/**
 * Maps a query name onto what to read; undefined for anything outside the allow-list.
 * `root` re-roots the declared paths (tests point it at a fixture tree).
 */
export function resolveQuery(name: string, root = "/", list: ReadonlyMap<string, PrivilegedQuery> = ALLOW_LIST): Query | undefined {
  if (typeof name !== "string" || name.length > 200) return undefined;
  const slash = name.indexOf("/");
  const base = slash < 0 ? name : name.slice(0, slash);
  const value = slash < 0 ? undefined : name.slice(slash + 1);
  const q = NAME.test(base) ? list.get(base) : undefined;
  if (!q) return undefined;
  switch (q.kind) {
    case "file":
      return value === undefined ? { kind: "file", path: join(root, q.path) } : undefined;
    case "dir":
      if (value === undefined) return { kind: "dir", path: join(root, q.path) };
      return validValue(value, q.files) ? { kind: "file", path: join(root, q.path, value) } : undefined;
    case "stream":
      return value === undefined ? { kind: "stream", cmd: q.argv[0], args: q.argv.slice(1) } : undefined;
    case "command":
      if (!q.param) return value === undefined ? { kind: "command", cmd: q.argv[0], args: q.argv.slice(1) } : undefined;
      return value !== undefined && validValue(value, q.param.pattern)
        ? { kind: "command", cmd: q.argv[0], args: [...q.argv.slice(1), `${q.param.prefix}${value}`] }
        : undefined;
  }
}
