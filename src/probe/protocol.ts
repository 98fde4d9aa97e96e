/**
 * The probe's wire format: one connection per query. The client writes one JSON line
 * `{"q":"<name>"}`; the helper answers one JSON line and closes. Small and easy to audit.
 * A stream query (`nft-monitor`) answers `{"ok":true,"kind":"stream"}`, then one frame per
 * line the command prints, and an end frame when it exits; closing the connection stops it.
 */
import type { Socket } from "node:net";

export interface ProbeRequest {
  q: string;
}

export type ProbeErrorType = "refused" | "bad_request" | "not_found" | "permission" | "failed" | "timeout" | "too_large" | "busy" | "error";

export type ProbeResponse =
  | { ok: true; kind: "file"; text: string }
  | { ok: true; kind: "dir"; entries: string[] }
  | { ok: true; kind: "command"; stdout: string; stderr: string; code: number; durationMs: number }
  | { ok: true; kind: "stream" }
  | { ok: false; error: { type: ProbeErrorType; message: string; code?: number; stdout?: string; stderr?: string } };

/**
 * What follows a stream's first answer: a line the command printed, a count of lines dropped
 * because the client did not read fast enough, or how the command ended (its stderr's tail).
 */
export type StreamFrame = { line: string } | { dropped: number } | { end: { code: number | null; stderr: string } };

/** Longest line of a stream the helper forwards (longer lines are dropped by the reader). */
export const MAX_STREAM_LINE_BYTES = 4096;

/** Longest request line the helper accepts. */
export const MAX_REQUEST_BYTES = 4096;
/** Longest answer the client accepts (rulesets are at most a few MB). */
export const MAX_RESPONSE_BYTES = 24 * 1024 * 1024;

/** Default socket path, inside RuntimeDirectory=gatehouse-probe (0750 gatehouse-probe:gatehouse). */
export const DEFAULT_PROBE_SOCKET = "/run/gatehouse-probe/probe.sock";

/**
 * Reads one newline-terminated line from `sock`, at most `max` bytes. Resolves with the line
 * (without the newline), or rejects when the peer closes first or sends too much.
 */
export function readLine(sock: Socket, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (f: () => void) => {
      sock.off("data", onData);
      sock.off("end", onEnd);
      sock.off("error", onError);
      sock.off("close", onEnd);
      f();
    };
    const onData = (b: Buffer) => {
      const nl = b.indexOf(0x0a);
      if (nl >= 0) {
        chunks.push(b.subarray(0, nl));
        size += nl;
        if (size > max) return done(() => reject(new LineTooLong(max)));
        return done(() => resolve(Buffer.concat(chunks).toString("utf8")));
      }
      chunks.push(b);
      size += b.length;
      if (size > max) done(() => reject(new LineTooLong(max)));
    };
    const onEnd = () => done(() => reject(new Error("connection closed before a full line was received")));
    const onError = (e: Error) => done(() => reject(e));
    sock.on("data", onData);
    sock.on("end", onEnd);
    sock.on("close", onEnd);
    sock.on("error", onError);
  });
}

export class LineTooLong extends Error {
  override readonly name = "LineTooLong";
  constructor(max: number) {
    super(`line longer than ${max} bytes`);
  }
}

/**
 * Calls onLine for every newline-terminated line of `sock` until it closes; a line longer than
 * `max` bytes ends the connection with onError (a peer never makes us buffer without bound).
 */
export function eachLine(sock: Socket, max: number, onLine: (line: string) => void, onError: (e: Error) => void): void {
  let chunks: Buffer[] = [];
  let size = 0;
  sock.on("data", (b: Buffer) => {
    let start = 0;
    for (let nl = b.indexOf(0x0a); nl >= 0; nl = b.indexOf(0x0a, start)) {
      chunks.push(b.subarray(start, nl));
      const line = Buffer.concat(chunks).toString("utf8");
      chunks = [];
      size = 0;
      start = nl + 1;
      if (line.length > max) return onError(new LineTooLong(max));
      onLine(line);
      if (sock.destroyed) return;
    }
    chunks.push(b.subarray(start));
    size += b.length - start;
    if (size > max) onError(new LineTooLong(max));
  });
}
