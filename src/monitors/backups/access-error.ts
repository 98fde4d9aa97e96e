/**
 * Why a backup set could not be read, in words an office manager can act on. Both restic and
 * borg errors, and exec's typed failures, map onto this one small vocabulary so the policy can
 * decide severity without knowing which tool produced it.
 */
import {
  CommandError,
  CommandFailed,
  CommandNotFound,
  CommandOutputTooLarge,
  CommandPermissionDenied,
  CommandTimeout,
} from "../../kit/exec.js";

/** Stable values of the `backups.set.<name>.error_kind` fact. */
export type AccessErrorKind =
  | "wrong_password"
  | "password_file_missing"
  | "repository_missing"
  | "not_a_repository"
  | "repository_locked"
  | "refused"
  | "timeout"
  | "not_installed"
  | "permission_denied"
  | "bad_output"
  | "failed";

export interface AccessError {
  kind: AccessErrorKind;
  /** One line, taken from the tool's own words where it has them. */
  message: string;
}

/** Kinds that mean "the backup cannot be restored with what is configured": a fail. */
export const BROKEN_KINDS: ReadonlySet<AccessErrorKind> = new Set([
  "wrong_password",
  "password_file_missing",
  "repository_missing",
  "not_a_repository",
  "refused",
]);

/** First non-empty line, bounded, so a finding message stays one line. */
export function oneLine(text: string, max = 240): string {
  const line =
    text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? "";
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/**
 * Maps exec's typed failures; `fromStderr` classifies a tool's own error text for CommandFailed
 * (and for permission errors, whose stderr exec keeps).
 */
export function accessErrorFromCommand(e: unknown, tool: string, fromStderr: (stderr: string) => AccessError): AccessError {
  if (e instanceof CommandTimeout) return { kind: "timeout", message: `${tool} did not answer in time (${e.message})` };
  if (e instanceof CommandNotFound) return { kind: "not_installed", message: `${tool} is not installed on this host` };
  if (e instanceof CommandPermissionDenied) {
    const told = e.stderr ? fromStderr(e.stderr) : undefined;
    if (told && told.kind !== "failed") return told;
    return { kind: "permission_denied", message: e.stderr ? oneLine(e.stderr) : `${tool}: permission denied` };
  }
  if (e instanceof CommandOutputTooLarge) return { kind: "bad_output", message: e.message };
  if (e instanceof CommandFailed) return fromStderr(e.stderr);
  if (e instanceof CommandError) return { kind: "failed", message: e.message };
  return { kind: "failed", message: e instanceof Error ? e.message : String(e) };
}
