/**
 * The command table and dispatcher: picks the command from argv and renders any error once, here.
 */
import { baselineApproveCommand, baselineShowCommand } from "./baseline.js";
import { checkCommand } from "./check.js";
import type { Command, CommandIO } from "./command.js";
import { configCheckCommand, initCommand } from "./config.js";
import { notifyStatusCommand, notifyTestCommand } from "./notify.js";
import { alertsCommand } from "./alerts.js";
import { serveCommand } from "./serve.js";
import { userAddCommand } from "./user.js";
import { auditVerifyCommand } from "./audit.js";
import { doorsCommands } from "./doors.js";
import { dbBackupCommand, dbRestoreCommand } from "./db.js";
import { installCommand, uninstallCommand } from "./install.js";
import { probeQueryCommand, probeServeCommand } from "./probe.js";
import { reportCommand, reportKeyCommand, reportVerifyCommand } from "./report.js";
import { registerExportCommand, registerImportCommand, registerListCommand } from "./register.js";
import { describeError, UserError } from "../kit/errors.js";
import { ConfigError } from "../kit/config-errors.js";
import { VERSION } from "../version.js";

/** Every command; adding one means one module and one line here. */
export const COMMANDS: readonly Command[] = [
  serveCommand,
  checkCommand,
  baselineApproveCommand,
  baselineShowCommand,
  initCommand,
  configCheckCommand,
  notifyTestCommand,
  userAddCommand,
  auditVerifyCommand,
  notifyStatusCommand,
  alertsCommand,
  dbBackupCommand, dbRestoreCommand,
  installCommand, uninstallCommand,
  probeServeCommand, probeQueryCommand,
  ...doorsCommands,
  reportCommand, reportVerifyCommand, reportKeyCommand,
  registerListCommand, registerExportCommand, registerImportCommand,
];

function help(): string {
  return [
    `gatehouse ${VERSION} — security basics watchdog`,
    "",
    ...COMMANDS.map((c) => `  ${c.usage}\n      ${c.summary}`),
    "",
    "Config: --config FILE, else $GATEHOUSE_CONFIG, else /etc/gatehouse/gatehouse.yaml",
  ].join("\n");
}

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function main(argv: string[], io: CommandIO): Promise<number> {
  if (argv.length === 0 || argv[0] === "help" || argv[0] === "--help" || argv[0] === "-h") {
    io.out(help());
    return argv.length === 0 ? 3 : 0;
  }
  if (argv[0] === "--version") {
    io.out(VERSION);
    return 0;
  }
  const cmd = [...COMMANDS]
    .sort((a, b) => b.words.length - a.words.length)
    .find((c) => c.words.every((w, i) => argv[i] === w));
  if (!cmd) {
    io.err(`unknown command "${argv.slice(0, 2).join(" ")}"\n\n${help()}`);
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

