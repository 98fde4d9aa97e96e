/**
 * The spine end to end with a real SMTP server: a monitor drifts → one alert email saying what
 * changed; it recovers → one resolved email; the server is down while an alert fires → the
 * email is delivered once it is back, exactly once.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAlertsConfig } from "../../src/agent/alerts/config.js";
import { approveBaseline } from "../../src/agent/baseline.js";
import { nullLogger } from "../../src/kit/log.js";
import { emailChannel } from "../../src/agent/notify/email.js";
import { routesOf } from "../../src/agent/notify/channels.js";
import { DeliveryWorker } from "../../src/agent/notify/worker.js";
import { inProcessPrivilegedReader } from "../../src/kit/privileged.js";
import { run } from "../../src/kit/exec.js";
import { runMonitor, type RunnerDeps } from "../../src/agent/runner.js";
import { openStore, type Db } from "../../src/agent/store/db.js";
import { fileMonitor } from "../helpers/file-monitor.js";
import { makeCert, TestSmtp } from "../helpers/smtp.js";
import { bodyParts } from "./notify/peers.js";

describe("spine: observation → baseline → drift → alert email", () => {
  let smtp: TestSmtp;
  let ca: string;
  let db: Db;
  let dir: string;
  let clock = Date.parse("2026-11-28T10:00:00Z");
  let worker: DeliveryWorker;
  let deps: RunnerDeps;
  const factsFile = () => join(dir, "facts.json");
  const setting = () => ({ monitor: fileMonitor, schedule: "* * * * *", config: { path: factsFile() } });
  const observe = (facts: object) => writeFileSync(factsFile(), JSON.stringify(facts));

  beforeAll(async () => {
    const cert = await makeCert();
    ca = cert.cert;
    smtp = new TestSmtp(cert);
    await smtp.start();
    dir = mkdtempSync(join(tmpdir(), "gh-spine-"));
    db = openStore(join(dir, "data"));
    const alerts = parseAlertsConfig({
      email: { smtp: { host: "127.0.0.1", port: smtp.port, tls: "starttls", ca_file: ca, connection_timeout: "2s", greeting_timeout: "2s", socket_timeout: "5s" }, from: "gatehouse@example.org", to: ["it@example.org"] },
    });
    const channels = [emailChannel(alerts.email[0]!)];
    worker = new DeliveryWorker(db, { channels, log: nullLogger, now: () => clock, pollMs: 3_600_000 });
    deps = { db, site: "Acme Phoenix", log: nullLogger, run, privileged: inProcessPrivilegedReader(), routes: routesOf(channels), consoleUrl: "https://gatehouse.local:8443/", now: () => clock, alertPolicy: { renotifyAfterMs: 4 * 3_600_000, flapWindowMs: 0, groupWaitMs: 0 } };
  });

  afterAll(async () => {
    await worker.stop();
    db.close();
    await smtp.stop();
  });

  it("sends one alert email when an approved fact drifts, naming the change", async () => {
    observe({ "file.enabled": true, "file.rules": ["tcp dport 22 accept"] });
    const first = await runMonitor(deps, setting());
    expect(first.findings.map((f) => f.rule)).toContain("file.baseline_missing");
    approveBaseline(db, fileMonitor, first.facts, { actor: "os:alice", reason: "initial review" });
    clock += 60_000;
    expect((await runMonitor(deps, setting())).status).toBe("pass");

    await worker.drain();
    const before = smtp.received.length; // the info "baseline missing" notice is below email's minimum

    observe({ "file.enabled": true, "file.rules": ["tcp dport 22 accept", "tcp dport 23 accept"] });
    clock += 60_000;
    const drifted = await runMonitor(deps, setting());
    expect(drifted.status).toBe("fail");
    await worker.drain();
    expect(smtp.received.length - before).toBe(1);
    const mail = smtp.received.at(-1)!;
    expect(mail.subject).toBe(`[Gatehouse][CRITICAL] Acme Phoenix (${hostname()}): file changed: added "tcp dport 23 accept"`);
    expect(bodyParts(mail.raw).text).toContain('gatehouse baseline approve file --reason "…"');
    expect(mail.raw).toContain("https://gatehouse.local:8443/");
    expect(mail.to).toEqual(["it@example.org"]);

    // Still drifted on the next run: no second email.
    clock += 60_000;
    await runMonitor(deps, setting());
    await worker.drain();
    expect(smtp.received.length - before).toBe(1);

    // Recovery: one resolved email.
    observe({ "file.enabled": true, "file.rules": ["tcp dport 22 accept"] });
    clock += 60_000;
    expect((await runMonitor(deps, setting())).status).toBe("pass");
    await worker.drain();
    expect(smtp.received.length - before).toBe(2);
    expect(smtp.received.at(-1)!.subject).toBe(`[Gatehouse][RESOLVED] Acme Phoenix (${hostname()}): file.rules matches the approved baseline`);
  });

  it("keeps the email while the server is down and delivers it exactly once when it is back", async () => {
    const port = smtp.port;
    await smtp.stop();
    const before = smtp.received.length;
    observe({ "file.enabled": false, "file.rules": ["tcp dport 22 accept"] });
    clock += 60_000;
    await runMonitor(deps, setting());
    await worker.drain();
    const row = db.prepare("SELECT attempts, last_error, sent_at FROM outbox ORDER BY id DESC LIMIT 1").get() as { attempts: number; last_error: string; sent_at: number | null };
    expect(row.sent_at).toBeNull();
    expect(row.attempts).toBe(1);
    expect(row.last_error).toMatch(/^email failed: .*ECONNREFUSED/);

    // Not due yet: nothing is retried before its backoff.
    await worker.drain();
    expect((db.prepare("SELECT attempts FROM outbox ORDER BY id DESC LIMIT 1").get() as { attempts: number }).attempts).toBe(1);

    await smtp.start(port);
    clock += 60 * 60_000;
    await worker.drain();
    await worker.drain();
    const sent = smtp.received.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.subject).toBe(`[Gatehouse][CRITICAL] Acme Phoenix (${hostname()}): the thing is disabled`);
    const outbox = db.prepare("SELECT message_id, sent_at FROM outbox ORDER BY id DESC LIMIT 1").get() as { message_id: string; sent_at: number };
    expect(outbox.sent_at).toBe(clock);
    expect(sent[0]!.messageId).toBe(outbox.message_id);
  });
});
