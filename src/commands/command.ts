/**
 * A CLI command: its words (`baseline approve`), a one-line summary, usage, and a handler that
 * returns the exit code. Errors thrown are rendered once, by src/cli.ts.
 */
import { userInfo } from "node:os";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { openAgent, type Agent, type AgentOptions } from "../agent/agent.js";
import { loadConfig, resolveConfigPath, type GatehouseConfig } from "../agent/config/load.js";
import { UserError } from "../kit/errors.js";
import { openStore, type Db } from "../agent/store/db.js";

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

/**
 * Loads the config named by `flag`, opens the agent, runs `fn` and closes the agent however it
 * ends. `check` runs on the config before anything is opened, so a bad argument found there
 * never creates or migrates a database.
 */
export async function withAgent<T>(
  flag: string | undefined,
  fn: (agent: Agent, config: GatehouseConfig) => Promise<T> | T,
  check?: (config: GatehouseConfig) => void,
  agentOptions: AgentOptions = {},
): Promise<T> {
  const config = loadConfigFrom(flag);
  check?.(config);
  const agent = openAgent(config, agentOptions);
  try {
    return await fn(agent, config);
  } finally {
    agent.close();
  }
}

/** Like `withAgent` for commands that need only the database (no monitors, no channels). */
export async function withStore<T>(
  flag: string | undefined,
  fn: (db: Db, config: GatehouseConfig) => Promise<T> | T,
  opts: { readonly?: boolean } = {},
): Promise<T> {
  const config = loadConfigFrom(flag);
  const db = openStore(config.dataDir, opts);
  try {
    return await fn(db, config);
  } finally {
    db.close();
  }
}

/** The single, non-empty positional argument a command takes; anything else is a usage error (exit 3). */
export function onePositional(positionals: readonly string[], what: string, usage: string): string {
  if (positionals.length !== 1 || !positionals[0]) throw new UserError(`expected one ${what}\nusage: ${usage}`, 3);
  return positionals[0]!;
}

/**
 * The operating-system user running a CLI command, for the audit log: the name of the process's
 * uid (getpwuid, i.e. /etc/passwd), never the USER/LOGNAME variables, which cron and systemd
 * leave unset and anyone can set. Under sudo (uid 0 with SUDO_USER) the person who ran sudo.
 */
export function osActor(uid = process.getuid?.() ?? -1, nameOf: (uid: number) => string | undefined = uidName, sudoUser = process.env.SUDO_USER): string {
  if (uid === 0 && sudoUser && /^[a-z_][a-z0-9_.-]{0,31}\$?$/i.test(sudoUser)) return `os:${sudoUser}`;
  return `os:${nameOf(uid) ?? `uid ${uid}`}`;
}

function uidName(uid: number): string | undefined {
  try {
    const u = userInfo();
    return u.uid === uid ? u.username : undefined;
  } catch {
    return undefined; // no passwd entry for this uid (a bare container)
  }
}
