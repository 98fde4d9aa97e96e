/**
 * antivirus (control `antivirus`): an engine is installed; for ClamAV, clamd answers on its
 * socket, freshclam's last update worked, and the signature databases are fresh. Other
 * engines are detected and reported with `unknown` freshness rather than a false pass.
 */
import { isAbsolute, join } from "node:path";
import { z } from "zod";
import { CommandNotFound } from "../../kit/exec.js";
import { duration, parseWith } from "../../kit/config-schema.js";
import { ProbeError, defineMonitor, type Facts, type PolicyContext, type PolicyFinding, type ProbeContext } from "../monitor.js";
import { pingClamd } from "./clamd-ping.js";
import { ENGINES } from "./engines.js";
import { parseFreshclamLog, type FreshclamRun } from "./parse-freshclam-log.js";
import { parseSigtoolInfo, type SigtoolInfo } from "./parse-sigtool-info.js";
import { DAY_MS, HOUR_MS } from "../../kit/time.js";

const absPath = () => z.string().refine((p) => isAbsolute(p), { message: "expected an absolute path" });

const ConfigSchema = z.strictObject({
  max_signature_age: duration().default(3 * DAY_MS),
  clamd_socket: absPath().optional(),
  database_dir: absPath().default("/var/lib/clamav"),
  freshclam_log: absPath().default("/var/log/clamav/freshclam.log"),
  /** Every path above (and the engines' install paths) resolves under this root. */
  root: absPath().default("/"),
});

/** Validated `monitors.antivirus` config; `max_signature_age` in milliseconds. */
export type AntivirusConfig = z.output<typeof ConfigSchema>;

/** Where Debian (and most distributions) put clamd's socket. */
export const DEFAULT_CLAMD_SOCKETS = ["/run/clamav/clamd.ctl", "/var/run/clamav/clamd.ctl"];
const DATABASE_FILE = /^(daily|main|bytecode)\.(cvd|cld)$/;

const K = {
  engines: "antivirus.engines",
  clamav: "antivirus.clamav_installed",
  socket: "antivirus.clamd_socket",
  alive: "antivirus.clamd_alive",
  clamdError: "antivirus.clamd_error",
  databases: "antivirus.signature_databases",
  version: "antivirus.signature_version",
  buildTime: "antivirus.signature_build_time",
  age: "antivirus.signature_age_hours",
  freshclamConfigured: "antivirus.freshclam_configured",
  freshclamRun: "antivirus.freshclam_last_run",
  freshclamResult: "antivirus.freshclam_last_result",
  freshclamError: "antivirus.freshclam_last_error",
} as const;

async function exists(ctx: ProbeContext, path: string): Promise<boolean> {
  try {
    await ctx.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** freshclam logs local wall-clock time; the probe runs in the same zone, so read it as local. */
function localNaiveToIso(naive: string): string {
  const [d, t] = naive.split("T") as [string, string];
  const [y, mo, day] = d.split("-").map(Number) as [number, number, number];
  const [h, mi, s] = t.split(":").map(Number) as [number, number, number];
  return new Date(y, mo - 1, day, h, mi, s).toISOString();
}

async function readDatabases(ctx: ProbeContext, dir: string): Promise<{ infos: SigtoolInfo[]; problems: string[] }> {
  let names: string[];
  try {
    names = (await ctx.readDir(dir)).filter((n) => DATABASE_FILE.test(n));
  } catch {
    return { infos: [], problems: [`${dir} cannot be read`] };
  }
  const infos: SigtoolInfo[] = [];
  const problems: string[] = [];
  for (const name of names) {
    // sigtool exits 1 when it printed the header but could not verify the signature.
    const r = await ctx.run("sigtool", ["--info", join(dir, name)], { okExitCodes: [0, 1], timeoutMs: 30_000, signal: ctx.signal });
    try {
      infos.push({ ...parseSigtoolInfo(r.stdout), file: name });
    } catch (e) {
      problems.push(`${name}: ${(e as Error).message}${r.stderr ? ` (${r.stderr.trim().split("\n").at(-1)})` : ""}`);
    }
  }
  return { infos, problems };
}

async function probeClamav(ctx: ProbeContext, cfg: AntivirusConfig): Promise<{ facts: Facts; evidence: string[] }> {
  const at = (p: string) => join(cfg.root, p);
  const candidates = cfg.clamd_socket ? [cfg.clamd_socket] : DEFAULT_CLAMD_SOCKETS;
  let socket: string | null = null;
  for (const c of candidates) {
    if (await exists(ctx, at(c))) {
      socket = c;
      break;
    }
  }
  const ping = socket ? await pingClamd(at(socket), { signal: ctx.signal }) : { alive: false, error: `no socket at ${candidates.join(" or ")}` };

  let infos: SigtoolInfo[] = [];
  let problems: string[] = [];
  try {
    ({ infos, problems } = await readDatabases(ctx, at(cfg.database_dir)));
  } catch (e) {
    if (!(e instanceof CommandNotFound)) throw e;
    problems = ["sigtool is not installed (apt install clamav)"];
  }
  const daily = infos.find((i) => i.file.startsWith("daily."));
  const newest = infos.map((i) => i.buildTime).sort().at(-1) ?? null;

  let log: FreshclamRun | undefined;
  try {
    log = parseFreshclamLog(await ctx.privileged.readFile(at(cfg.freshclam_log)));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") log = undefined; // freshclam never ran (or logs elsewhere)
    else if (e instanceof ProbeError) log = { startedAt: null, result: "unknown", errors: [e.message], databases: [] };
    else log = { startedAt: null, result: "unknown", errors: [`cannot read ${cfg.freshclam_log}: ${code ?? (e as Error).message}`], databases: [] };
  }

  const facts: Facts = {
    [K.socket]: socket,
    [K.alive]: ping.alive,
    [K.clamdError]: ping.alive ? null : (ping.error ?? null),
    [K.databases]: infos.map((i) => `${i.file} ${i.version} ${i.buildTime}`),
    [K.version]: daily?.version ?? null,
    [K.buildTime]: newest,
    [K.age]: newest ? Math.round(((ctx.now().getTime() - Date.parse(newest)) / 3_600_000) * 10) / 10 : null,
    [K.freshclamConfigured]: await exists(ctx, at("/etc/clamav/freshclam.conf")),
    [K.freshclamRun]: log?.startedAt ? localNaiveToIso(log.startedAt) : null,
    [K.freshclamResult]: log?.result ?? null,
    // "Database update process failed: <cause>" names the cause; the closing "Update failed." does not.
    [K.freshclamError]: log ? (log.errors.find((e) => /process failed/.test(e)) ?? log.errors[0] ?? null) : null,
  };
  const evidence = [
    `clamd ${socket ?? "(no socket)"}: ${ping.alive ? "PONG" : `not alive (${ping.error})`}`,
    ...infos.map((i) => `${i.file}: version ${i.version}, built ${i.buildTime}, ${i.signatures} signatures${i.verified ? ", verified" : ""}`),
    ...problems,
    log?.startedAt ? `freshclam last run ${log.startedAt}: ${log.result}${log.errors.length ? ` (${log.errors.at(-1)})` : ""}` : "freshclam: no update logged",
  ];
  return { facts, evidence };
}

const NOT_CLAMAV: Facts = {
  [K.socket]: null,
  [K.alive]: null,
  [K.clamdError]: null,
  [K.databases]: [],
  [K.version]: null,
  [K.buildTime]: null,
  [K.age]: null,
  [K.freshclamConfigured]: false,
  [K.freshclamRun]: null,
  [K.freshclamResult]: null,
  [K.freshclamError]: null,
};

function hours(ms: number): string {
  return ms % DAY_MS === 0 ? `${ms / DAY_MS} days` : `${Math.round(ms / HOUR_MS)} hours`;
}

function clamavFindings(facts: Facts, cfg: AntivirusConfig, now: Date): PolicyFinding[] {
  const out: PolicyFinding[] = [];
  const socket = facts[K.socket];
  out.push(
    facts[K.alive] === true
      ? { rule: "antivirus.clamd_running", status: "pass", facts: [K.alive], message: `clamd answers on ${String(socket)}.` }
      : {
          rule: "antivirus.clamd_running",
          status: "fail",
          facts: [K.alive, K.clamdError],
          message: `clamd is not answering (${String(facts[K.clamdError] ?? "no socket")}): apt install clamav-daemon && systemctl enable --now clamav-daemon.`,
        },
  );

  const built = facts[K.buildTime];
  const max = cfg.max_signature_age;
  if (typeof built !== "string") {
    out.push({
      rule: "antivirus.signatures_fresh",
      status: "fail",
      facts: [K.databases],
      message: `No readable ClamAV signature database in ${cfg.database_dir}: run freshclam (apt install clamav-freshclam).`,
    });
  } else {
    const age = now.getTime() - Date.parse(built);
    const days = Math.floor(age / DAY_MS);
    const base = { rule: "antivirus.signatures_fresh", facts: [K.buildTime, K.age] };
    if (age > 2 * max) {
      out.push({ ...base, status: "fail", message: `ClamAV signatures are ${days} days old (limit ${hours(max)}): fix freshclam and run it now.` });
    } else if (age > max) {
      out.push({ ...base, status: "warn", message: `ClamAV signatures are ${days} days old (limit ${hours(max)}): check that clamav-freshclam runs and reaches its mirror.` });
    } else {
      out.push({ ...base, status: "pass", message: `ClamAV signatures built ${built} (within ${hours(max)}).` });
    }
  }

  const result = facts[K.freshclamResult];
  const base = { rule: "antivirus.freshclam", facts: [K.freshclamResult, K.freshclamRun, K.freshclamError, K.freshclamConfigured] };
  if (result === "failed") {
    out.push({ ...base, status: "warn", message: `freshclam's last update failed (${String(facts[K.freshclamError])}): check its network access and /etc/clamav/freshclam.conf.` });
  } else if (result === null) {
    out.push({
      ...base,
      status: "warn",
      message: facts[K.freshclamConfigured]
        ? `freshclam has not logged any update in ${cfg.freshclam_log}: systemctl enable --now clamav-freshclam.`
        : "freshclam is not configured: apt install clamav-freshclam && systemctl enable --now clamav-freshclam.",
    });
  } else if (result === "ok") {
    out.push({ ...base, status: "pass", message: `freshclam's last update (${String(facts[K.freshclamRun])}) succeeded.` });
  } else {
    out.push({ ...base, status: "unknown", message: `freshclam's last update result is unclear: ${String(facts[K.freshclamError] ?? "the run has not finished")}.` });
  }
  return out;
}

function policy(facts: Facts, cfg: AntivirusConfig, ctx: PolicyContext): PolicyFinding[] {
  const engines = Array.isArray(facts[K.engines]) ? (facts[K.engines] as string[]) : [];
  if (engines.length === 0) {
    return [
      {
        rule: "antivirus.installed",
        status: "fail",
        facts: [K.engines],
        message: "No anti-virus found: apt install clamav clamav-daemon clamav-freshclam, then systemctl enable --now clamav-daemon clamav-freshclam.",
      },
    ];
  }
  const out: PolicyFinding[] = [
    { rule: "antivirus.installed", status: "pass", facts: [K.engines], message: `Anti-virus present: ${engines.join(", ")}.` },
  ];
  for (const id of engines.filter((e) => e !== "clamav")) {
    const name = ENGINES.find((e) => e.id === id)?.name ?? id;
    out.push({
      rule: "antivirus.engine_freshness",
      subject: id,
      status: "unknown",
      facts: [K.engines],
      message: `${name} detected; Gatehouse cannot read its signature freshness: confirm it in the vendor's console.`,
    });
  }
  if (engines.includes("clamav")) out.push(...clamavFindings(facts, cfg, ctx.now));
  return out;
}

/** The antivirus monitor. */
export const antivirus = defineMonitor<AntivirusConfig>({
  id: "antivirus",
  title: "Anti-virus",
  control: "antivirus",
  defaultSchedule: "23 * * * *",
  starter: "# antivirus: { max_signature_age: 3d }",
  enabledByDefault: true,
  parseConfig: (raw) => parseWith(ConfigSchema, raw ?? {}),
  async probe(ctx, cfg) {
    const engines: string[] = [];
    for (const e of ENGINES) {
      for (const p of e.paths) {
        if (await exists(ctx, join(cfg.root, p))) {
          engines.push(e.id);
          break;
        }
      }
    }
    // Signature databases alone (a copied /var/lib/clamav) still count as a ClamAV install.
    if (!engines.includes("clamav") && (await ctx.readDir(join(cfg.root, cfg.database_dir)).catch((): string[] => [])).some((n) => DATABASE_FILE.test(n))) {
      engines.unshift("clamav");
    }
    const evidence = [`engines: ${engines.length ? engines.join(", ") : "none found"}`];
    let facts: Facts = { [K.engines]: engines, [K.clamav]: engines.includes("clamav"), ...NOT_CLAMAV };
    if (engines.includes("clamav")) {
      const c = await probeClamav(ctx, cfg);
      facts = { ...facts, ...c.facts };
      evidence.push(...c.evidence);
    }
    return { facts, evidence: evidence.join("\n") };
  },
  policy,
  baselineFacts: [K.engines, K.socket],
});
