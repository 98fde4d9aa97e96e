/**
 * The daemon: starts, serves /healthz and the status page, records the first checks, and stops
 * cleanly on SIGTERM. Monitors that would read the host are disabled: tests never look at it.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../src/agent/config/load.js";
import { startDaemon } from "../../src/agent/daemon.js";
import { nullLogger } from "../../src/kit/log.js";
import { openStore } from "../../src/agent/store/db.js";
import { requireBuild } from "../helpers/build.js";
import { fileMonitor } from "../helpers/file-monitor.js";
import { quietServeConfig, startServe } from "../helpers/serve.js";

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Every real monitor disabled, so nothing reads this machine. */

describe("daemon", () => {
  it("serves health and status, records the first check, and stops cleanly", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gh-daemon-"));
    writeFileSync(join(dir, "facts.json"), JSON.stringify({ "file.enabled": false, "file.rules": [] }));
    const port = await freePort();
    const text = `site: "Test <b>Site</b>"\ndata_dir: ./data\nconsole: { listen: "127.0.0.1:${port}", tls: off }\nmonitors:\n  file: { path: ${join(dir, "facts.json")} }\n`;
    const config = parseConfigText(text, join(dir, "gatehouse.yaml"), [fileMonitor]);
    const d = await startDaemon(config, { log: nullLogger, version: "test", checkOnStart: true });
    try {
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: "ok", version: "test" });
      // The console asks for a login, and names the site escaped.
      const login = await fetch(`http://127.0.0.1:${port}/`, { redirect: "follow" });
      const page = await login.text();
      expect(page).toContain("Test &lt;b&gt;Site&lt;/b&gt;");
      expect(page).not.toContain("<b>Site</b>");
      // The first check ran and its failure is exported to Prometheus (loopback needs no token).
      let metrics = "";
      for (let i = 0; i < 50 && !/gatehouse_monitor_status\{[^}]*monitor="file"[^}]*status="fail"[^}]*\} 1/.test(metrics); i++) {
        metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(metrics).toMatch(/gatehouse_monitor_status\{[^}]*monitor="file"[^}]*status="fail"[^}]*\} 1/);
    } finally {
      await d.stop();
    }
    expect(d.agent.db.open).toBe(false);
    const db = openStore(join(dir, "data"));
    expect((db.prepare("SELECT count(*) AS n FROM observations WHERE monitor = 'file'").get() as { n: number }).n).toBeGreaterThanOrEqual(1);
    db.close();
  });

  it("the built CLI exits 0 on SIGTERM after start-up", async () => {
    requireBuild("src/cli.js");
    const dir = mkdtempSync(join(tmpdir(), "gh-serve-"));
    const port = await freePort();
    const file = join(dir, "gatehouse.yaml");
    writeFileSync(file, quietServeConfig(port));
    const served = await startServe(file, port);
    const p = served.child;
    const exited = served.exited;
    const out = served.output;
    expect(served.up, out()).toBe(true);
    p.kill("SIGTERM");
    const code = await exited;
    expect(code, out()).toBe(0);
    expect(out()).toContain('"msg":"gatehouse stopped"');
    const db = openStore(join(dir, "data"));
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    db.close();
  });
});
