/**
 * SIGKILL during writes, 50 times: every reopen passes PRAGMA integrity_check and no outbox row
 * whose commit was acknowledged (printed by the child after COMMIT) is lost.
 * Needs the build (npm test builds before running vitest); without it the test fails, saying so.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openStore } from "../../src/agent/store/db.js";
import { requireBuild } from "../helpers/build.js";

const child = new URL("./children/crash-writer.mjs", import.meta.url).pathname;

function runAndKill(dataDir: string, killAfterLines: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, dataDir], { stdio: ["ignore", "pipe", "pipe"] });
    const acked: number[] = [];
    let buf = "";
    let stderr = "";
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    p.stdout.on("data", (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split("\n");
      buf = lines.pop()!;
      for (const l of lines) acked.push(Number(l));
      if (acked.length >= killAfterLines) p.kill("SIGKILL");
    });
    p.on("exit", (code, signal) => {
      if (signal === "SIGKILL") resolve(acked);
      else reject(new Error(`writer exited on its own (${code}): ${stderr}`));
    });
  });
}

describe("crash safety", () => {
  it("survives 50 SIGKILLs during writes without corruption or lost outbox rows", async () => {
    requireBuild("src/agent/store/db.js"); // the writer child imports the built store
    const dir = mkdtempSync(join(tmpdir(), "gh-crash-"));
    const acked = new Set<number>();
    for (let round = 0; round < 50; round++) {
      // Kill at a different point each round: after 1 to 40 acknowledged rows.
      for (const id of await runAndKill(dir, 1 + ((round * 7) % 40))) acked.add(id);
      const db = openStore(dir);
      try {
        expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
        const present = new Set((db.prepare("SELECT id FROM outbox").all() as { id: number }[]).map((r) => r.id));
        for (const id of acked) expect(present.has(id), `outbox row ${id} lost`).toBe(true);
        const open = db.prepare("SELECT count(*) AS n FROM alerts WHERE state != 'resolved'").get() as { n: number };
        expect(open.n).toBeLessThanOrEqual(1);
      } finally {
        db.close();
      }
    }
    expect(acked.size).toBeGreaterThan(50);
  });
});
