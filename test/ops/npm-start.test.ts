/**
 * README's first command, as a newcomer runs it without a terminal (an IDE, a process manager):
 * `npm start`, then SIGTERM or SIGINT to npm. Nothing may be left running (the script used to
 * start node from a shell that did not pass the signal on, leaving the console bound to its port).
 * The demo config is swapped for one in a temp dir on a random port (`npm start -- --config`:
 * the last --config wins), so the checkout's demo data and port 8080 are not touched.
 */
import { spawn } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { missingTools } from "../helpers/require-tool.js";

const REPO = resolve(import.meta.dirname, "../..");

/** Every descendant of `pid` (from /proc), depth first. */
function descendants(pid: number): number[] {
  const out: number[] = [];
  const tasks = existsSync(`/proc/${pid}/task`) ? readdirSync(`/proc/${pid}/task`) : [];
  for (const t of tasks) {
    let kids: number[] = [];
    try {
      kids = readFileSync(`/proc/${pid}/task/${t}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      continue;
    }
    for (const k of kids) out.push(k, ...descendants(k));
  }
  return out;
}

/** A loopback port that was free a moment ago. */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");
  } catch {
    return false;
  }
};

describe.runIf(missingTools("npm").length === 0 && existsSync("/proc/self/task"))("npm start", () => {
  const dir = mkdtempSync(join(tmpdir(), "gh-npm-start-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`stops everything it started on ${signal} to npm`, async () => {
      const config = join(dir, `${signal}.yaml`);
      writeFileSync(config, `site: "npm start test"\ntimezone: UTC\ndata_dir: ./data-${signal}\nconsole: { listen: "127.0.0.1:${await freePort()}", tls: off }\nmonitors:\n  patches: { enabled: false }\n  inventory: { enabled: false }\n`);
      const npm = spawn("npm", ["start", "--silent", "--", "--config", config], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, GATEHOUSE_LOG_LEVEL: "info" } });
      let out = "";
      npm.stdout.on("data", (b: Buffer) => (out += b.toString()));
      npm.stderr.on("data", (b: Buffer) => (out += b.toString()));
      let done = false;
      const exited = new Promise<void>((r) => npm.once("exit", () => r(void (done = true))));
      for (let i = 0; i < 600 && !done && !out.includes("gatehouse started"); i++) await new Promise((r) => setTimeout(r, 100));
      expect(out).toContain("gatehouse started");
      const tree = descendants(npm.pid!);
      expect(tree.length).toBeGreaterThan(0);
      npm.kill(signal);
      await exited;
      for (let i = 0; i < 100 && tree.some(alive); i++) await new Promise((r) => setTimeout(r, 100));
      expect(tree.filter(alive), out).toEqual([]);
      expect(out).toContain("gatehouse stopped");
    }, 180_000);
  }
});
