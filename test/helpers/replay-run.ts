/**
 * A fake RunFn for probe tests: it replays recorded output for the exact argv and fails the
 * test on any other command, so a probe can never silently run something unexpected.
 */
import { readFileSync } from "node:fs";
import { CommandFailed, CommandNotFound, type RunFn, type RunResult } from "../../src/kit/exec.js";

export interface Replay {
  /** The exact argv, command first. */
  argv: string[];
  stdout?: string;
  /** Path of a fixture file whose content is the stdout. */
  stdoutFile?: string;
  stderr?: string;
  /** Non-zero exit replays as CommandFailed, like the real module. */
  code?: number;
  /** Replays as if the command were not installed. */
  notInstalled?: boolean;
}

export function replayRun(replays: Replay[]): RunFn & { calls: string[][] } {
  const calls: string[][] = [];
  const fn = (async (cmd: string, args: readonly string[], opts?: { okExitCodes?: number[] }): Promise<RunResult> => {
    const argv = [cmd, ...args];
    calls.push(argv);
    const r = replays.find((x) => x.argv.length === argv.length && x.argv.every((a, i) => a === argv[i]));
    if (!r) throw new Error(`unexpected command in probe test: ${JSON.stringify(argv)}`);
    if (r.notInstalled) throw new CommandNotFound(`${cmd}: not installed`, argv);
    const stdout = r.stdoutFile ? readFileSync(r.stdoutFile, "utf8") : (r.stdout ?? "");
    const stderr = r.stderr ?? "";
    const code = r.code ?? 0;
    if (!(opts?.okExitCodes ?? [0]).includes(code)) throw new CommandFailed(argv, code, stdout, stderr);
    return { stdout, stderr, code, durationMs: 1 };
  }) as RunFn & { calls: string[][] };
  fn.calls = calls;
  return fn;
}
