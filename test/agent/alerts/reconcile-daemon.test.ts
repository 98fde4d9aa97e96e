/**
 * Issue 13: alerts that opened before an email channel was configured reached it never. Through
 * the daemon and a real SMTP server: start without email, an alert fires, restart with email →
 * the alert's notice arrives once; another restart sends nothing more.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { applyFindings } from "../../../src/agent/alerts/engine.js";
import { parseConfigText } from "../../../src/agent/config/load.js";
import { startDaemon } from "../../../src/agent/daemon.js";
import { nullLogger } from "../../../src/kit/log.js";
import { canRun } from "../../helpers/require-tool.js";
import { makeCert, TestSmtp } from "../../helpers/smtp.js";
import { freePort } from "../doors/mosquitto.js";
import { finding } from "./helpers.js";

describe.skipIf(!canRun({ tools: ["openssl"] }))("daemon start: channels configured after alerts opened", () => {
  let smtp: TestSmtp;
  let dir: string;
  let ca: string;
  beforeAll(async () => {
    const cert = await makeCert();
    ca = cert.cert;
    smtp = new TestSmtp(cert);
    await smtp.start();
    dir = mkdtempSync(join(tmpdir(), "gh-reconcile-"));
  });
  afterAll(async () => {
    await smtp?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const configText = async (email: boolean) => `site: "Acme"
timezone: UTC
data_dir: ./data
console: { listen: "127.0.0.1:${await freePort()}", tls: off }
${email ? `alerts:\n  email: { smtp: { host: 127.0.0.1, port: ${smtp.port}, tls: starttls, ca_file: ${ca} }, from: "gatehouse@example.org", to: ["it@example.org"] }\n` : ""}`;
  const start = async (email: boolean) => startDaemon(parseConfigText(await configText(email), join(dir, "gatehouse.yaml"), []), { log: nullLogger, version: "test" });
  const firing = () => smtp.received.filter((m) => m.raw.includes("X-Gatehouse-Event: firing"));

  it("queues the open alert for the new channel once", async () => {
    const a = await start(false);
    try {
      const db = a.agent.db;
      db.transaction(() => applyFindings(db, { site: "Acme", routes: a.agent.runner.routes, now: Date.now() }, "firewall", [finding("firewall.disabled", "fail", "The firewall is off")], true))();
      expect(a.agent.runner.routes).toEqual([]);
    } finally {
      await a.stop();
    }
    const b = await start(true);
    try {
      await vi.waitFor(() => expect(firing()).toHaveLength(1), { timeout: 30_000, interval: 20 });
      expect(firing()[0]!.raw).toContain("The firewall is off");
    } finally {
      await b.stop();
    }
    const c = await start(true);
    try {
      await c.worker.drain();
      expect(firing()).toHaveLength(1);
    } finally {
      await c.stop();
    }
  });
});
