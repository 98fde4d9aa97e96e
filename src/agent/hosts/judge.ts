/**
 * Facts → findings for one office computer. Pure: the snapshot, the policy and the clock in,
 * findings out (one per check, subject empty, source `host:<id>`). A check whose query has not
 * answered yet, failed on the host, or that osquery cannot see on this platform is `unknown`
 * (never an alert); everything else is pass, warn or fail with the host's name in the message.
 */
import { utcMinuteText } from "../../kit/format.js";
import type { Finding } from "../evaluator.js";
import type { Status } from "../../monitors/monitor.js";
import { HOST_CHECKS, type HostRule } from "../controls/host-checks.js";
import type { HostsConfig } from "./config.js";
import { hostEndOfLife } from "./os-eol.js";
import type { QueryName } from "./queries.js";
import type { HostSnapshot, Row } from "./snapshot.js";


export type HostPolicy = Pick<HostsConfig, "offlineAfterMs" | "maxSignatureAgeMs" | "maxUpdateAgeMs" | "maxScreenLockMs" | "allowedAdmins">;

const DAY = 86_400_000;
const EOL_WARN_MS = 60 * DAY;

interface Verdict {
  status: Status;
  message: string;
}

const days = (ms: number) => Math.floor(ms / DAY);
const ymd = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const human = (ms: number) => (ms >= DAY && ms % DAY === 0 ? `${ms / DAY} d` : ms >= 3_600_000 && ms % 3_600_000 === 0 ? `${ms / 3_600_000} h` : `${Math.round(ms / 60_000)} min`);

/** Reads the snapshot for one check; `missing` says why nothing can be judged. */
class Facts {
  constructor(readonly s: HostSnapshot) {}
  /** Rows of a query, or a verdict explaining why there are none to judge. */
  rows(q: QueryName): Row[] | Verdict {
    const r = this.s.results[q];
    if (!r) return { status: "unknown", message: `no result for ${q} yet` };
    if (r.status !== 0) return { status: "unknown", message: `${q} failed on the computer (osquery status ${r.status})` };
    return r.rows;
  }
}
const isVerdict = (x: Row[] | Verdict): x is Verdict => !Array.isArray(x);

/** A unix time in seconds (as osquery reports mtime, dates) → ms; undefined when not a number. */
function unixMs(v: string | undefined): number | undefined {
  if (v === undefined || !/^\d{1,12}(\.\d+)?$/.test(v.trim())) return undefined;
  return Math.round(Number(v) * 1000);
}

function antivirus(f: Facts, p: HostPolicy, now: number): Verdict {
  switch (f.s.platform) {
    case "windows": {
      const wsc = f.rows("win_security_center");
      const products = f.rows("win_security_products");
      if (isVerdict(wsc)) return wsc;
      const state = wsc[0]?.antivirus ?? "";
      const av = isVerdict(products) ? [] : products.filter((r) => /antivirus/i.test(r.type ?? ""));
      const on = av.filter((r) => /^on$/i.test(r.state ?? ""));
      if (state !== "Good") return { status: "fail", message: `Windows Security Center reports anti-virus "${state || "missing"}"` };
      if (!isVerdict(products) && on.length === 0) return { status: "fail", message: "no anti-virus product is on" };
      const stale = on.filter((r) => r.signatures_up_to_date === "0");
      if (stale.length > 0) return { status: "fail", message: `signatures out of date: ${stale.map((r) => r.name).join(", ")}` };
      return { status: "pass", message: `anti-virus on and up to date${on.length ? ` (${on.map((r) => r.name).join(", ")})` : ""}` };
    }
    case "darwin": {
      const xp = f.rows("mac_xprotect");
      if (isVerdict(xp)) return xp;
      const x = xp.find((r) => r.engine === "xprotect");
      if (!x) return { status: "fail", message: "XProtect not found" };
      const gk = f.rows("mac_gatekeeper");
      if (!isVerdict(gk) && gk[0]?.assessments_enabled === "0") return { status: "fail", message: "Gatekeeper is off" };
      const updated = unixMs(x.updated);
      if (updated === undefined) return { status: "unknown", message: "XProtect's update time is unreadable" };
      const age = now - updated;
      if (age > p.maxSignatureAgeMs) return { status: "fail", message: `XProtect ${x.version} is ${days(age)} days old (limit ${human(p.maxSignatureAgeMs)})` };
      return { status: "pass", message: `XProtect ${x.version}, updated ${ymd(updated)}` };
    }
    case "linux": {
      const sigs = f.rows("linux_clamav_signatures");
      if (isVerdict(sigs)) return sigs;
      const times = sigs.map((r) => unixMs(r.mtime)).filter((t): t is number => t !== undefined);
      if (times.length === 0) return { status: "fail", message: "ClamAV signatures not found (/var/lib/clamav)" };
      const newest = Math.max(...times);
      const age = now - newest;
      if (age > p.maxSignatureAgeMs) return { status: "fail", message: `ClamAV signatures are ${days(age)} days old (limit ${human(p.maxSignatureAgeMs)})` };
      const procs = f.rows("linux_clamav_processes");
      if (!isVerdict(procs) && !procs.some((r) => r.name === "freshclam" || r.name === "clamd")) {
        return { status: "warn", message: "ClamAV signatures are fresh but neither clamd nor freshclam is running" };
      }
      return { status: "pass", message: `ClamAV signatures updated ${ymd(newest)}` };
    }
    default:
      return { status: "unknown", message: "platform not known yet" };
  }
}

function updates(f: Facts, p: HostPolicy, now: number): Verdict {
  switch (f.s.platform) {
    case "windows": {
      const hist = f.rows("win_update_history");
      if (isVerdict(hist)) return hist;
      const wsc = f.rows("win_security_center");
      const auto = isVerdict(wsc) ? undefined : wsc[0]?.autoupdate;
      const newest = Math.max(0, ...hist.map((r) => unixMs(r.date) ?? 0));
      if (newest === 0) return { status: "fail", message: "no successful Windows update in the update history" };
      const age = now - newest;
      if (age > p.maxUpdateAgeMs) return { status: "fail", message: `last Windows update installed ${days(age)} days ago (limit ${human(p.maxUpdateAgeMs)})` };
      if (auto !== undefined && auto !== "Good") return { status: "warn", message: `automatic updates "${auto}"; last update ${ymd(newest)}` };
      return { status: "pass", message: `last Windows update ${ymd(newest)}` };
    }
    case "darwin": {
      const su = f.rows("mac_software_update");
      if (isVerdict(su)) return su;
      if (su[0]?.software_update_required === "1") return { status: "warn", message: "a macOS software update is waiting to be installed" };
      if (su[0]?.software_update_required === "0") return { status: "pass", message: "no macOS software update waiting" };
      return { status: "unknown", message: "software update state not reported" };
    }
    case "linux":
      return { status: "unknown", message: "osquery cannot see pending Linux updates (the OS end of life is judged)" };
    default:
      return { status: "unknown", message: "platform not known yet" };
  }
}

function osEol(f: Facts, now: number): Verdict {
  const os = f.rows("os_version");
  if (isVerdict(os)) return os;
  if (!os[0]) return { status: "unknown", message: "os_version returned nothing" };
  const { eol, release } = hostEndOfLife(os[0]);
  if (!eol) return { status: "unknown", message: `${release}: end of support not in Gatehouse's table` };
  const end = Date.parse(`${eol}T23:59:59Z`);
  if (now > end) return { status: "fail", message: `${release} has been out of security support since ${eol}` };
  if (end - now < EOL_WARN_MS) return { status: "warn", message: `${release} leaves security support on ${eol}` };
  return { status: "pass", message: `${release}, supported until ${eol}` };
}

function diskEncryption(f: Facts): Verdict {
  switch (f.s.platform) {
    case "windows": {
      const bl = f.rows("win_bitlocker");
      if (isVerdict(bl)) return bl;
      const c = bl.find((r) => /^c:?$/i.test(r.drive_letter ?? ""));
      if (!c) return { status: "fail", message: "BitLocker reports no system drive (off, or not available in this edition)" };
      if (c.protection_status !== "1") return { status: "fail", message: `BitLocker protection is off on ${c.drive_letter}` };
      return { status: "pass", message: `BitLocker on ${c.drive_letter} (${c.encryption_method || "encrypted"})` };
    }
    case "darwin":
    case "linux": {
      const name = f.s.platform === "darwin" ? "FileVault" : "LUKS";
      const rows = f.rows(f.s.platform === "darwin" ? "mac_filevault" : "linux_luks_root");
      if (isVerdict(rows)) return rows;
      const root = rows[0];
      if (!root || root.encrypted !== "1") return { status: "fail", message: `${name}: the system disk is not encrypted` };
      return { status: "pass", message: `${name}: system disk encrypted${root.type ? ` (${root.type})` : ""}` };
    }
    default:
      return { status: "unknown", message: "platform not known yet" };
  }
}

function admins(f: Facts, p: HostPolicy): Verdict {
  const q = f.s.platform === "windows" ? "win_admins" : f.s.platform === "darwin" ? "mac_admins" : f.s.platform === "linux" ? "linux_admins" : undefined;
  if (!q) return { status: "unknown", message: "platform not known yet" };
  const rows = f.rows(q);
  if (isVerdict(rows)) return rows;
  const allowed = new Set(p.allowedAdmins.map((a) => a.toLowerCase()));
  // The built-in Windows Administrator (RID 500) is expected and usually disabled.
  const names = [...new Set(rows.filter((r) => !(r.uuid ?? "").endsWith("-500")).map((r) => r.username ?? "").filter(Boolean))].sort();
  const extra = names.filter((n) => !allowed.has(n.toLowerCase()));
  if (extra.length > 0) return { status: "warn", message: `local administrators beyond IT's accounts: ${extra.join(", ")}` };
  return { status: "pass", message: names.length ? `administrators: ${names.join(", ")} (all expected)` : "no local administrator besides the built-in one" };
}

function firewall(f: Facts): Verdict {
  switch (f.s.platform) {
    case "windows": {
      const wsc = f.rows("win_security_center");
      if (isVerdict(wsc)) return wsc;
      const s = wsc[0]?.firewall ?? "";
      return s === "Good" ? { status: "pass", message: "Windows Firewall on" } : { status: "fail", message: `Windows Security Center reports the firewall "${s || "missing"}"` };
    }
    case "darwin": {
      const alf = f.rows("mac_firewall");
      if (isVerdict(alf)) return alf;
      const s = alf[0]?.global_state;
      if (s === undefined) return { status: "unknown", message: "the application firewall state was not reported" };
      return s === "0" ? { status: "fail", message: "macOS application firewall is off" } : { status: "pass", message: "macOS application firewall on" };
    }
    case "linux": {
      const rows = f.rows("linux_firewall");
      if (isVerdict(rows)) return rows;
      if (rows.length === 0) return { status: "unknown", message: "no iptables INPUT chain seen (an nftables-only firewall is not visible to osquery)" };
      const blocks = rows.some((r) => /^(DROP|REJECT)$/.test(r.policy ?? "") || /^(DROP|REJECT)$/.test(r.target ?? ""));
      return blocks ? { status: "pass", message: "iptables INPUT drops or rejects traffic" } : { status: "fail", message: "iptables INPUT accepts everything" };
    }
    default:
      return { status: "unknown", message: "platform not known yet" };
  }
}

function screenLock(f: Facts, p: HostPolicy): Verdict {
  const limit = Math.round(p.maxScreenLockMs / 1000);
  switch (f.s.platform) {
    case "windows": {
      const rows = f.rows("win_inactivity_timeout");
      if (isVerdict(rows)) return rows;
      const secs = Number(rows[0]?.data);
      if (!rows[0] || !Number.isInteger(secs) || secs <= 0) return { status: "warn", message: "no machine inactivity limit set (screen lock left to each user)" };
      if (secs > limit) return { status: "warn", message: `the screen locks after ${Math.round(secs / 60)} min idle (limit ${human(p.maxScreenLockMs)})` };
      return { status: "pass", message: `the screen locks after ${Math.round(secs / 60)} min idle` };
    }
    case "darwin": {
      const rows = f.rows("mac_screenlock");
      if (isVerdict(rows)) return rows;
      const r = rows[0];
      // screenlock answers for the logged-in user only; with nobody logged in there is no row.
      if (!r) return { status: "unknown", message: "nobody logged in when osquery looked" };
      if (r.enabled !== "1") return { status: "warn", message: "password after sleep or screen saver is off" };
      const grace = Number(r.grace_period);
      if (Number.isFinite(grace) && grace > limit) return { status: "warn", message: `password asked only ${Math.round(grace / 60)} min after the screen saver starts` };
      return { status: "pass", message: "password required after sleep or screen saver" };
    }
    case "linux":
      return { status: "unknown", message: "desktop screen lock settings are not visible to osquery on Linux" };
    default:
      return { status: "unknown", message: "platform not known yet" };
  }
}

function checkin(s: HostSnapshot, p: HostPolicy, now: number): Verdict {
  const quiet = now - s.lastSeenAt;
  if (quiet > p.offlineAfterMs) return { status: "fail", message: `has not checked in since ${utcMinuteText(s.lastSeenAt)} UTC (limit ${human(p.offlineAfterMs)})` };
  return { status: "pass", message: "checking in" };
}

/** Judges one host: one finding per HOST_CHECKS entry, in that order. Never throws. */
export function judgeHost(s: HostSnapshot, p: HostPolicy, now: number): Finding[] {
  const f = new Facts(s);
  const verdicts: Record<HostRule, Verdict> = {
    "hosts.checkin": checkin(s, p, now),
    "hosts.antivirus": antivirus(f, p, now),
    "hosts.updates": updates(f, p, now),
    "hosts.os_eol": osEol(f, now),
    "hosts.disk_encryption": diskEncryption(f),
    "hosts.admins": admins(f, p),
    "hosts.firewall": firewall(f),
    "hosts.screen_lock": screenLock(f, p),
  };
  return HOST_CHECKS.map(({ rule }) => ({
    rule,
    kind: "policy" as const,
    status: verdicts[rule].status,
    message: `${s.name}: ${verdicts[rule].message}`,
    facts: [],
  }));
}
