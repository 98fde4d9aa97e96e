/** `gatehouse install` and `gatehouse uninstall`: run systemd/install.sh / uninstall.sh of this build. */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CommandFailed, run } from "../kit/exec.js";
import { UserError } from "../kit/errors.js";
import { parseCommandArgs, type Command } from "./command.js";

const installUsage = "gatehouse install [--root DIR] [--prefix DIR] [--no-enable] [--no-prune]";
const uninstallUsage = "gatehouse uninstall [--root DIR] [--prefix DIR] [--purge]";

/** systemd/<script> of this build: found upwards from this module (src/ under tests, dist/src/ when built). */
function script(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, "systemd", name);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new UserError(`cannot find systemd/${name} next to this installation`, 1);
}

/** Runs the script with its output passed through; its exit code is the command's (its messages carry their own prefix). */
async function runScript(name: string, args: string[], io: { out(t: string): void; err(t: string): void }): Promise<number> {
  try {
    const r = await run("sh", [script(name), ...args], { timeoutMs: 15 * 60_000 });
    if (r.stdout.trim()) io.out(r.stdout.trimEnd());
    if (r.stderr.trim()) io.err(r.stderr.trimEnd());
    return 0;
  } catch (e) {
    if (e instanceof CommandFailed) {
      if (e.stdout.trim()) io.out(e.stdout.trimEnd());
      io.err(e.stderr.trim() || `${name} failed with code ${e.code}`);
      return typeof e.code === "number" && e.code > 0 ? e.code : 1;
    }
    throw e;
  }
}

export const installCommand: Command = {
  words: ["install"],
  summary: "install as a systemd service: users, directories, units, starter config (systemd/install.sh)",
  usage: installUsage,
  async run(argv, io) {
    const { values } = parseCommandArgs(
      argv,
      { root: { type: "string" }, prefix: { type: "string" }, "no-enable": { type: "boolean" }, "no-prune": { type: "boolean" } },
      installUsage,
    );
    const args = [
      ...(values.root ? ["--root", values.root] : []),
      ...(values.prefix ? ["--prefix", values.prefix] : []),
      ...(values["no-enable"] ? ["--no-enable"] : []),
      ...(values["no-prune"] ? ["--no-prune"] : []),
    ];
    return runScript("install.sh", args, io);
  },
};

export const uninstallCommand: Command = {
  words: ["uninstall"],
  summary: "remove the service; keeps config and data unless --purge (systemd/uninstall.sh)",
  usage: uninstallUsage,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { root: { type: "string" }, prefix: { type: "string" }, purge: { type: "boolean" } }, uninstallUsage);
    const args = [...(values.root ? ["--root", values.root] : []), ...(values.prefix ? ["--prefix", values.prefix] : []), ...(values.purge ? ["--purge"] : [])];
    return runScript("uninstall.sh", args, io);
  },
};
