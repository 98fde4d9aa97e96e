/**
 * Asks clamd whether it is alive over its unix socket with the `zPING` command of clamd's
 * protocol (null-terminated; the answer is `PONG`). A socket, not a command: clamdscan has no
 * ping, and connecting is exactly what a scanner client would do.
 */
import { connect } from "node:net";

export interface PingResult {
  alive: boolean;
  /** Why it is not alive (connection refused, no such socket, wrong answer, timeout). */
  error?: string;
}

/** Pings clamd at `socketPath`; never throws. */
export function pingClamd(socketPath: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<PingResult> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  return new Promise((resolve) => {
    let answer = "";
    let settled = false;
    const sock = connect(socketPath);
    const finish = (r: PingResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      sock.destroy();
      resolve(r);
    };
    const onAbort = () => finish({ alive: false, error: "aborted" });
    const timer = setTimeout(() => finish({ alive: false, error: `no answer within ${timeoutMs} ms` }), timeoutMs);
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    sock.setEncoding("latin1");
    sock.on("connect", () => sock.write("zPING\0"));
    sock.on("data", (chunk: string) => {
      answer += chunk;
      if (answer.includes("\0") || answer.length > 256) settle();
    });
    sock.on("end", settle);
    sock.on("error", (e: NodeJS.ErrnoException) => finish({ alive: false, error: e.code ?? e.message }));
    function settle() {
      const reply = answer.split("\0")[0]!.trim();
      finish(reply === "PONG" ? { alive: true } : { alive: false, error: `unexpected answer ${JSON.stringify(reply.slice(0, 60))}` });
    }
  });
}
