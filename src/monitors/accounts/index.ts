/**
 * accounts monitor (controls: accounts, least-privilege, passwords). Reads passwd, group and
 * login.defs as an ordinary user, shadow and sudoers (with its includes) through the
 * privileged reader, and last logins from `lastlog`. Every path resolves under `root`.
 */
import { dirname, isAbsolute, join, posix } from "node:path";
import { CommandNotFound } from "../../kit/exec.js";
import type { PrivilegedQueries } from "../../kit/privileged.js";
import { defineMonitor, ProbeError, type Facts, type ProbeContext } from "../monitor.js";
import { parseAccountsConfig, type AccountsConfig } from "./config.js";
import { parseGroup, parseLoginDefs, parsePasswd, parseShadow, type PasswdEntry, type ShadowEntry } from "./parse-account-files.js";
import { parseLastlog } from "./parse-lastlog.js";
import { parseSudoers, resolveSudoUsers, type SudoersSource } from "./parse-sudoers.js";
import { accountsPolicy } from "./policy.js";
import { DAY_MS } from "../../kit/time.js";

const NO_LOGIN_SHELL = /(^|\/)(nologin|false|sync|shutdown|halt)$/;
const MAX_INCLUDE_DEPTH = 8;

/** What gatehouse-probe answers for this monitor (root-only files, read with CAP_DAC_READ_SEARCH). */
const PRIVILEGED = {
  shadow: { kind: "file", path: "/etc/shadow" },
  sudoers: { kind: "file", path: "/etc/sudoers" },
  // The names sudo itself reads from sudoers.d: no leading dot, no "~", at most 100 characters.
  "sudoers.d": { kind: "dir", path: "/etc/sudoers.d", files: /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}$/ },
} as const satisfies PrivilegedQueries;

const errCode = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
const day = (days: number) => new Date(days * DAY_MS).toISOString().slice(0, 10);
const usable = (hash: string) => hash !== "" && !hash.startsWith("!") && !hash.startsWith("*");

/** Reads sudoers and everything it includes, as sudo would (sudo ≥ 1.9 path rules). */
async function readSudoers(ctx: ProbeContext, root: string): Promise<{ sources: SudoersSource[]; problems: string[] }> {
  const sources: SudoersSource[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  const visit = async (path: string, depth: number, required: boolean): Promise<void> => {
    if (seen.has(path)) return;
    seen.add(path);
    let text: string;
    try {
      text = await ctx.privileged.readFile(join(root, path));
    } catch (e) {
      if (required) throw e;
      problems.push(`${path}: cannot read included file (${errCode(e)})`);
      return;
    }
    const file = parseSudoers(text, path);
    sources.push({ label: path, file });
    problems.push(...file.problems);
    for (const inc of file.includes) {
      if (depth >= MAX_INCLUDE_DEPTH) {
        problems.push(`${path}:${inc.line}: includes nested deeper than ${MAX_INCLUDE_DEPTH}`);
        continue;
      }
      const target = isAbsolute(inc.path) ? inc.path : posix.join(dirname(path), inc.path);
      if (inc.kind === "file") {
        await visit(target, depth + 1, false);
        continue;
      }
      let names: string[];
      try {
        names = await ctx.privileged.readDir(join(root, target));
      } catch {
        continue; // sudo silently skips a missing includedir
      }
      // sudo skips names ending in "~" or containing "." (editor backups, .dpkg-old…).
      for (const name of names.filter((n) => !n.endsWith("~") && !n.includes(".")).sort()) {
        await visit(posix.join(target, name), depth + 1, false);
      }
    }
  };
  await visit("/etc/sudoers", 0, true);
  return { sources, problems };
}

async function probe(ctx: ProbeContext, config: AccountsConfig): Promise<{ facts: Facts; evidence: string }> {
  const root = config.root;
  const under = (p: string) => join(root, p);
  const unreadable: string[] = [];
  const fileProblems: string[] = [];

  let passwdText: string;
  try {
    passwdText = await ctx.readFile(under("/etc/passwd"));
  } catch (e) {
    throw new ProbeError(`cannot read ${under("/etc/passwd")} (${errCode(e)})`);
  }
  const passwd = parsePasswd(passwdText);
  fileProblems.push(...passwd.problems);
  if (passwd.entries.length === 0) throw new ProbeError(`${under("/etc/passwd")} holds no readable account`);

  let groups = parseGroup("");
  try {
    groups = parseGroup(await ctx.readFile(under("/etc/group")));
    fileProblems.push(...groups.problems);
  } catch (e) {
    unreadable.push(`group: ${errCode(e)}`);
  }

  let defs: { uidMin?: number; uidMax?: number } = {};
  try {
    defs = parseLoginDefs(await ctx.readFile(under("/etc/login.defs")));
  } catch {
    /* login.defs is optional: the documented defaults apply */
  }
  const uidMin = config.uidMin ?? defs.uidMin ?? 1000;
  const uidMax = defs.uidMax ?? 60000;

  const isHuman = (p: PasswdEntry) => p.uid >= uidMin && p.uid <= uidMax && !NO_LOGIN_SHELL.test(p.shell.trim());
  const humans = passwd.entries.filter(isHuman);
  const uid0 = passwd.entries.filter((p) => p.uid === 0);

  let shadow: Map<string, ShadowEntry> | null = null;
  try {
    const parsed = parseShadow(await ctx.privileged.readFile(under("/etc/shadow")));
    fileProblems.push(...parsed.problems);
    shadow = new Map(parsed.entries.map((s) => [s.name, s]));
  } catch (e) {
    unreadable.push(`shadow: ${errCode(e)}`);
  }

  let emptyPassword: string[] | null = null;
  let passwordChanged: string[] | null = null;
  let expires: string[] | null = null;
  let locked: string[] | null = null;
  if (shadow) {
    const sh = shadow;
    emptyPassword = passwd.entries
      .filter((p) => p.password === "" || (p.password === "x" && sh.get(p.name)?.hash === ""))
      .map((p) => p.name);
    const rotated = [...uid0, ...humans].filter((p, i, all) => all.indexOf(p) === i);
    passwordChanged = rotated.flatMap((p) => {
      const s = sh.get(p.name);
      if (!s || !usable(s.hash)) return [];
      return [`${p.name}:${s.lastChange === null ? "no_aging" : s.lastChange === 0 ? "must_change" : day(s.lastChange)}`];
    });
    expires = humans.flatMap((p) => {
      const e = sh.get(p.name)?.expires;
      return e === null || e === undefined ? [] : [`${p.name}:${day(e)}`];
    });
    locked = humans.filter((p) => /^[!*]/.test(sh.get(p.name)?.hash ?? "")).map((p) => p.name);
  }

  let sudoUsers: string[] | null = null;
  let sudoVia: string[] | null = null;
  let sudoProblems: string[] | null = null;
  try {
    const { sources, problems } = await readSudoers(ctx, root);
    const resolved = resolveSudoUsers(sources, passwd.entries, groups.entries);
    sudoUsers = resolved.users;
    sudoVia = resolved.via;
    sudoProblems = [...problems, ...resolved.problems];
  } catch (e) {
    if (errCode(e) === "ENOENT") {
      // No /etc/sudoers: sudo is not installed, so nobody can use it.
      sudoUsers = [];
      sudoVia = [];
      sudoProblems = [];
    } else unreadable.push(`sudoers: ${errCode(e)}`);
  }

  let lastLogin: string[] | null = null;
  try {
    // lastlog -R chroots (needs CAP_SYS_CHROOT), so it is only used for a non-default root.
    const { stdout } = await ctx.run("lastlog", root === "/" ? [] : ["-R", root], { signal: ctx.signal, timeoutMs: 30_000 });
    const parsed = parseLastlog(stdout);
    fileProblems.push(...parsed.problems);
    const byName = new Map(parsed.logins.map((l) => [l.name, l.latest]));
    lastLogin = humans.filter((h) => byName.has(h.name)).map((h) => `${h.name}:${byName.get(h.name) ?? "never"}`);
  } catch (e) {
    unreadable.push(`lastlog: ${e instanceof CommandNotFound ? "lastlog is not installed" : e instanceof Error ? e.message : String(e)}`);
  }

  const admins = sudoUsers ? [...new Set([...uid0.map((p) => p.name), ...sudoUsers])].sort() : null;
  const facts: Facts = {
    "accounts.uid_min": uidMin,
    "accounts.humans": humans.map((p) => p.name).sort(),
    "accounts.uid0": uid0.map((p) => p.name).sort(),
    "accounts.admins": admins,
    "accounts.sudo_users": sudoUsers,
    "accounts.sudo_via": sudoVia,
    "accounts.sudoers_problems": sudoProblems,
    "accounts.empty_password": emptyPassword,
    "accounts.password_changed": passwordChanged,
    "accounts.expires": expires,
    "accounts.locked": locked,
    "accounts.last_login": lastLogin,
    "accounts.file_problems": fileProblems,
    "accounts.unreadable": unreadable,
  };
  const evidence = [
    `root ${root}; UID_MIN ${uidMin}; ${passwd.entries.length} accounts, ${humans.length} human: ${humans.map((h) => h.name).join(", ") || "none"}`,
    `admins: ${admins ? admins.join(", ") || "none" : "unknown"}`,
    ...(sudoVia ?? []).map((v) => `sudo: ${v}`),
    ...(sudoProblems ?? []).map((p) => `sudoers: ${p}`),
    ...fileProblems.map((p) => `file: ${p}`),
    ...unreadable.map((u) => `unreadable: ${u}`),
  ];
  return { facts, evidence: evidence.join("\n").slice(0, 4000) };
}

/** The accounts monitor definition. */
export const accounts = defineMonitor<AccountsConfig>({
  id: "accounts",
  title: "User accounts, sudo and passwords",
  control: "accounts",
  // Rule prefixes that evidence least privilege and passwords (policy.ts RULE_CONTROLS names each rule).
  ruleControls: { "accounts.sudo": "least-privilege", "accounts.uid0_": "least-privilege", "accounts.password_": "passwords", "accounts.empty_password": "passwords" },
  defaultSchedule: "11 * * * *",
  starter: "# accounts:  { max_password_age_days: 180, sudo_allow: [alice] }",
  enabledByDefault: true,
  parseConfig: parseAccountsConfig,
  probe,
  policy: accountsPolicy,
  baselineFacts: ["accounts.admins", "accounts.humans", "accounts.uid0"],
  privileged: PRIVILEGED,
});
