/**
 * Pure policy of the accounts monitor. Rule ids name the checklist control they evidence
 * (see README): accounts.* rules about who has an account, least-privilege rules about sudo
 * and UID 0, passwords rules about hashes and their age.
 */
import type { Facts, PolicyContext, PolicyFinding, Status } from "../monitor.js";
import type { AccountsConfig } from "./config.js";
import { wholeDays } from "../../kit/format.js";
import { DAY_MS } from "../../kit/time.js";


/** Which checklist control each rule evidences, for the compliance scorecard. */
export const RULE_CONTROLS = {
  "accounts.generic_name": "accounts",
  "accounts.inactive": "accounts",
  "accounts.files_malformed": "accounts",
  "accounts.sudo_outside_allow": "least-privilege",
  "accounts.uid0_duplicate": "least-privilege",
  "accounts.sudoers_unparsed": "least-privilege",
  "accounts.empty_password": "passwords",
  "accounts.password_age": "passwords",
} as const;

type Rule = keyof typeof RULE_CONTROLS;

const list = (v: unknown): string[] | null => (Array.isArray(v) ? (v as string[]) : null);

/** Splits "name:value" items (user names never contain a colon). */
function pairs(v: unknown): Map<string, string> | null {
  const l = list(v);
  if (!l) return null;
  return new Map(l.map((i) => [i.slice(0, i.indexOf(":")), i.slice(i.indexOf(":") + 1)]));
}

/** Whether a name is one of the generic ones, ignoring separators and a trailing number. */
export function isGenericName(name: string, generic: readonly string[]): boolean {
  const n = name.toLowerCase().replace(/[-_.]/g, "").replace(/\d+$/, "");
  return generic.some((g) => g.replace(/[-_.]/g, "") === n);
}

/** Turns the probe's facts into findings. */
export function accountsPolicy(facts: Facts, config: AccountsConfig, ctx: PolicyContext): PolicyFinding[] {
  const out: PolicyFinding[] = [];
  const now = ctx.now.getTime();
  const unreadable = list(facts["accounts.unreadable"]) ?? [];
  const why = (what: string) => unreadable.find((u) => u.startsWith(`${what}:`))?.slice(what.length + 1).trim() ?? "not observed";
  const emit = (rule: Rule, status: Status, message: string, factKeys: string[], subject?: string) =>
    out.push({ rule, status, message, facts: factKeys, ...(subject ? { subject } : {}) });
  const each = (rule: Rule, factKeys: string[], bad: [string, Status, string][], passMessage: string) => {
    for (const [subject, status, message] of bad) emit(rule, status, message, factKeys, subject);
    if (bad.length === 0) emit(rule, "pass", passMessage, factKeys);
  };

  const humans = list(facts["accounts.humans"]) ?? [];
  const expires = pairs(facts["accounts.expires"]) ?? new Map<string, string>();
  const expired = (name: string) => {
    const e = expires.get(name);
    return e !== undefined && Date.parse(e) <= now;
  };

  each(
    "accounts.generic_name",
    ["accounts.humans"],
    humans
      .filter((h) => isGenericName(h, config.genericNames))
      .map((h) => [h, "warn", `"${h}" looks like a shared login: give each person their own account, then remove or lock "${h}"`]),
    "No shared or generic login names among human accounts",
  );

  const uid0 = list(facts["accounts.uid0"]) ?? [];
  each(
    "accounts.uid0_duplicate",
    ["accounts.uid0"],
    uid0
      .filter((n) => n !== "root")
      .map((n) => [n, "fail", `"${n}" has UID 0, full root power under another name: remove it or give it an ordinary UID`]),
    "Only root has UID 0",
  );

  const empty = list(facts["accounts.empty_password"]);
  if (!empty) emit("accounts.empty_password", "unknown", `Cannot tell which accounts have empty passwords: shadow unreadable (${why("shadow")})`, ["accounts.empty_password"]);
  else
    each(
      "accounts.empty_password",
      ["accounts.empty_password"],
      empty.map((n) => [n, "fail", `"${n}" has an empty password, so anyone can log in as it: set a password or lock it (passwd -l ${n})`]),
      "No account has an empty password",
    );

  const changed = pairs(facts["accounts.password_changed"]);
  if (!changed) emit("accounts.password_age", "unknown", `Cannot tell password ages: shadow unreadable (${why("shadow")})`, ["accounts.password_changed"]);
  else {
    const bad: [string, Status, string][] = [];
    for (const [name, value] of changed) {
      if (expired(name) || value === "must_change") continue;
      if (value === "no_aging") {
        bad.push([name, "warn", `"${name}" has no password-change date (aging disabled): set one with chage -d, and a maximum age with chage -M ${config.maxPasswordAgeDays}`]);
        continue;
      }
      const days = wholeDays(now - Date.parse(value));
      if (days > config.maxPasswordAgeDays) {
        bad.push([name, "warn", `"${name}" last changed their password ${days} days ago, over max_password_age_days ${config.maxPasswordAgeDays}: have them change it (passwd ${name})`]);
      }
    }
    each("accounts.password_age", ["accounts.password_changed"], bad, `All passwords changed within ${config.maxPasswordAgeDays} days`);
  }

  const logins = pairs(facts["accounts.last_login"]);
  if (!logins) emit("accounts.inactive", "unknown", `Cannot tell inactive accounts: no last-login data (${why("lastlog")})`, ["accounts.last_login"]);
  else {
    const bad: [string, Status, string][] = [];
    for (const name of humans) {
      if (expired(name)) continue;
      const last = logins.get(name);
      const created = changed?.get(name);
      if (last === undefined) continue;
      if (last === "never") {
        // Never logged in: judge by when its password was set, the nearest thing to a creation date.
        const setAt = created && /^\d{4}-/.test(created) ? Date.parse(created) : undefined;
        if (setAt !== undefined && now - setAt <= config.inactiveDays * DAY_MS) continue;
        bad.push([name, "warn", `"${name}" has never logged in: if nobody uses it, lock and expire it (usermod -L -e 1 ${name}) or remove it`]);
        continue;
      }
      const days = wholeDays(now - Date.parse(last));
      if (days > config.inactiveDays) {
        bad.push([name, "warn", `"${name}" has not logged in for ${days} days (inactive_days ${config.inactiveDays}): if the person left, lock and expire it (usermod -L -e 1 ${name}) or remove it`]);
      }
    }
    each("accounts.inactive", ["accounts.last_login"], bad, `Every human account logged in within ${config.inactiveDays} days`);
  }

  const sudo = list(facts["accounts.sudo_users"]);
  const via = list(facts["accounts.sudo_via"]) ?? [];
  if (!sudo) emit("accounts.sudo_outside_allow", "unknown", `Cannot tell who can use sudo: sudoers unreadable (${why("sudoers")})`, ["accounts.sudo_users"]);
  else {
    const allowed = new Set(["root", ...config.sudoAllow]);
    each(
      "accounts.sudo_outside_allow",
      ["accounts.sudo_users", "accounts.admins"],
      sudo
        .filter((u) => !allowed.has(u))
        .map((u) => {
          const how = via.find((v) => v.startsWith(`${u} via `))?.slice(u.length + 1) ?? "";
          return [u, "fail", `"${u}" can run commands as root through sudo (${how}) but is not in sudo_allow: remove that grant, or add "${u}" to monitors.accounts.sudo_allow if approved`];
        }),
      "Only approved users can use sudo",
    );
  }

  const sudoProblems = list(facts["accounts.sudoers_problems"]) ?? [];
  if (sudoProblems.length > 0) {
    emit(
      "accounts.sudoers_unparsed",
      "warn",
      `sudoers has ${sudoProblems.length} line(s) Gatehouse could not read (first: ${sudoProblems[0]}), so the admin list may be incomplete: check the files with visudo -c`,
      ["accounts.sudoers_problems"],
    );
  }

  const fileProblems = list(facts["accounts.file_problems"]) ?? [];
  if (fileProblems.length > 0) {
    emit(
      "accounts.files_malformed",
      "warn",
      `${fileProblems.length} malformed line(s) in the account files (first: ${fileProblems[0]}): fix them with vipw / vigr / pwck`,
      ["accounts.file_problems"],
    );
  }
  return out;
}
