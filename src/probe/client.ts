/**
 * The daemon's side of `gatehouse-probe`: a PrivilegedReader that maps readFile / readDir / run
 * calls onto the helper's fixed query names. Anything that has no query name is refused here,
 * before it reaches the socket, or handed to `fallback` (a reader with the daemon's own,
 * unprivileged rights — e.g. a backup passphrase file readable by the gatehouse group).
 */
import { connect } from "node:net";
import { basename, isAbsolute, posix } from "node:path";
import {
  CommandAborted,
  CommandError,
  CommandFailed,
  CommandNotFound,
  CommandOutputTooLarge,
  CommandPermissionDenied,
  CommandTimeout,
  type RunFn,
  type RunOptions,
  type RunResult,
} from "../kit/exec.js";
import {
  failedStream,
  inProcessPrivilegedReader,
  streamEnd,
  type PrivilegedQuery,
  type PrivilegedReader,
  type PrivilegedStream,
  type StreamEnd,
} from "../kit/privileged.js";
import { DEFAULT_PROBE_SOCKET, eachLine, MAX_RESPONSE_BYTES, MAX_STREAM_LINE_BYTES, readLine, type ProbeResponse, type StreamFrame } from "./protocol.js";
import { ALLOW_LIST, validValue } from "./queries.js";

/** The helper is not running or the socket is not reachable (a CommandError: a probe error outcome). */
export class ProbeUnavailable extends CommandError {
  override readonly name = "ProbeUnavailable";
}

/** The call has no query name on the helper's allow-list, and no fallback was given. */
export class ProbeRefused extends CommandError {
  override readonly name = "ProbeRefused";
}

export interface ProbeClientOptions {
  socketPath?: string;
  /** Where calls without a query name go (the daemon's own rights); refused when absent. */
  fallback?: PrivilegedReader;
  /** Default time to wait for an answer (default 30 s; run() honours opts.timeoutMs). */
  timeoutMs?: number;
}

export interface ProbeClient extends PrivilegedReader {
  /** Sends one query by name and returns the raw answer. */
  query(name: string, opts?: { timeoutMs?: number; signal?: AbortSignal }): Promise<ProbeResponse>;
  /** Subscribes to a stream query by name: onLine per line; closing the stream stops the command. */
  subscribe(name: string, onLine: (line: string) => void): PrivilegedStream;
  stream: NonNullable<PrivilegedReader["stream"]>;
}

const COMMAND_DIRS = new Set(["/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin"]);

/** The command's name, when it is bare or sits in a system binary directory; else undefined. */
function commandName(cmd: string): string | undefined {
  if (!cmd.includes("/")) return cmd;
  if (!isAbsolute(cmd) || !COMMAND_DIRS.has(posix.dirname(posix.normalize(cmd)))) return undefined;
  return basename(cmd);
}

function matchArgv(kind: "command" | "stream", cmd: string, args: readonly string[], list: ReadonlyMap<string, PrivilegedQuery>): string | undefined {
  const name = commandName(cmd);
  if (name === undefined) return undefined;
  const argv = [name, ...args];
  for (const [q, spec] of list) {
    if (spec.kind !== kind) continue;
    const fixed = spec.argv;
    const param = spec.kind === "command" ? spec.param : undefined;
    if (param) {
      if (argv.length !== fixed.length + 1 || !fixed.every((a, i) => a === argv[i])) continue;
      const last = argv[fixed.length]!;
      if (!last.startsWith(param.prefix)) continue;
      const value = last.slice(param.prefix.length);
      if (validValue(value, param.pattern)) return `${q}/${value}`;
    } else if (argv.length === fixed.length && fixed.every((a, i) => a === argv[i])) return q;
  }
  return undefined;
}

/** `nft -j list ruleset` → "nft-ruleset"; undefined when the argv is not on the list. */
export function commandQueryName(cmd: string, args: readonly string[], list = ALLOW_LIST): string | undefined {
  return matchArgv("command", cmd, args, list);
}

/** `nft monitor ruleset` → "nft-monitor"; undefined when the argv is not a stream on the list. */
export function streamQueryName(cmd: string, args: readonly string[], list = ALLOW_LIST): string | undefined {
  return matchArgv("stream", cmd, args, list);
}

/** The exec module's error for a refusal or failure the helper reported. */
function errorOf(e: Extract<ProbeResponse, { ok: false }>["error"], argv: readonly string[]): CommandError {
  const cmd = argv[0] ?? "";
  switch (e.type) {
    case "failed":
      return new CommandFailed(argv, e.code ?? -1, e.stdout ?? "", e.stderr ?? "");
    case "not_found":
      return new CommandNotFound(`${cmd}: not installed (on the probe's host)`, argv);
    case "permission":
      return new CommandPermissionDenied(argv, e.stderr ?? e.message);
    case "timeout":
      return new CommandTimeout(`${cmd}: ${e.message}`, argv);
    case "too_large":
      return new CommandOutputTooLarge(`${cmd}: ${e.message}`, argv);
    case "refused":
      return new ProbeRefused(`${cmd} via gatehouse-probe: ${e.message}`, argv);
    default:
      return new CommandError(`${cmd} via gatehouse-probe: ${e.message}`, argv);
  }
}

/** A stream frame can carry JSON escapes: up to 6 bytes per byte of the line, plus the envelope. */
const MAX_FRAME_BYTES = 6 * MAX_STREAM_LINE_BYTES + 4096;

/** `/etc/shadow` → "shadow", `/etc/sudoers.d/alice` → "sudoers.d/alice"; else undefined. */
export function fileQueryName(path: string, list = ALLOW_LIST): string | undefined {
  if (!isAbsolute(path)) return undefined;
  const p = posix.normalize(path);
  for (const [q, spec] of list) {
    if (spec.kind === "file" && p === spec.path) return q;
    if (spec.kind === "dir" && posix.dirname(p) === spec.path && validValue(posix.basename(p), spec.files)) return `${q}/${posix.basename(p)}`;
  }
  return undefined;
}

/** `/etc/sudoers.d` → "sudoers.d"; else undefined. */
export function dirQueryName(path: string, list = ALLOW_LIST): string | undefined {
  if (!isAbsolute(path)) return undefined;
  const p = posix.normalize(path).replace(/(.)\/$/, "$1");
  for (const [q, spec] of list) if (spec.kind === "dir" && p === spec.path) return q;
  return undefined;
}

/** A PrivilegedReader that asks `gatehouse-probe` over its unix socket. */
export function probeClient(opts: ProbeClientOptions = {}): ProbeClient {
  const socketPath = opts.socketPath ?? DEFAULT_PROBE_SOCKET;
  const defaultTimeout = opts.timeoutMs ?? 30_000;

  const query: ProbeClient["query"] = (name, q = {}) =>
    new Promise<ProbeResponse>((resolve, reject) => {
      const argv = [`gatehouse-probe:${name}`];
      if (q.signal?.aborted) return reject(new CommandAborted(`probe query ${name}: aborted before start`, argv));
      const sock = connect(socketPath);
      let settled = false;
      const finish = (f: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        q.signal?.removeEventListener("abort", onAbort);
        sock.destroy();
        f();
      };
      const timeoutMs = q.timeoutMs ?? defaultTimeout;
      const timer = setTimeout(() => finish(() => reject(new CommandTimeout(`probe query ${name}: no answer within ${timeoutMs} ms`, argv))), timeoutMs);
      const onAbort = () => finish(() => reject(new CommandAborted(`probe query ${name}: aborted`, argv)));
      q.signal?.addEventListener("abort", onAbort, { once: true });
      sock.once("error", (e: NodeJS.ErrnoException) =>
        finish(() => reject(new ProbeUnavailable(`gatehouse-probe is not reachable at ${socketPath}: ${e.code ?? e.message}`, argv))),
      );
      sock.once("connect", () => {
        sock.write(`${JSON.stringify({ q: name })}\n`);
        readLine(sock, MAX_RESPONSE_BYTES).then(
          (line) => {
            let parsed: ProbeResponse;
            try {
              parsed = JSON.parse(line) as ProbeResponse;
            } catch {
              return finish(() => reject(new CommandError(`probe query ${name}: malformed answer`, argv)));
            }
            finish(() => resolve(parsed));
          },
          (e: Error) => finish(() => reject(new CommandError(`probe query ${name}: ${e.message}`, argv))),
        );
      });
    });

  const subscribe: ProbeClient["subscribe"] = (name, onLine) => {
    const argv = [`gatehouse-probe:${name}`];
    let resolveEnded!: (e: StreamEnd) => void;
    const ended = new Promise<StreamEnd>((r) => (resolveEnded = r));
    let resolveStarted!: () => void;
    const started = new Promise<void>((r) => (resolveStarted = r));
    let running = false;
    let over = false;
    const finish = (e: StreamEnd) => {
      if (over) return;
      over = true;
      sock.destroy();
      resolveEnded(e);
    };
    const broken = (why: string) => finish({ code: null, error: new CommandError(`probe stream ${name}: ${why}`, argv) });
    const sock = connect(socketPath);
    sock.once("error", (e: NodeJS.ErrnoException) =>
      finish({ code: null, error: new ProbeUnavailable(`gatehouse-probe is not reachable at ${socketPath}: ${e.code ?? e.message}`, argv) }),
    );
    sock.once("close", () => finish({ code: null, error: new ProbeUnavailable(`gatehouse-probe closed the stream ${name}`, argv) }));
    sock.once("connect", () => {
      sock.write(`${JSON.stringify({ q: name })}\n`);
      eachLine(sock, MAX_FRAME_BYTES, (text) => {
        let msg: unknown;
        try {
          msg = JSON.parse(text);
        } catch {
          return broken("malformed frame");
        }
        if (!msg || typeof msg !== "object") return broken("malformed frame");
        if (!running) {
          const r = msg as ProbeResponse;
          if (r.ok === true && r.kind === "stream") {
            running = true;
            resolveStarted();
          }
          else if (r.ok === false && r.error && typeof r.error.type === "string") finish({ code: null, error: errorOf(r.error, argv) });
          else broken("unexpected answer");
          return;
        }
        const f = msg as Partial<Record<"line" | "dropped" | "end", unknown>>;
        if (typeof f.line === "string") onLine(f.line);
        else if (typeof f.dropped === "number") onLine(`# gatehouse-probe dropped ${f.dropped} lines`);
        else if (f.end && typeof f.end === "object") {
          const end = f.end as Extract<StreamFrame, { end: unknown }>["end"];
          finish(streamEnd(argv, typeof end.code === "number" ? end.code : null, typeof end.stderr === "string" ? end.stderr : ""));
        } else broken("unexpected frame");
      }, (e) => broken(e.message));
    });
    return { started, ended, stop: () => finish({ code: null }) };
  };

  const refuse = (what: string): never => {
    throw new ProbeRefused(`${what}: not on gatehouse-probe's allow-list`, [what]);
  };

  const fileError = (name: string, path: string, r: Extract<ProbeResponse, { ok: false }>): Error => {
    const code = r.error.type === "not_found" ? "ENOENT" : r.error.type === "permission" ? "EACCES" : undefined;
    if (code) return Object.assign(new Error(`${path}: ${r.error.message}`), { code, path });
    return new CommandError(`probe query ${name}: ${r.error.message}`, [`gatehouse-probe:${name}`]);
  };

  const run: RunFn = async (cmd, args, runOpts: RunOptions = {}) => {
    const name = commandQueryName(cmd, args);
    if (!name) return opts.fallback ? opts.fallback.run(cmd, args, runOpts) : refuse([cmd, ...args].join(" "));
    const argv = [cmd, ...args];
    const r = await query(name, { timeoutMs: (runOpts.timeoutMs ?? defaultTimeout) + 2_000, ...(runOpts.signal ? { signal: runOpts.signal } : {}) });
    if (r.ok) {
      if (r.kind !== "command") throw new CommandError(`probe query ${name}: unexpected answer`, argv);
      return toResult(r);
    }
    const e = r.error;
    const ok = runOpts.okExitCodes ?? [0];
    if (e.type === "failed" && e.code !== undefined && ok.includes(e.code)) return { stdout: e.stdout ?? "", stderr: e.stderr ?? "", code: e.code, durationMs: 0 };
    throw errorOf(e, argv);
  };

  return {
    query,
    subscribe,
    run,
    stream(cmd, args, onLine) {
      const name = streamQueryName(cmd, args);
      if (name) return subscribe(name, onLine);
      if (opts.fallback?.stream) return opts.fallback.stream(cmd, args, onLine);
      return failedStream(new ProbeRefused(`${[cmd, ...args].join(" ")}: not on gatehouse-probe's allow-list`, [cmd, ...args]));
    },
    async readFile(path) {
      const name = fileQueryName(path);
      if (!name) return opts.fallback ? opts.fallback.readFile(path) : refuse(path);
      const r = await query(name);
      if (!r.ok) throw fileError(name, path, r);
      if (r.kind !== "file") throw new CommandError(`probe query ${name}: unexpected answer`, [path]);
      return r.text;
    },
    async readDir(path) {
      const name = dirQueryName(path);
      if (!name) return opts.fallback ? opts.fallback.readDir(path) : refuse(path);
      const r = await query(name);
      if (!r.ok) throw fileError(name, path, r);
      if (r.kind !== "dir") throw new CommandError(`probe query ${name}: unexpected answer`, [path]);
      return r.entries;
    },
  };
}

function toResult(r: Extract<ProbeResponse, { kind: "command" }>): RunResult {
  return { stdout: r.stdout, stderr: r.stderr, code: r.code, durationMs: r.durationMs };
}

/**
 * The reader a process should use: the helper when `GATEHOUSE_PROBE_SOCKET` is set (the units
 * set it), with the process's own rights for calls that have no query name; otherwise in
 * process (demo, tests, an admin running `gatehouse check` as root).
 */
export function privilegedReaderFromEnv(env: NodeJS.ProcessEnv = process.env): PrivilegedReader {
  const own = inProcessPrivilegedReader();
  const socketPath = env.GATEHOUSE_PROBE_SOCKET;
  return socketPath ? probeClient({ socketPath, fallback: own }) : own;
}
