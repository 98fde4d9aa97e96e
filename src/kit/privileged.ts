/**
 * The one interface for reads that need privilege: rulesets (CAP_NET_ADMIN), shadow and
 * sudoers (root-readable files), and the ruleset's change stream. In the demo and in tests
 * these run in process; under systemd the `gatehouse-probe` helper answers them over a unix
 * socket from a fixed allow-list.
 */
import { readdir, readFile } from "node:fs/promises";
import {
  CommandError,
  CommandFailed,
  CommandNotFound,
  CommandPermissionDenied,
  PERMISSION_PATTERNS,
  run as defaultRun,
  spawnLines as defaultSpawnLines,
  type RunFn,
} from "./exec.js";

/** How a privileged stream ended: its exit code (null when stopped), and why it could not go on. */
export interface StreamEnd {
  code: number | null;
  /**
   * Set when the stream could not run or died of a cause a restart will not fix by itself:
   * CommandNotFound, CommandPermissionDenied, the helper's refusal (ProbeRefused) or absence
   * (ProbeUnavailable); a CommandFailed for any other non-zero exit.
   */
  error?: CommandError;
}

/** A running privileged stream (`nft monitor ruleset`). */
export interface PrivilegedStream {
  /** Resolves when the command is running (never, if it could not start). */
  readonly started: Promise<void>;
  /** Resolves once, when the stream has ended for good; never rejects. */
  readonly ended: Promise<StreamEnd>;
  /** Stops the stream (kills the command); `ended` then resolves with code null. */
  stop(): void;
}

/** Starts a long-running read-only command and calls onLine for each line it prints. */
export type StreamFn = (cmd: string, args: readonly string[], onLine: (line: string) => void) => PrivilegedStream;

export interface PrivilegedReader {
  /** Reads a root-only file (e.g. /etc/shadow, /etc/sudoers.d/*). */
  readFile(path: string): Promise<string>;
  /** Lists a root-only directory (e.g. /etc/sudoers.d). */
  readDir(path: string): Promise<string[]>;
  /** Runs a read-only command that needs capabilities (e.g. `nft -j list ruleset`). */
  run: RunFn;
  /** Streams a read-only command that needs capabilities; absent when this reader cannot stream. */
  stream?: StreamFn;
}

/** Longest stderr kept from a stream, to explain how it ended. */
export const STREAM_STDERR_TAIL = 2048;

/**
 * Classifies how a streamed command exited, as the exec module classifies a run: a
 * permission message or 126 is CommandPermissionDenied, 127 CommandNotFound, any other
 * non-zero code CommandFailed. Pure; shared by the in-process reader and the probe client.
 */
export function streamEnd(argv: readonly string[], code: number | null, stderr: string): StreamEnd {
  if (code === null || code === 0) return { code };
  if (code === 126 || PERMISSION_PATTERNS.test(stderr)) return { code, error: new CommandPermissionDenied(argv, stderr) };
  if (code === 127) return { code, error: new CommandNotFound(`${argv[0]}: not installed`, argv) };
  return { code, error: new CommandFailed(argv, code, "", stderr) };
}

/** A stream that never started: `ended` already holds the reason. */
export function failedStream(error: CommandError): PrivilegedStream {
  return { started: new Promise(() => {}), ended: Promise.resolve({ code: null, error }), stop() {} };
}

/** In-process reader: the agent already has the privilege (demo, tests, root installs). */
export function inProcessPrivilegedReader(run: RunFn = defaultRun, spawnLines: typeof defaultSpawnLines = defaultSpawnLines): PrivilegedReader {
  return {
    readFile: (path) => readFile(path, "utf8"),
    readDir: async (path) => (await readdir(path)).sort(),
    run,
    stream(cmd, args, onLine) {
      let stderr = "";
      try {
        const s = spawnLines(cmd, args, onLine, { maxLineBytes: 4096, onStderr: (t) => (stderr = (stderr + t).slice(-STREAM_STDERR_TAIL)) });
        return { started: Promise.resolve(), stop: () => s.stop(), ended: s.exited.then((code) => streamEnd([cmd, ...args], code, stderr)) };
      } catch (e) {
        return failedStream(e instanceof CommandError ? e : new CommandError(`${cmd}: ${(e as Error).message}`, [cmd, ...args]));
      }
    },
  };
}

/**
 * A privileged read a monitor declares it needs (`Monitor.privileged`, keyed by a fixed query
 * name). gatehouse-probe's allow-list and the daemon's client are both composed from these
 * declarations, so they cannot disagree; nothing a client sends ever becomes an argument except
 * a `param` value, which must match its strict pattern in full.
 */
export type PrivilegedQuery =
  /**
   * A command run to completion, constant argv; with `param`, plus one trailing argument
   * `prefix + value` whose value matches `pattern` in full (query name `<name>/<value>`).
   */
  | { kind: "command"; argv: readonly [string, ...string[]]; param?: { prefix: string; pattern: RegExp } }
  /** A long-running command streamed line by line (`nft monitor ruleset`). */
  | { kind: "stream"; argv: readonly [string, ...string[]] }
  /** A root-only file, absolute path. */
  | { kind: "file"; path: string }
  /** A root-only directory: its listing, and each regular file in it whose name matches `files` (`<name>/<file>`). */
  | { kind: "dir"; path: string; files: RegExp };

/** The declarations of one monitor: query name → query. */
export type PrivilegedQueries = Readonly<Record<string, PrivilegedQuery>>;
