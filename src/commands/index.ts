/**
 * The command table and dispatcher: picks the command from argv and renders any error once, here.
 * Each command's module is imported only when that command runs (help imports them all), so a
 * command loads what it needs and not the daemon, the console or another command's libraries.
 */
import type { Command, CommandIO } from "./command.js";
import { describeError, UserError } from "../kit/errors.js";
import { ConfigError } from "../kit/config-errors.js";
import { VERSION } from "../version.js";

/**
 * Which module implements the commands starting with each first word; the module's exported
 * commands (their `words`, summary and usage) are the rest. Adding a command: export it from its
 * module and, for a new first word, add one line here.
 */
export const COMMAND_MODULES: readonly { first: readonly string[]; load: () => Promise<Record<string, unknown>> }[] = [
  { first: ["serve"], load: () => import("./serve.js") },
  { first: ["check"], load: () => import("./check.js") },
  { first: ["baseline"], load: () => import("./baseline.js") },
  { first: ["init", "config"], load: () => import("./config.js") },
  { first: ["notify"], load: () => import("./notify.js") },
  { first: ["user"], load: () => import("./user.js") },
  { first: ["audit"], load: () => import("./audit.js") },
  { first: ["alerts"], load: () => import("./alerts.js") },
  { first: ["db"], load: () => import("./db.js") },
  { first: ["install", "uninstall"], load: () => import("./install.js") },
  { first: ["probe"], load: () => import("./probe.js") },
  { first: ["doors"], load: () => import("./doors.js") },
  { first: ["report"], load: () => import("./report.js") },
  { first: ["register"], load: () => import("./register.js") },
];

const isCommand = (x: unknown): x is Command =>
  typeof x === "object" && x !== null && Array.isArray((x as Command).words) && typeof (x as Command).run === "function";

/** The commands a module exports (singly or in an array), once each, in the namespace's order (by export name). */
export function commandsOf(mod: Record<string, unknown>): Command[] {
  return [...new Set(Object.values(mod).flat().filter(isCommand))];
}

/** Every command, in table order (imports every command module: for help and tests). */
export async function allCommands(): Promise<Command[]> {
  const mods = await Promise.all(COMMAND_MODULES.map((m) => m.load()));
  return mods.flatMap(commandsOf);
}

async function help(): Promise<string> {
  return [
    `gatehouse ${VERSION} — security basics watchdog`,
    "",
    ...(await allCommands()).map((c) => `  ${c.usage}\n      ${c.summary}`),
    "",
    "Config: --config FILE, else $GATEHOUSE_CONFIG, else /etc/gatehouse/gatehouse.yaml",
  ].join("\n");
}

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function main(argv: string[], io: CommandIO): Promise<number> {
  if (argv.length === 0 || argv[0] === "help" || argv[0] === "--help" || argv[0] === "-h") {
    io.out(await help());
    return argv.length === 0 ? 3 : 0;
  }
  if (argv[0] === "--version") {
    io.out(VERSION);
    return 0;
  }
  const mod = COMMAND_MODULES.find((m) => m.first.includes(argv[0]!));
  const cmd = (mod ? commandsOf(await mod.load()) : [])
    .sort((a, b) => b.words.length - a.words.length)
    .find((c) => c.words.every((w, i) => argv[i] === w));
  if (!cmd) {
    io.err(`unknown command "${argv.slice(0, 2).join(" ")}"\n\n${await help()}`);
    return 3;
  }
  try {
    return await cmd.run(argv.slice(cmd.words.length), io);
  } catch (e) {
    io.err(`gatehouse ${cmd.words.join(" ")}: ${describeError(e)}`);
    if (e instanceof UserError) return e.exitCode;
    if (e instanceof ConfigError) return 3;
    if (!(e instanceof Error) || process.env.GATEHOUSE_DEBUG) console.error(e);
    return 3;
  }
}

