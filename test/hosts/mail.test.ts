/**
 * One computer's findings reach an alert email: the recorded exchange through the console app,
 * the outbox delivered by the real delivery worker to a real SMTP server on loopback.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nullLogger } from "../../src/kit/log.js";
import { buildChannels, routesOf } from "../../src/agent/notify/channels.js";
import { DeliveryWorker } from "../../src/agent/notify/worker.js";
import { makeCert, TestSmtp } from "../helpers/smtp.js";
import { YAML, makeHarness } from "../web/harness.js";
import { appTransport, OsqueryClient } from "./osquery-client.js";

const SECRET = "office-enroll-secret-9f4c2a7e1b";

describe("a computer's finding by email", () => {
  let smtp: TestSmtp;
  let ca: string;
  beforeAll(async () => {
    const cert = await makeCert();
    ca = cert.cert;
    smtp = new TestSmtp(cert);
    await smtp.start();
  });
  afterAll(async () => {
    await smtp.stop();
  });

  it("mails IT that FRONT-DESK-1's disk is not encrypted and a receptionist is an administrator", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gh-osq-mail-"));
    writeFileSync(join(dir, "enroll.secret"), SECRET, { mode: 0o600 });
    const yaml = `${YAML}hosts:
  enroll_secret_file: ${join(dir, "enroll.secret")}
  allowed_admins: [itadmin]
alerts:
  group_wait: 0
  flap_window: 0
  email:
    - smtp: { host: 127.0.0.1, port: ${smtp.port}, tls: starttls, ca_file: ${ca}, connection_timeout: 2s, greeting_timeout: 2s, socket_timeout: 5s }
      from: gatehouse@example.org
      to: [it@example.org]
`;
    const probe = makeHarness({}, yaml);
    const channels = buildChannels(probe.deps.config.alerts);
    const h = makeHarness({ routes: routesOf(channels) }, yaml);
    h.clock.t = Date.UTC(2026, 11, 1, 10);
    const worker = new DeliveryWorker(h.db, { channels, log: nullLogger, now: h.clock.now, pollMs: 3_600_000 });
    try {
      const client = new OsqueryClient(appTransport(h.app), SECRET);
      await client.enroll();
      await client.distributedRound();
      await worker.drain();
      expect(smtp.received).toHaveLength(1);
      const mail = smtp.received[0]!;
      expect(mail.to).toEqual(["it@example.org"]);
      // Every message names the site and the box that sent it.
      expect(mail.subject).toBe(`[Gatehouse][CRITICAL] Test <b>Site</b> (${hostname()}): 2 problems (host:1)`);
      const body = mail.raw.replace(/=\r?\n/g, "");
      expect(body).toContain("FRONT-DESK-1: BitLocker protection is off on C:");
      expect(body).toContain("FRONT-DESK-1: local administrators beyond IT's accounts: frontdesk");
      expect(h.db.prepare("SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL").get()).toEqual({ n: 0 });
    } finally {
      await worker.stop();
      for (const c of channels) c.close?.();
    }
  });
});
