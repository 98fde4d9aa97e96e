import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { resolveCommand } from "../../../src/kit/exec.js";
import { pingClamd } from "../../../src/monitors/antivirus/clamd-ping.js";
import { canRun } from "../../helpers/require-tool.js";
import { startFakeClamd } from "./clamd-server.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "gh-clamd-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("pingClamd against a local server speaking clamd's protocol", () => {
  it("PONG means alive", async () => {
    const srv = await startFakeClamd(join(dir, "clamd.ctl"));
    expect(await pingClamd(join(dir, "clamd.ctl"))).toEqual({ alive: true });
    expect(srv.pings()).toBe(1);
    await srv.close();
  });
  it("a wrong answer is not alive, and says what came back", async () => {
    const srv = await startFakeClamd(join(dir, "clamd.ctl"), "wrong");
    expect(await pingClamd(join(dir, "clamd.ctl"))).toEqual({ alive: false, error: 'unexpected answer "UNKNOWN COMMAND"' });
    await srv.close();
  });
  it("a connection closed without answer is not alive", async () => {
    const srv = await startFakeClamd(join(dir, "clamd.ctl"), "close");
    const r = await pingClamd(join(dir, "clamd.ctl"));
    expect(r.alive).toBe(false);
    await srv.close();
  });
  it("a server that never answers is not alive (timeout)", async () => {
    const srv = await startFakeClamd(join(dir, "clamd.ctl"), "hang");
    expect(await pingClamd(join(dir, "clamd.ctl"), { timeoutMs: 200 })).toEqual({ alive: false, error: "no answer within 200 ms" });
    await srv.close();
  });
  it("no socket, or a stale socket file, is not alive", async () => {
    expect(await pingClamd(join(dir, "missing.ctl"))).toEqual({ alive: false, error: "ENOENT" });
    writeFileSync(join(dir, "stale.ctl"), "");
    expect((await pingClamd(join(dir, "stale.ctl"))).alive).toBe(false);
  });
});

describe.skipIf(!canRun({ tools: ["clamd"] }))("pingClamd against a real clamd with a one-signature database", () => {
  const root = mkdtempSync(join(tmpdir(), "gh-realclamd-"));
  let child: ChildProcess | undefined;
  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
    rmSync(root, { recursive: true, force: true });
  });

  it("answers PONG, and stops answering once stopped", async () => {
    mkdirSync(join(root, "db"));
    writeFileSync(join(root, "db/test.hdb"), "44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test-Signature\n");
    const socket = join(root, "clamd.ctl");
    writeFileSync(
      join(root, "clamd.conf"),
      [`LocalSocket ${socket}`, `DatabaseDirectory ${join(root, "db")}`, "Foreground yes", `LogFile ${join(root, "clamd.log")}`, `PidFile ${join(root, "clamd.pid")}`].join("\n") + "\n",
    );
    // clamd runs as the invoking user here (no `User` option), with only our temp files.
    child = spawn(resolveCommand("clamd"), ["-c", join(root, "clamd.conf")], { stdio: "ignore", shell: false });
    const exited = new Promise<number | null>((r) => child!.once("exit", (code) => r(code)));
    // Wait for the socket to appear (clamd creates it once the database is loaded).
    for (let i = 0; i < 600 && !existsSync(socket); i++) {
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(existsSync(socket)).toBe(true);
    expect(await pingClamd(socket)).toEqual({ alive: true });
    child.kill("SIGTERM");
    await exited;
    expect((await pingClamd(socket)).alive).toBe(false);
  });
});
