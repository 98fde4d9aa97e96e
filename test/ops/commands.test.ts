/**
 * The ops CLI commands through the real dispatcher: `db backup` → wipe → `db restore` (the
 * restore itself is audited and the chain verifies), and `probe query` against a helper.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { appendAudit, verifyAudit } from "../../src/agent/audit.js";
import { nullLogger } from "../../src/kit/log.js";
import { openStore } from "../../src/agent/store/db.js";
import { main } from "../../src/commands/index.js";
import { createProbeServer, listenProbe } from "../../src/probe/server.js";
import { canRun } from "../helpers/require-tool.js";

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) } };
}

describe("ops commands", () => {
  const dir = mkdtempSync(join(tmpdir(), "gh-cmd-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("db backup → wipe → db restore; the restore is audited and the chain verifies", async () => {
    const dataDir = join(dir, "data");
    const db = openStore(dataDir);
    for (let i = 0; i < 4; i++) appendAudit(db, { actor: "console:alice", action: "alert.ack", target: String(i) });
    db.close();
    const file = join(dir, "copy.db");

    const b = io();
    expect(await main(["db", "backup", file, "--data-dir", dataDir], b.io)).toBe(0);
    expect(b.out.join("\n")).toMatch(/backed up .* \(\d+ bytes, schema \d+, 4 audit rows\)/);

    rmSync(dataDir, { recursive: true, force: true });
    const r = io();
    expect(await main(["db", "restore", file, "--data-dir", dataDir], r.io)).toBe(0);
    expect(r.out.join("\n")).toMatch(/audit chain verified: 4 rows/);

    // The same check an admin runs: `gatehouse audit verify`.
    const config = join(dir, "gatehouse.yaml");
    writeFileSync(config, `site: "Ops test"\ndata_dir: ${JSON.stringify(dataDir)}\n`);
    const v = io();
    expect(await main(["audit", "verify", "--config", config], v.io)).toBe(0);
    expect(v.out.join("\n")).toMatch(/audit log intact: 5 entries/);

    const restored = openStore(dataDir);
    try {
      expect(verifyAudit(restored)).toEqual({ ok: true, rows: 5 });
      expect(restored.prepare("SELECT action, target FROM audit ORDER BY id DESC LIMIT 1").get()).toEqual({ action: "db.restore", target: file });
    } finally {
      restored.close();
    }
  });

  it("db commands explain their mistakes", async () => {
    const a = io();
    expect(await main(["db", "backup"], a.io)).toBe(3);
    expect(a.err.join("\n")).toMatch(/expected one FILE/);
    const b = io();
    expect(await main(["db", "backup", join(dir, "x.db"), "--data-dir", join(dir, "empty")], b.io)).toBe(1);
    expect(b.err.join("\n")).toMatch(/no database in/);
    const c = io();
    expect(await main(["db", "restore", join(dir, "missing.db"), "--data-dir", join(dir, "d2")], c.io)).toBe(3);
    expect(c.err.join("\n")).toMatch(/missing\.db: no such file/);
  });

  // The scripts need root (they run as root under install); under CI=true a non-root run fails.
  it.runIf(canRun({ tools: ["sh"], root: true }))("install/uninstall find and run the scripts of this build", async () => {
    const root = join(dir, "root");
    mkdirSync(join(root, "etc"), { recursive: true });
    writeFileSync(join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/bash\n");
    writeFileSync(join(root, "etc/group"), "root:x:0:\n");
    const u = io();
    expect(await main(["uninstall", "--root", root], u.io)).toBe(0);
    expect(u.out.join("\n")).toMatch(/removed the units and \/opt\/gatehouse/);
    const bad = io();
    expect(await main(["install", "--root", "relative/path"], bad.io)).toBe(1);
    expect(bad.err.join("\n")).toMatch(/--root must be an absolute path/);
  });

  it("probe query asks the helper and refuses names outside the list", async () => {
    const sock = join(dir, "probe.sock");
    const server: Server = createProbeServer({
      root: join(dir, "etc-none"),
      log: nullLogger,
      run: async () => ({ stdout: "table inet filter {\n}\n", stderr: "", code: 0, durationMs: 1 }),
    });
    await listenProbe(server, sock);
    try {
      const ok = io();
      expect(await main(["probe", "query", "nft-ruleset-text", "--socket", sock], ok.io)).toBe(0);
      expect(ok.out).toEqual(["table inet filter {\n}"]);
      const refused = io();
      expect(await main(["probe", "query", "/etc/passwd", "--socket", sock], refused.io)).toBe(3);
      expect(refused.err.join("\n")).toMatch(/refused: query "\/etc\/passwd" is not on the allow-list/);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
