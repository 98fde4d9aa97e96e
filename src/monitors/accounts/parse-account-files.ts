/**
 * Pure parsers for the account databases: passwd, shadow, group and login.defs. Each keeps
 * going past a malformed line and says which line it skipped, because a half-edited passwd
 * must still yield findings for every well-formed account.
 */

export interface PasswdEntry {
  name: string;
  /** The passwd password field: usually "x" (see shadow); empty means no password at all. */
  password: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

export interface ShadowEntry {
  name: string;
  hash: string;
  /** Days since 1970-01-01 of the last change; 0 = must change at next login; null = aging off. */
  lastChange: number | null;
  /** Days since 1970-01-01 when the account expires; null = never. */
  expires: number | null;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export interface Parsed<T> {
  entries: T[];
  /** "line N: why" for every skipped line. */
  problems: string[];
}

/** Lines without CR, with comments, blanks and NIS compat lines (`+`/`-`) dropped. */
function lines(text: string): { n: number; line: string }[] {
  return text
    .split("\n")
    .map((l, i) => ({ n: i + 1, line: l.replace(/\r$/, "") }))
    .filter(({ line }) => line.trim() !== "" && !line.trimStart().startsWith("#") && !/^[+-]/.test(line));
}

const NAME = /^[A-Za-z0-9_.][A-Za-z0-9_.$-]*$/;
const int = (s: string | undefined) => (s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined);

/** Parses /etc/passwd (`name:password:uid:gid:gecos:home:shell`). */
export function parsePasswd(text: string): Parsed<PasswdEntry> {
  const entries: PasswdEntry[] = [];
  const problems: string[] = [];
  for (const { n, line } of lines(text)) {
    const f = line.split(":");
    if (f.length !== 7) {
      problems.push(`passwd line ${n}: expected 7 fields, got ${f.length}`);
      continue;
    }
    const [name, password, uidS, gidS, , home, shell] = f as [string, string, string, string, string, string, string];
    const uid = int(uidS);
    const gid = int(gidS);
    if (!NAME.test(name)) problems.push(`passwd line ${n}: invalid user name ${JSON.stringify(name.slice(0, 40))}`);
    else if (uid === undefined || gid === undefined) problems.push(`passwd line ${n}: uid/gid of ${name} is not a number`);
    else entries.push({ name, password, uid, gid, home, shell });
  }
  return { entries, problems };
}

/** Parses /etc/shadow (`name:hash:lastchg:min:max:warn:inactive:expire:reserved`). */
export function parseShadow(text: string): Parsed<ShadowEntry> {
  const entries: ShadowEntry[] = [];
  const problems: string[] = [];
  for (const { n, line } of lines(text)) {
    const f = line.split(":");
    if (f.length < 8 || f.length > 9) {
      problems.push(`shadow line ${n}: expected 9 fields, got ${f.length}`);
      continue;
    }
    const name = f[0]!;
    if (!NAME.test(name)) {
      problems.push(`shadow line ${n}: invalid user name`);
      continue;
    }
    const lastChange = f[2] === "" ? null : int(f[2]);
    const expires = f[7] === "" ? null : int(f[7]);
    if (lastChange === undefined || expires === undefined) {
      problems.push(`shadow line ${n}: date field of ${name} is not a number`);
      continue;
    }
    entries.push({ name, hash: f[1]!, lastChange, expires });
  }
  return { entries, problems };
}

/** Parses /etc/group (`name:password:gid:member,member`). */
export function parseGroup(text: string): Parsed<GroupEntry> {
  const entries: GroupEntry[] = [];
  const problems: string[] = [];
  for (const { n, line } of lines(text)) {
    const f = line.split(":");
    const gid = int(f[2]);
    if (f.length !== 4) problems.push(`group line ${n}: expected 4 fields, got ${f.length}`);
    else if (!NAME.test(f[0]!) || gid === undefined) problems.push(`group line ${n}: invalid group name or gid`);
    else entries.push({ name: f[0]!, gid, members: f[3]!.split(",").map((m) => m.trim()).filter(Boolean) });
  }
  return { entries, problems };
}

/** UID_MIN / UID_MAX from login.defs; absent or malformed values stay undefined. */
export function parseLoginDefs(text: string): { uidMin?: number; uidMax?: number } {
  const out: { uidMin?: number; uidMax?: number } = {};
  for (const { line } of lines(text)) {
    const m = /^\s*(UID_MIN|UID_MAX)\s+(\d+)\s*$/.exec(line);
    if (m) out[m[1] === "UID_MIN" ? "uidMin" : "uidMax"] = Number(m[2]);
  }
  return out;
}
