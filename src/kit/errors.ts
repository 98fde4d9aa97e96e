/**
 * The one place that turns errors into words for people: CLI output, log lines, console pages.
 * No stack traces reach users.
 */
import { ConfigError } from "./config-errors.js";

/** A user-facing error: its message is shown as is (the CLI exits with `exitCode`). */
export class UserError extends Error {
  override readonly name = "UserError";
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** One readable line (or several for config errors) describing `e`. */
export function describeError(e: unknown): string {
  if (e instanceof ConfigError) return `invalid configuration:\n${e.issues.map((i) => `  ${formatLine(i)}`).join("\n")}`;
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

function formatLine(i: ConfigError["issues"][number]): string {
  return new ConfigError([i]).message;
}
