/** The daemon serves the osquery endpoints and runs the check-in watch every minute. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../src/agent/config/load.js";
import { startDaemon } from "../../src/agent/daemon.js";
import { nullLogger } from "../../src/kit/log.js";
import { MONITORS } from "../../src/monitors/index.js";
import { fileMonitor } from "../helpers/file-monitor.js";
import { OsqueryClient, type Transport } from "./osquery-client.js";

const SECRET = "office-enroll-secret-9f4c2a7e1b";
const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

describe("daemon with hosts", () => {
  it("enrols a computer over the console listener and alerts when it stops checking in", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gh-osq-daemon-"));
    writeFileSync(join(dir, "facts.json"), JSON.stringify({ "file.enabled": true, "file.rules": [] }));
    writeFileSync(join(dir, "enroll.secret"), SECRET, { mode: 0o600 });
    writeFileSync(join(dir, "hook.key"), "k".repeat(32), { mode: 0o600 });
    const port = await freePort();
    const disabled = MONITORS.map((m) => `  ${m.id}: { enabled: false }`).join("\n");
    const text = `site: T\ndata_dir: ./data\nconsole: { listen: "127.0.0.1:${port}", tls: off }\nmonitors:\n${disabled}\n  file: { path: ${join(dir, "facts.json")} }\nhosts:\n  enroll_secret_file: ${join(dir, "enroll.secret")}\n  offline_after: 1h\nalerts:\n  webhook: [{ url: "http://127.0.0.1:9/hook", secret_file: ${join(dir, "hook.key")} }]\n`;
    const config = parseConfigText(text, join(dir, "gatehouse.yaml"), [...MONITORS, fileMonitor]);
    const d = await startDaemon(config, { log: nullLogger, version: "test" });
    try {
      const send: Transport = async (path, body, headers) => {
        const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: "POST", headers, body });
        const t = await res.text();
        return { status: res.status, text: t, json: JSON.parse(t) as Record<string, unknown> };
      };
      const client = new OsqueryClient(send, SECRET);
      expect((await client.enroll()).json.node_invalid).toBe(false);
      await client.distributedRound();
      const db = d.agent.db;
      expect(db.prepare("SELECT count(*) AS n FROM finding_state WHERE monitor = 'host:1'").get()).toEqual({ n: 8 });

      db.prepare("UPDATE osquery_hosts SET last_seen_at = ?").run(Date.now() - 2 * 3_600_000);
      await d.scheduler.runNow("hosts:checkin");
      expect(db.prepare("SELECT rule, state FROM alerts WHERE rule = 'hosts.checkin'").all()).toEqual([{ rule: "hosts.checkin", state: "firing" }]);
      expect((db.prepare("SELECT count(*) AS n FROM outbox WHERE payload_json LIKE '%has not checked in%'").get() as { n: number }).n).toBeGreaterThan(0);
    } finally {
      await d.stop();
    }
  });
});
