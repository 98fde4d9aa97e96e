/**
 * The one module that runs commands. Argument arrays only (never a shell), commands resolved
 * to absolute paths, `LC_ALL=C`, a timeout, an output cap, an AbortSignal, and typed failures.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";

export interface RunOptions {
  /** Kill the command after this many milliseconds (default 30 s). */
  timeoutMs?: number;
  /** Kill the command when stdout or stderr exceeds this many bytes (default 8 MiB). */
  maxOutputBytes?: number;
  signal?: AbortSignal;
  /** Extra environment variables (never a secret on the command line: use these or stdin). */
  env?: Record<string, string>;
  /** Written to the command's stdin, which is then closed. */
  input?: string;
  /** Exit codes that are not failures (default [0]). */
  okExitCodes?: number[];
  cwd?: string;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
  durationMs: number;
}

/** Signature every monitor uses; tests substitute a replaying fake with the same shape. */
export type RunFn = (cmd: string, args: readonly string[], opts?: RunOptions) => Promise<RunResult>;

/** Base of all command failures; `command` is the argv as run, for messages. */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly command: readonly string[],
  ) {
    super(message);
  }
}
export class CommandNotFound extends CommandError {
  override readonly name = "CommandNotFound";
}
export class CommandPermissionDenied extends CommandError {
  override readonly name = "CommandPermissionDenied";
  constructor(command: readonly string[], readonly stderr = "") {
    super(`${command[0]}: permission denied${stderr ? `: ${firstLine(stderr)}` : ""}`, command);
  }
}
export class CommandTimeout extends CommandError {
  override readonly name = "CommandTimeout";
}
export class CommandOutputTooLarge extends CommandError {
  override readonly name = "CommandOutputTooLarge";
}
export class CommandAborted extends CommandError {
  override readonly name = "CommandAborted";
}
export class CommandFailed extends CommandError {
  override readonly name = "CommandFailed";
  constructor(
    command: readonly string[],
    readonly code: number,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`${command[0]} exited with code ${code}${stderr ? `: ${firstLine(stderr)}` : ""}`, command);
  }
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_OUTPUT = 8 * 1024 * 1024;
const FALLBACK_PATH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

function firstLine(s: string): string {
  const line = s.trim().split("\n")[0] ?? "";
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

function searchPath(): string[] {
  const fromEnv = (process.env.PATH ?? "").split(delimiter).filter((d) => isAbsolute(d));
  return fromEnv.length > 0 ? fromEnv : FALLBACK_PATH;
}

/**
 * Resolves a command name to an absolute executable path, or throws CommandNotFound.
 * Relative paths with a slash are refused: they would depend on the working directory.
 */
export function resolveCommand(cmd: string): string {
  if (cmd.includes("/")) {
    if (!isAbsolute(cmd)) throw new CommandNotFound(`${cmd}: relative command paths are not allowed`, [cmd]);
    if (!isExecutableFile(cmd)) throw new CommandNotFound(`${cmd}: not installed`, [cmd]);
    return cmd;
  }
  for (const dir of searchPath()) {
    const candidate = join(dir, cmd);
    if (isExecutableFile(candidate)) return candidate;
  }
  throw new CommandNotFound(`${cmd}: not installed (searched ${searchPath().join(":")})`, [cmd]);
}

/** Whether a command can be found; for "does this host have X" decisions. */
export function hasCommand(cmd: string): boolean {
  try {
    resolveCommand(cmd);
    return true;
  } catch {
    return false;
  }
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function childEnv(extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  return { PATH: searchPath().join(delimiter), LC_ALL: "C", LANG: "C", ...extra };
}

/** What a tool prints when it lacks a privilege (shared with the streaming readers). */
export const PERMISSION_PATTERNS = /permission denied|operation not permitted|must be root|are you root/i;

/** Runs one command to completion. Never uses a shell. */
export const run: RunFn = (cmd, args, opts = {}) => {
  const argv = [cmd, ...args];
  let file: string;
  try {
    file = resolveCommand(cmd);
  } catch (e) {
    return Promise.reject(e);
  }
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const cap = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  const ok = opts.okExitCodes ?? [0];
  const started = performance.now();

  return new Promise<RunResult>((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(new CommandAborted(`${cmd}: aborted before start`, argv));
      return;
    }
    const child = spawn(file, [...args], {
      shell: false,
      env: childEnv(opts.env),
      cwd: opts.cwd ?? "/",
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let failure: CommandError | undefined;

    const stop = (why: CommandError) => {
      if (!failure) failure = why;
      child.kill("SIGKILL");
    };
    const timer = setTimeout(
      () => stop(new CommandTimeout(`${cmd}: timed out after ${timeoutMs} ms`, argv)),
      timeoutMs,
    );
    const onAbort = () => stop(new CommandAborted(`${cmd}: aborted`, argv));
    opts.signal?.addEventListener("abort", onAbort, { once: true });

    child.stdout!.on("data", (b: Buffer) => {
      outBytes += b.length;
      if (outBytes > cap) stop(new CommandOutputTooLarge(`${cmd}: output exceeded ${cap} bytes`, argv));
      else out.push(b);
    });
    child.stderr!.on("data", (b: Buffer) => {
      errBytes += b.length;
      if (errBytes <= cap) err.push(b);
    });
    child.stdin!.on("error", () => {
      /* the command may exit without reading its input */
    });
    child.stdin!.end(opts.input ?? "");

    child.on("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      if (e.code === "ENOENT") reject(new CommandNotFound(`${cmd}: not installed`, argv));
      else if (e.code === "EACCES") reject(new CommandPermissionDenied(argv));
      else reject(new CommandError(`${cmd}: ${e.message}`, argv));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      const stdout = Buffer.concat(out).toString("utf8");
      const stderr = Buffer.concat(err).toString("utf8");
      if (failure) return reject(failure);
      const exit = code ?? (signal ? 128 : -1);
      if (!ok.includes(exit)) {
        if (exit === 126 || PERMISSION_PATTERNS.test(stderr)) return reject(new CommandPermissionDenied(argv, stderr));
        if (exit === 127) return reject(new CommandNotFound(`${cmd}: not installed`, argv));
        return reject(new CommandFailed(argv, exit, stdout, stderr));
      }
      resolve({ stdout, stderr, code: exit, durationMs: performance.now() - started });
    });
  });
};

export interface LineStream {
  /** Resolves when the process exits (with its exit code, or null when killed). */
  exited: Promise<number | null>;
  stop(): void;
}

/**
 * Starts a long-running command (`nft monitor`, `gpiomon`) and calls onLine for each line of
 * its stdout. Lines longer than maxLineBytes are dropped (counted via onOversized).
 */
export function spawnLines(
  cmd: string,
  args: readonly string[],
  onLine: (line: string) => void,
  opts: { signal?: AbortSignal; env?: Record<string, string>; maxLineBytes?: number; onStderr?: (s: string) => void } = {},
): LineStream {
  const file = resolveCommand(cmd);
  const child: ChildProcess = spawn(file, [...args], {
    shell: false,
    env: childEnv(opts.env),
    cwd: "/",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const maxLine = opts.maxLineBytes ?? 64 * 1024;
  let buf = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.length <= maxLine) onLine(line);
    }
    if (buf.length > maxLine) buf = "";
  });
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (s: string) => opts.onStderr?.(s));
  const exited = new Promise<number | null>((resolve) => {
    child.on("error", () => resolve(null));
    child.on("close", (code) => resolve(code));
  });
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  };
  opts.signal?.addEventListener("abort", stop, { once: true });
  return { exited, stop };
}
