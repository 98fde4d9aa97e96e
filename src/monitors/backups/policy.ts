/**
 * Pure policy of the backups monitor: facts of each configured set → findings. One finding per
 * rule and set (`subject` = set name), so the console can show each set's own row.
 */
import type { Facts, PolicyContext, PolicyFinding } from "../monitor.js";
import { BROKEN_KINDS, type AccessErrorKind } from "./access-error.js";
import type { BackupSet, BackupsConfig } from "./config.js";
import { formatBytes, roughAge } from "../../kit/format.js";

/** Per-set fact key: `backups.set.<name>.<field>` (set names are validated to be key-safe). */
export function setFact(name: string, field: string): string {
  return `backups.set.${name}.${field}`;
}

const ADVICE: Record<AccessErrorKind, string> = {
  wrong_password: "the password file does not open this repository: point the password file at the repository's real password",
  password_file_missing: "the password file is missing or unreadable: fix its path or permissions",
  repository_missing: "there is no repository at that location: is the backup disk mounted and the path right?",
  not_a_repository: "that location is not a repository: fix the repository path",
  repository_locked: "another process holds the repository lock (a backup or prune running, or a stale lock left by a crash): if this persists, remove the stale lock",
  refused: "the tool refused to open the repository without a confirmation: run it once by hand as the agent's user, or set borg.base_dir to the backup job's",
  timeout: "the command hung: check the mount or network path to the repository",
  not_installed: "the backup tool is not installed on this host: install it",
  permission_denied: "the agent cannot read it: give the agent's user read access",
  bad_output: "the tool's output could not be understood: see the evidence",
  failed: "see the evidence for the tool's full message",
};

/** Severity of an access error: unusable setups fail, a lock is usually transient. */
function accessStatus(kind: AccessErrorKind): PolicyFinding["status"] {
  if (BROKEN_KINDS.has(kind)) return "fail";
  if (kind === "repository_locked") return "warn";
  return "unknown";
}

/** Turns the probe's facts into findings for every configured set. */
export function backupsPolicy(facts: Facts, config: BackupsConfig, ctx: PolicyContext): PolicyFinding[] {
  if (config.sets.length === 0) {
    return [
      {
        rule: "backups.not_configured",
        status: "fail",
        message:
          "No backup sets are configured, so there is no evidence that backups exist: list each backup (a directory, restic or borg repository) under monitors.backups",
        facts: ["backups.sets"],
      },
    ];
  }
  return config.sets.flatMap((set) => setFindings(facts, set, ctx.now));
}

function setFindings(facts: Facts, set: BackupSet, now: Date): PolicyFinding[] {
  const f = (field: string) => facts[setFact(set.name, field)];
  const keys = (...fields: string[]) => fields.map((x) => setFact(set.name, x));
  const subject = set.name;
  const kind = f("error_kind");
  if (typeof kind === "string") {
    const k = kind as AccessErrorKind;
    return [
      {
        rule: "backups.access",
        status: accessStatus(k),
        message: `Backup set "${set.name}" could not be read (${String(f("error") ?? k)}): ${ADVICE[k] ?? ADVICE.failed}`,
        facts: keys("error_kind", "error"),
        subject,
      },
    ];
  }
  if (f("kind") === undefined) {
    return [
      {
        rule: "backups.access",
        status: "unknown",
        message: `Backup set "${set.name}" was not observed (no facts for it): run the probe again`,
        facts: keys("kind"),
        subject,
      },
    ];
  }
  const out: PolicyFinding[] = [
    { rule: "backups.access", status: "pass", message: `Backup set "${set.name}" is readable`, facts: keys("error_kind"), subject },
  ];

  const latest = f("latest_at");
  const latestMs = typeof latest === "string" ? Date.parse(latest) : NaN;
  if (!Number.isFinite(latestMs)) {
    out.push({
      rule: "backups.fresh",
      status: "fail",
      message: `Backup set "${set.name}" holds no backups at all: check that the backup job runs and writes there`,
      facts: keys("latest_at", "count"),
      subject,
    });
  } else {
    const age = now.getTime() - latestMs;
    const stale = age > set.maxAgeMs;
    out.push({
      rule: "backups.fresh",
      status: stale ? "fail" : "pass",
      message: stale
        ? `Newest backup of "${set.name}" is ${roughAge(age)} old, over max_age ${roughAge(set.maxAgeMs)}: check the backup job and its log`
        : `Newest backup of "${set.name}" is ${roughAge(age)} old (max_age ${roughAge(set.maxAgeMs)})`,
      facts: keys("latest_at", "age_hours"),
      subject,
    });
  }

  const latestBytes = f("latest_bytes");
  const previousBytes = f("previous_bytes");
  if (set.source.kind === "path" && typeof latestBytes === "number" && typeof previousBytes === "number") {
    const shrunk = latestBytes < previousBytes * set.minSizeRatio;
    out.push({
      rule: "backups.size_drop",
      status: shrunk ? "warn" : "pass",
      message: shrunk
        ? `Newest backup of "${set.name}" (${String(f("latest_name"))}, ${formatBytes(latestBytes)}) is under ${Math.round(set.minSizeRatio * 100)}% of the one before (${formatBytes(previousBytes)}): the job may have stopped half-way or backed up an empty source`
        : `Newest backup of "${set.name}" is ${formatBytes(latestBytes)}, in line with the one before (${formatBytes(previousBytes)})`,
      facts: keys("latest_bytes", "previous_bytes"),
      subject,
    });
  }

  if (set.source.kind === "restic" && set.source.check) {
    const check = f("check");
    const detail = String(f("check_error") ?? "");
    const [status, message]: [PolicyFinding["status"], string] =
      check === "ok"
        ? ["pass", `restic check found no errors in "${set.name}"`]
        : check === "errors"
          ? ["fail", `restic check found errors in "${set.name}" (${detail}): repair the repository (restic rebuild-index / repair) and take a fresh backup`]
          : check === "locked"
            ? ["warn", `restic check of "${set.name}" could not lock the repository (${detail}): a backup or prune may be running; if this persists, remove the stale lock`]
            : ["unknown", `restic check of "${set.name}" did not complete (${detail || "no result"}): see the evidence`];
    out.push({ rule: "backups.check", status, message, facts: keys("check", "check_error"), subject });
  }
  return out;
}
