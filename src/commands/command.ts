/**
 * A CLI command: its words (`baseline approve`), a one-line summary, usage, and a handler that
 * returns the exit code. Errors thrown are rendered once, by src/cli.ts.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { loadConfig, resolveConfigPath, type GatehouseConfig } from "../agent/config/load.js";
import { UserError } from "../agent/errors.js";

export interface Command {
  /** The words that select it, e.g. ["baseline", "approve"]. */
  words: string[];
  summary: string;
  usage: string;
  run(argv: string[], io: CommandIO): Promise<number>;
}

export interface CommandIO {
  out(text: string): void;
  err(text: string): void;
}

/** parseArgs with strict options; a usage mistake becomes a UserError (exit 3, Nagios unknown). */
export function parseCommandArgs<O extends NonNullable<ParseArgsConfig["options"]>>(argv: string[], options: O, usage: string) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UserError(`${(e as Error).message}\nusage: ${usage}`, 3);
  }
}

/** The common `--config FILE` option. */
export const configOption = { config: { type: "string" } } as const;

/** Loads the config named by --config / $GATEHOUSE_CONFIG / the default path. */
export function loadConfigFrom(flag: string | undefined): GatehouseConfig {
  return loadConfig(resolveConfigPath(flag));
}

/** The operating-system user running a CLI command, for the audit log. */
export function osActor(): string {
  const sudo = process.env.SUDO_USER;
  let user = "unknown";
  try {
    user = process.env.USER ?? process.env.LOGNAME ?? "unknown";
  } catch {
    /* keep unknown */
  }
  return `os:${sudo ?? user}`;
}
