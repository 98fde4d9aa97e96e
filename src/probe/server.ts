/**
 * The helper's server: answers the allow-list of queries (./queries.ts) on a unix socket.
 *
 * Who may connect is decided by the file system, not by this code: the socket lives in a
 * directory 0750 gatehouse-probe:gatehouse and is itself 0660, so only the gatehouse group
 * (and root) can open it. Node exposes no SO_PEERCRED, so the peer's uid/gid are not checked
 * again here; see systemd/README.md.
 */
import { constants as fsc } from "node:fs";
import { chmod, lstat, open, readdir, rename, unlink } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import {
  CommandAborted,
  CommandFailed,
  CommandNotFound,
  CommandOutputTooLarge,
  CommandPermissionDenied,
  CommandTimeout,
  run as defaultRun,
  spawnLines as defaultSpawnLines,
  type LineStream,
  type RunFn,
} from "../kit/exec.js";
import { STREAM_STDERR_TAIL } from "../kit/privileged.js";
import type { Logger } from "../kit/log.js";
import { LineTooLong, MAX_REQUEST_BYTES, MAX_STREAM_LINE_BYTES, readLine, type ProbeResponse, type StreamFrame } from "./protocol.js";
import { resolveQuery, type Query } from "./queries.js";

export interface ProbeServerOptions {
  /** Root under which declared paths are read (default /); tests point it at a fixture tree. */
  root?: string;
  run?: RunFn;
  /** Starts stream queries (default the exec module's spawnLines). */
  spawnLines?: typeof defaultSpawnLines;
  /** Most streams running at once (default MAX_STREAMS). */
  maxStreams?: number;
  log: Logger;
  /** Per-command timeout (default 20 s). */
  commandTimeoutMs?: number;
  /** Largest file it returns (default 1 MiB: shadow and sudoers are a few KB). */
  maxFileBytes?: number;
}

/** Answers one query name; never throws. Exported for tests and `gatehouse probe query --local`. */
export async function answerQuery(name: string, opts: Omit<ProbeServerOptions, "log">): Promise<ProbeResponse> {
  const q = resolveQuery(name, opts.root ?? "/");
  if (!q) return { ok: false, error: { type: "refused", message: `query "${truncate(name)}" is not on the allow-list` } };
  try {
    return await execute(q, opts);
  } catch (e) {
    return { ok: false, error: describe(e) };
  }
}

async function execute(q: Query, opts: Omit<ProbeServerOptions, "log">): Promise<ProbeResponse> {
  switch (q.kind) {
    case "file":
      return { ok: true, kind: "file", text: await readRegularFile(q.path, opts.maxFileBytes ?? 1024 * 1024) };
    case "dir": {
      const entries = await readdir(q.path, { withFileTypes: true });
      return { ok: true, kind: "dir", entries: entries.filter((e) => e.isFile()).map((e) => e.name).sort() };
    }
    case "stream":
      return { ok: false, error: { type: "bad_request", message: "a stream query is answered only on a connection of its own" } };
    case "command": {
      const r = await (opts.run ?? defaultRun)(q.cmd, q.args, { timeoutMs: opts.commandTimeoutMs ?? 20_000, maxOutputBytes: 16 * 1024 * 1024 });
      return { ok: true, kind: "command", stdout: r.stdout, stderr: r.stderr, code: r.code, durationMs: r.durationMs };
    }
  }
}

/** Opens without following a symlink and refuses anything but a regular file. */
async function readRegularFile(path: string, max: number): Promise<string> {
  const fh = await open(path, fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw Object.assign(new Error(`${path} is not a regular file`), { code: "EINVAL" });
    if (st.size > max) throw new CommandOutputTooLarge(`${path} is larger than ${max} bytes`, [path]);
    return await fh.readFile("utf8");
  } finally {
    await fh.close();
  }
}

function describe(e: unknown): Extract<ProbeResponse, { ok: false }>["error"] {
  if (e instanceof CommandFailed) return { type: "failed", message: e.message, code: e.code, stdout: e.stdout, stderr: e.stderr };
  if (e instanceof CommandNotFound) return { type: "not_found", message: e.message };
  if (e instanceof CommandPermissionDenied) return { type: "permission", message: e.message, stderr: e.stderr };
  if (e instanceof CommandTimeout || e instanceof CommandAborted) return { type: "timeout", message: e.message };
  if (e instanceof CommandOutputTooLarge) return { type: "too_large", message: e.message };
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return { type: "not_found", message: (e as Error).message };
  if (code === "EACCES" || code === "EPERM") return { type: "permission", message: (e as Error).message };
  if (code === "ELOOP") return { type: "refused", message: "refusing to follow a symbolic link" };
  return { type: "error", message: e instanceof Error ? e.message : String(e) };
}

function truncate(s: string): string {
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

/** Most streams served at once: the daemon holds one; a spare covers a reconnect or an admin's check. */
export const MAX_STREAMS = 4;
/** Bytes queued to a slow stream reader before further lines are dropped (and counted). */
const MAX_STREAM_BACKLOG = 64 * 1024;

/** Live stream connections per server, so that a stop does not wait for clients to hang up. */
const liveStreams = new WeakMap<Server, Set<Socket>>();

/**
 * Serves one stream query: starts the command, forwards each line as a frame, and kills the
 * command when the client goes away. Memory stays bounded: lines are capped by the reader,
 * and while the client does not read, lines are dropped and counted instead of queued.
 */
function serveStream(sock: Socket, q: Extract<Query, { kind: "stream" }>, name: string, opts: ProbeServerOptions, live: Set<Socket>): void {
  const answer = (r: ProbeResponse) => void sock.end(`${JSON.stringify(r)}\n`);
  if (live.size >= (opts.maxStreams ?? MAX_STREAMS)) {
    opts.log.warn({ query: name, streams: live.size }, "probe stream refused: too many streams");
    return answer({ ok: false, error: { type: "busy", message: `${live.size} streams are already running` } });
  }
  let dropped = 0;
  let stderr = "";
  const send = (frame: StreamFrame) => {
    if (sock.destroyed || sock.writableEnded) return;
    if (sock.writableLength > MAX_STREAM_BACKLOG) {
      dropped++;
      return;
    }
    if (dropped > 0) {
      sock.write(`${JSON.stringify({ dropped } satisfies StreamFrame)}\n`);
      dropped = 0;
    }
    sock.write(`${JSON.stringify(frame)}\n`);
  };
  let child: LineStream;
  try {
    child = (opts.spawnLines ?? defaultSpawnLines)(q.cmd, q.args, (line) => send({ line }), {
      maxLineBytes: MAX_STREAM_LINE_BYTES,
      onStderr: (t) => (stderr = (stderr + t).slice(-STREAM_STDERR_TAIL)),
    });
  } catch (e) {
    const r: ProbeResponse = { ok: false, error: describe(e) };
    opts.log.warn({ query: name, error: r.error.type }, "probe stream not started");
    return answer(r);
  }
  live.add(sock);
  sock.setTimeout(0);
  sock.write(`${JSON.stringify({ ok: true, kind: "stream" } satisfies ProbeResponse)}\n`);
  sock.once("close", () => child.stop());
  opts.log.info({ query: name, streams: live.size }, "probe stream started");
  void child.exited.then((code) => {
    live.delete(sock);
    opts.log.info({ query: name, code }, "probe stream ended");
    if (!sock.destroyed && !sock.writableEnded) sock.end(`${JSON.stringify({ end: { code, stderr } } satisfies StreamFrame)}\n`);
  });
}

/** Handles one connection: one request line in, one response line out, close (or a stream). */
async function handle(sock: Socket, opts: ProbeServerOptions, live: Set<Socket>): Promise<void> {
  sock.setTimeout(10_000, () => sock.destroy());
  let response: ProbeResponse;
  let name = "";
  try {
    const line = await readLine(sock, MAX_REQUEST_BYTES);
    let req: unknown;
    try {
      req = JSON.parse(line);
    } catch {
      req = undefined;
    }
    if (!req || typeof req !== "object" || Array.isArray(req) || typeof (req as { q?: unknown }).q !== "string" || Object.keys(req).length !== 1) {
      response = { ok: false, error: { type: "bad_request", message: 'expected one JSON line {"q":"<query name>"}' } };
    } else {
      name = (req as { q: string }).q;
      const q = resolveQuery(name, opts.root ?? "/");
      if (q?.kind === "stream") return serveStream(sock, q, name, opts, live);
      response = await answerQuery(name, opts);
    }
  } catch (e) {
    if (!(e instanceof LineTooLong)) {
      sock.destroy();
      return;
    }
    response = { ok: false, error: { type: "bad_request", message: e.message } };
  }
  // "The host simply lacks it" (no firewalld, no smartctl, no /etc/sudoers) is an answer the
  // monitor turns into a fact, asked again at every check: not a warning for the journal.
  if (!response.ok && response.error.type === "not_found") opts.log.debug({ query: truncate(name) }, "probe query: not on this host");
  else if (!response.ok) opts.log.warn({ query: truncate(name), error: response.error.type }, "probe query not answered");
  else opts.log.debug({ query: name }, "probe query answered");
  if (!sock.destroyed) sock.end(`${JSON.stringify(response)}\n`);
}

/** Most connections served at once; Node closes any beyond that as they arrive. */
export const MAX_CONNECTIONS = 16;

/** Creates the server (not yet listening). */
export function createProbeServer(opts: ProbeServerOptions): Server {
  const live = new Set<Socket>();
  const server = createServer({ allowHalfOpen: false }, (sock) => {
    sock.on("error", () => {
      /* a peer that goes away mid-answer is not our problem */
    });
    void handle(sock, opts, live);
  });
  liveStreams.set(server, live);
  // A group member flooding the socket cannot make the helper fork without bound.
  server.maxConnections = MAX_CONNECTIONS;
  return server;
}

/** Stops accepting, ends every stream (killing its command) and resolves once all is closed. */
export function stopProbeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const sock of liveStreams.get(server) ?? []) sock.destroy();
  return closed;
}

/**
 * Listens on `socketPath` (removing a stale socket left by a crash, never another kind of
 * file) with the socket's mode 0660.
 */
export async function listenProbe(server: Server, socketPath: string): Promise<void> {
  try {
    const st = await lstat(socketPath);
    if (!st.isSocket()) throw new Error(`${socketPath} exists and is not a socket; not removing it`);
    await unlink(socketPath);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  // Bound under a temporary name, given its mode, then renamed into place: a client never
  // finds the socket with any other mode, whatever the process umask.
  const pending = `${socketPath}.${process.pid}.tmp`;
  await unlink(pending).catch(() => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(pending, () => {
      server.off("error", reject);
      resolve();
    });
  });
  try {
    await chmod(pending, 0o660);
    await rename(pending, socketPath);
  } catch (e) {
    server.close();
    await unlink(pending).catch(() => undefined);
    throw e;
  }
}
