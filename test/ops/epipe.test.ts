/** `gatehouse … | head -3`: a reader closing the pipe ends the command quietly (issue 18 item 7). */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const cli = new URL("../../dist/src/cli.js", import.meta.url).pathname;

/** Runs the built CLI with its stdout pipe closed by the reader before the first line arrives. */
function withClosedStdout(args: string[]): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [cli, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    p.stdout.destroy();
    let stderr = "";
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    p.on("exit", (code, signal) => resolve({ code, signal, stderr }));
  });
}

describe.skipIf(!existsSync(cli) && process.env.CI !== "true")("stdout closed by the reader", () => {
  const dir = mkdtempSync(join(tmpdir(), "gh-epipe-"));
  const config = join(dir, "gatehouse.yaml");
  const sensors = Array.from({ length: 40 }, (_, i) => `    - { id: door-${i}, input: { webhook: { secret_file: ${dir}/k } } }`).join("\n");
  writeFileSync(config, `site: x\ndata_dir: ${dir}/data\nconsole: { listen: "127.0.0.1:8080", tls: off }\ndoors:\n  sensors:\n${sensors}\n`);

  it.each([[["--help"]], [["doors", "--config", config]], [["--version"]]])("%j exits without an EPIPE stack trace", async (args) => {
    const r = await withClosedStdout(args);
    expect(r.stderr).not.toMatch(/EPIPE|at .*\.js:\d+/);
    expect(r.signal).toBeNull();
  });
});
