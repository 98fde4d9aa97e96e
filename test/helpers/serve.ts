/** The built `gatehouse serve` as a child process, up once /healthz answers: for tests of the real daemon. */
import { spawn, type ChildProcess } from "node:child_process";
import { MONITORS } from "../../src/monitors/index.js";

export const BUILT_CLI = new URL("../../dist/src/cli.js", import.meta.url).pathname;

/** A minimal config: every monitor off, the console on plain HTTP at 127.0.0.1:PORT, data in ./data. */
export function quietServeConfig(port: number): string {
  return `site: x\ndata_dir: ./data\nconsole: { listen: "127.0.0.1:${port}", tls: off }\nmonitors:\n${MONITORS.map((m) => `  ${m.id}: { enabled: false }`).join("\n")}\n`;
}

export interface Served {
  child: ChildProcess;
  exited: Promise<number | null>;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  up: boolean;
}

/** Starts `gatehouse serve --config FILE` and waits (up to 15 s) for /healthz on `port`. */
export async function startServe(configFile: string, port: number): Promise<Served> {
  const child = spawn(process.execPath, [BUILT_CLI, "serve", "--config", configFile], { stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  let up = false;
  for (let i = 0; i < 150 && !up && child.exitCode === null; i++) {
    up = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
    if (!up) await new Promise((r) => setTimeout(r, 100));
  }
  return { child, exited, output: () => out, up };
}
