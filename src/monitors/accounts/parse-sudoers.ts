/**
 * A pure reading of sudoers files, just deep enough to answer "who can use sudo": include
 * directives, User_Alias definitions and the user list of each rule. Commands, hosts and
 * Defaults are not interpreted. Lines it cannot read are reported, never guessed: sudo itself
 * refuses a file with a syntax error, so those are worth a warning of their own.
 */
import type { GroupEntry, PasswdEntry } from "./parse-account-files.js";

export interface SudoersInclude {
  kind: "file" | "dir";
  /** As written: absolute, or relative to the including file's directory. */
  path: string;
  line: number;
}

export interface SudoersRule {
  /** User_List items as written (`alice`, `%sudo`, `!bob`, `ADMINS`, `#1001`, `ALL`). */
  users: string[];
  line: number;
}

export interface SudoersFile {
  includes: SudoersInclude[];
  userAliases: Record<string, string[]>;
  rules: SudoersRule[];
  problems: string[];
}

const USER_ITEM = /^!*(ALL|%:?[A-Za-z0-9_.][\w.$@-]*|%:?"[^"]+"|%#\d+|#\d+|\+[\w.-]+|[A-Za-z0-9_.][\w.$@-]*|"[^"]+")$/;
const ALIAS_NAME = /^[A-Z][A-Z0-9_]*$/;

/** Joins `\`-continued lines, remembering the first physical line number of each. */
function logicalLines(text: string): { n: number; line: string }[] {
  const out: { n: number; line: string }[] = [];
  let buf = "";
  let start = 0;
  text.split("\n").forEach((raw, i) => {
    const l = raw.replace(/\r$/, "");
    if (buf === "") start = i + 1;
    if (/\\$/.test(l)) buf += `${l.slice(0, -1)} `;
    else {
      out.push({ n: start, line: buf + l });
      buf = "";
    }
  });
  if (buf) out.push({ n: start, line: buf });
  return out;
}

/** Cuts a `#` comment; `#1000` (a uid) and `%#100` (a gid) are not comments. */
function stripComment(line: string): string {
  let inQuote = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') inQuote = !inQuote;
    else if (c === "#" && !inQuote && !/\d/.test(line[i + 1] ?? "")) return line.slice(0, i);
  }
  return line;
}

/** Parses one sudoers file; `label` names it in problems (e.g. `/etc/sudoers.d/90-office`). */
export function parseSudoers(text: string, label: string): SudoersFile {
  const file: SudoersFile = { includes: [], userAliases: {}, rules: [], problems: [] };
  const problem = (n: number, why: string) => file.problems.push(`${label}:${n}: ${why}`);
  for (const { n, line: raw } of logicalLines(text)) {
    const trimmed = raw.trim();
    const inc = /^[#@](include|includedir)\s+(?:"([^"]+)"|(\S+))\s*$/.exec(trimmed);
    if (inc) {
      file.includes.push({ kind: inc[1] === "includedir" ? "dir" : "file", path: (inc[2] ?? inc[3])!, line: n });
      continue;
    }
    const line = stripComment(trimmed).trim();
    if (line === "") continue;
    if (/^Defaults([:@!>]\S*)?(\s|$)/.test(line)) continue;
    const alias = /^(User_Alias|Runas_Alias|Host_Alias|Cmnd_Alias|Cmd_Alias)\s+(.*)$/.exec(line);
    if (alias) {
      if (alias[1] !== "User_Alias") continue;
      // Definitions are separated by ":" before the next NAME =, not by the ":" of %:group.
      for (const def of alias[2]!.split(/\s*:\s*(?=[A-Z][A-Z0-9_]*\s*=)/)) {
        const m = /^([^=\s]+)\s*=\s*(.+)$/.exec(def.trim());
        const items = m ? splitList(m[2]!) : [];
        if (!m || !ALIAS_NAME.test(m[1]!) || items.length === 0 || !items.every((i) => USER_ITEM.test(i))) {
          problem(n, "malformed User_Alias");
          continue;
        }
        file.userAliases[m[1]!] = items;
      }
      continue;
    }
    const eq = line.indexOf("=");
    const lhs = eq > 0 ? words(line.slice(0, eq)) : [];
    const rhs = eq > 0 ? line.slice(eq + 1).trim() : "";
    const users = lhs.length === 2 ? splitList(lhs[0]!) : [];
    if (users.length === 0 || !users.every((u) => USER_ITEM.test(u)) || rhs === "") {
      problem(n, `not a rule sudo would accept: ${JSON.stringify(line.slice(0, 60))}`);
      continue;
    }
    // `bob ALL = !ALL` grants nothing, so it does not make bob an admin.
    const commands = rhs.replace(/^\([^)]*\)\s*/, "").replace(/^(\s*[A-Z_]+:)+/, "").trim();
    if (commands === "!ALL") continue;
    file.rules.push({ users, line: n });
  }
  return file;
}

/** Splits at commas outside double quotes. */
function splitList(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  let inQuote = false;
  for (const c of s) {
    if (c === '"') inQuote = !inQuote;
    if (c === "," && !inQuote) {
      out.push(cur.trim());
      cur = "";
    } else cur += c;
  }
  out.push(cur.trim());
  return out.filter(Boolean);
}

/**
 * `alice, bob  ALL` → ["alice,bob", "ALL"]: whitespace separates the user list from the host
 * list, except around commas and inside double quotes.
 */
function words(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  let inQuote = false;
  const chars = [...s.trim()];
  chars.forEach((c, i) => {
    if (c === '"') inQuote = !inQuote;
    if (!inQuote && /\s/.test(c)) {
      const prev = cur.trimEnd().slice(-1);
      const next = chars.slice(i).join("").trimStart()[0];
      if (prev === "," || next === "," || cur === "") return;
      out.push(cur);
      cur = "";
      return;
    }
    cur += c;
  });
  if (cur) out.push(cur);
  return out;
}

export interface SudoersSource {
  label: string;
  file: SudoersFile;
}

export interface SudoUsers {
  /** Existing accounts that some rule lets run commands through sudo, sorted. */
  users: string[];
  /** "alice via %sudo at /etc/sudoers:50", one per user and rule. */
  via: string[];
  /** Items that cannot be resolved from local files (netgroups, non-Unix groups). */
  problems: string[];
}

/**
 * Who can use sudo: evaluates every rule's user list against the local accounts, with sudo's
 * list semantics (the last matching item wins, `!` negates) and User_Alias expansion.
 */
export function resolveSudoUsers(sources: readonly SudoersSource[], passwd: readonly PasswdEntry[], groups: readonly GroupEntry[]): SudoUsers {
  const aliases: Record<string, string[]> = {};
  for (const s of sources) Object.assign(aliases, s.file.userAliases);
  const problems = new Set<string>();

  const inGroup = (acct: PasswdEntry, g: GroupEntry | undefined) => !!g && (acct.gid === g.gid || g.members.includes(acct.name));
  const itemMatches = (item: string, acct: PasswdEntry, depth: number): boolean => {
    if (item === "ALL") return true;
    if (item.startsWith("%:") || item.startsWith("+")) {
      problems.add(`cannot resolve ${item} from local files`);
      return false;
    }
    if (item.startsWith("%#")) return inGroup(acct, groups.find((g) => g.gid === Number(item.slice(2))));
    if (item.startsWith("%")) return inGroup(acct, groups.find((g) => g.name === item.slice(1)));
    if (item.startsWith("#")) return acct.uid === Number(item.slice(1));
    const alias = aliases[item];
    if (alias && depth < 8) return listMatch(alias, acct, depth + 1) === true;
    return item.replace(/^"|"$/g, "") === acct.name;
  };
  // Returns undefined when no item mentions the account (sudo's "no match").
  const listMatch = (items: readonly string[], acct: PasswdEntry, depth: number): boolean | undefined => {
    let result: boolean | undefined;
    for (const raw of items) {
      const negations = /^!*/.exec(raw)![0].length;
      if (itemMatches(raw.slice(negations), acct, depth)) result = negations % 2 === 0;
    }
    return result;
  };

  const users = new Set<string>();
  const via: string[] = [];
  for (const s of sources) {
    for (const rule of s.file.rules) {
      for (const acct of passwd) {
        if (listMatch(rule.users, acct, 0) !== true) continue;
        users.add(acct.name);
        via.push(`${acct.name} via ${rule.users.join(",")} at ${s.label}:${rule.line}`);
      }
    }
  }
  return { users: [...users].sort(), via, problems: [...problems] };
}
