/**
 * Issue 13 item 4, through the real delivery path and the DEFAULT `alerts:` settings: a real
 * mosquitto, `startDaemon`, a real SMTP server. A door opened after hours (critical) is due at
 * once — grouping never holds an alarm back — while a warning still waits `group_wait` (30 s).
 * Before per-severity grouping the alarm's outbox row was due 30 s after it was written.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parseConfigText } from "../../../src/agent/config/load.js";
import { startDaemon } from "../../../src/agent/daemon.js";
import { nullLogger } from "../../../src/kit/log.js";
import { canRun } from "../../helpers/require-tool.js";
import { makeCert, TestSmtp } from "../../helpers/smtp.js";
import { bodyParts } from "../notify/peers.js";
import { freePort, startBroker, type Broker } from "./mosquitto.js";

/** Today and tomorrow in UTC: declared holidays, so every moment of the test is after hours. */
const holidays = () => [0, 1].map((d) => new Date(Date.now() + d * 86_400_000).toISOString().slice(0, 10));

describe.skipIf(!canRun({ tools: ["mosquitto", "mosquitto_passwd", "openssl"] }))("door alarm → email with the default alerts settings", () => {
  let broker: Broker;
  let smtp: TestSmtp;
  let dir: string;
  let ca: string;
  beforeAll(async () => {
    broker = await startBroker();
    const cert = await makeCert();
    ca = cert.cert;
    smtp = new TestSmtp(cert);
    await smtp.start();
    dir = mkdtempSync(join(tmpdir(), "gh-door-alarm-"));
  });
  afterAll(async () => {
    await broker?.destroy();
    await smtp?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("sends the after-hours alarm at once; a warning still waits group_wait", async () => {
    const port = await freePort();
    const text = `site: "Acme Answering — Phoenix"
timezone: UTC
data_dir: ./data
console: { listen: "127.0.0.1:${port}", tls: off }
doors:
  business_hours: { mon-fri: "07:00-19:00" }
  holidays: [${holidays().join(", ")}]
  sensors:
    - { id: server-room, name: "Server room", input: { mqtt: { topic: "z2m/server_room", field: contact, open_when: false } } }
    - { id: lobby, name: "Lobby", input: { mqtt: { topic: "z2m/lobby", field: contact, open_when: false } } }
mqtt: { url: "${broker.url}", username: gatehouse, password_file: ${broker.passwordFile}, client_id: gh-alarm-test }
alerts:
  email: { smtp: { host: 127.0.0.1, port: ${smtp.port}, tls: starttls, ca_file: ${ca} }, from: "gatehouse@example.org", to: ["it@example.org"] }
`;
    const config = parseConfigText(text, join(dir, "gatehouse.yaml"), []);
    expect(config.alerts.group_wait).toEqual({ critical: 0, warning: 30_000, info: 30_000 }); // nothing set: the defaults
    const d = await startDaemon(config, { log: nullLogger, version: "test" });
    const pub = mqtt.connect(broker.url, { username: "sensor", password: "sensor-pass" });
    const db = d.agent.db;
    const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    try {
      await new Promise<void>((r) => pub.once("connect", () => r()));
      // First states learned (no alarm), until the input has subscribed.
      await vi.waitFor(
        async () => {
          await pub.publishAsync("z2m/server_room", '{"contact":true}', { qos: 1 });
          await pub.publishAsync("z2m/lobby", '{"contact":true}', { qos: 1 });
          expect(count("SELECT count(DISTINCT sensor_id) AS n FROM door_events")).toBe(2);
        },
        { timeout: 10_000, interval: 200 },
      );

      // A warning (lobby battery low) waits the default 30 s for others to join it.
      await pub.publishAsync("z2m/lobby", '{"contact":true,"battery_low":true}', { qos: 1 });
      await vi.waitFor(() => expect(count("SELECT count(*) AS n FROM outbox WHERE event = 'firing'")).toBe(1), { timeout: 10_000 });
      const warning = db.prepare("SELECT created_at, next_attempt_at FROM outbox WHERE event = 'firing'").get() as { created_at: number; next_attempt_at: number };
      expect(warning.next_attempt_at - warning.created_at).toBe(30_000);

      // The server-room door opens after hours: its notice is due the moment it is written.
      const t0 = Date.now();
      await pub.publishAsync("z2m/server_room", '{"contact":false}', { qos: 1 });
      const alarmMail = () => smtp.received.find((m) => m.raw.includes("X-Gatehouse-Event: firing"));
      await vi.waitFor(() => expect(alarmMail()).toBeDefined(), { timeout: 60_000, interval: 5 });
      const latencyMs = Date.now() - t0;
      // The carrier is the alarm's own row, due when written; it took the waiting warning with it.
      const carrier = db.prepare("SELECT created_at, next_attempt_at, payload_json FROM outbox WHERE event = 'firing' AND merged_into IS NULL").get() as { created_at: number; next_attempt_at: number; payload_json: string };
      expect(carrier.next_attempt_at).toBe(carrier.created_at);
      expect((JSON.parse(carrier.payload_json) as { items: { rule: string }[] }).items.map((i) => i.rule)).toEqual(["doors.after_hours_open", "doors.battery_low"]);
      const mail = alarmMail()!;
      expect(mail.subject).toMatch(/^\[Gatehouse\]\[CRITICAL\] Acme Answering — Phoenix \(.+\): 2 problems \(doors\)$/);
      const { text } = bodyParts(mail.raw);
      expect(text).toContain("* [critical] Server room opened outside business hours");
      expect(text).toContain(`Host: ${hostname()}`);
      expect(text).toMatch(/-> Acknowledge \(stops reminders\): gatehouse alerts ack \d+ --note "…"/);
      // Kept for people to read (test-artifacts/ is not committed).
      mkdirSync(resolve("test-artifacts"), { recursive: true });
      writeFileSync(resolve("test-artifacts/door-alarm-mail.txt"), `Subject: ${mail.subject}\n\n${text}`);
      // Nothing is left pending: the warning was folded into the alarm's message (sent_at is
      // written once nodemailer reports the server's 250, just after the server has the mail).
      await vi.waitFor(() => expect(count("SELECT count(*) AS n FROM outbox WHERE event = 'firing' AND sent_at IS NULL")).toBe(0), { timeout: 10_000 });
      console.log(`door opened after hours → email accepted by SMTP with the default alerts settings: ${latencyMs} ms`);
    } finally {
      await d.stop();
      await pub.endAsync();
    }
  });
});
