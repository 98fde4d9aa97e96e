/**
 * A tiny unix-socket server that speaks the part of clamd's protocol the monitor uses
 * (`zPING\0` → `PONG\0`), or misbehaves on purpose, for ping and probe tests.
 */
import { createServer, type Server } from "node:net";

export type Behaviour = "pong" | "wrong" | "close" | "hang";

export async function startFakeClamd(path: string, behaviour: Behaviour = "pong"): Promise<{ server: Server; pings: () => number; close: () => Promise<void> }> {
  let pings = 0;
  const server = createServer((sock) => {
    let buf = "";
    sock.setEncoding("latin1");
    sock.on("data", (d: string) => {
      buf += d;
      if (!buf.includes("\0")) return;
      const cmd = buf.split("\0")[0];
      if (cmd === "zPING") pings++;
      if (behaviour === "pong" && cmd === "zPING") sock.end("PONG\0");
      else if (behaviour === "wrong") sock.end("UNKNOWN COMMAND\0");
      else if (behaviour === "close") sock.destroy();
      // "hang": say nothing
    });
    sock.on("error", () => {});
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, resolve);
  });
  return {
    server,
    pings: () => pings,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.unref();
      }),
  };
}
