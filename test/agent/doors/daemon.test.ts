/**
 * The doors block of the daemon: with a real mosquitto, `startDaemon` starts the door engine and
 * its MQTT input; an opened restricted door reaches the outbox; stop() ends the input before the
 * database closes. Every monitor is disabled so nothing reads this machine.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parseConfigText } from "../../../src/agent/config/load.js";
import { startDaemon } from "../../../src/agent/daemon.js";
import { nullLogger } from "../../../src/kit/log.js";
import { canRun } from "../../helpers/require-tool.js";
import { freePort, startBroker, type Broker } from "./mosquitto.js";

describe.skipIf(!canRun({ tools: ["mosquitto", "mosquitto_passwd", "openssl"] }))("daemon with doors (real mosquitto)", () => {
  let broker: Broker;
  let dir: string;
  beforeAll(async () => {
    broker = await startBroker();
    dir = mkdtempSync(join(tmpdir(), "gh-doors-daemon-"));
  });
  afterAll(async () => {
    await broker?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it("starts the engine and MQTT input, records an opening with its alert, stops the input on shutdown", async () => {
    const port = await freePort();
    const text = `site: "Acme"
timezone: America/New_York
data_dir: ./data
console: { listen: "127.0.0.1:${port}", tls: off }
doors:
  sensors:
    - { id: closet, name: "Wiring closet", policy: always, input: { mqtt: { topic: "zigbee2mqtt/closet" } } }
mqtt: { url: "${broker.url}", username: gatehouse, password_file: ${broker.passwordFile}, client_id: gh-daemon-test }
`;
    const config = parseConfigText(text, join(dir, "gatehouse.yaml"), []);
    const d = await startDaemon(config, { log: nullLogger, version: "test" });
    const pub = mqtt.connect(broker.url, { username: "sensor", password: "sensor-pass" });
    try {
      await new Promise<void>((r) => pub.once("connect", () => r()));
      // The input subscribes once connected; publish until the first event lands.
      await vi.waitFor(
        async () => {
          await pub.publishAsync("zigbee2mqtt/closet", '{"contact":false}', { qos: 1 });
          const n = (d.agent.db.prepare("SELECT count(*) AS n FROM door_events").get() as { n: number }).n;
          expect(n).toBeGreaterThan(0);
        },
        { timeout: 10_000, interval: 200 },
      );
      expect(d.agent.db.prepare("SELECT rule, subject, severity FROM alerts WHERE source = 'doors'").all()).toEqual([
        { rule: "doors.restricted_open", subject: "closet", severity: "critical" },
      ]);
    } finally {
      await d.stop();
      await pub.endAsync();
    }
    expect(d.agent.db.open).toBe(false);
    // The broker saw our client go away (no reconnect loop left behind).
    await vi.waitFor(() => expect(broker.log.join("")).toMatch(/Client gh-daemon-test (disconnected|closed its connection)/), { timeout: 5000 });
  });
});
