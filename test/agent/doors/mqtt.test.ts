/**
 * The MQTT input against a real mosquitto on a random loopback port (password auth, persistence,
 * a TLS listener with a generated CA): zigbee2mqtt and Shelly payloads drive the state machine;
 * malformed, oversized and wrongly typed payloads are refused without blocking the next one; a
 * broker restart mid-test loses no later event.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parseMqttConfig } from "../../../src/agent/doors/config.js";
import { MqttDoorInput, mqttRoutes } from "../../../src/agent/doors/mqtt.js";
import { checkDoorsWiring, pruneDoorData, startDoors } from "../../../src/agent/doors/index.js";
import { parseDoorsConfig } from "../../../src/agent/doors/config.js";
import { signDoorEvent } from "../../../src/agent/doors/webhook.js";
import { writeFileSync } from "node:fs";
import { IMMEDIATE } from "./helpers.js";
import { getDoorState, recentDoorEvents } from "../../../src/agent/store/doors.js";
import { canRun } from "../../helpers/require-tool.js";
import { engineFor, memoryDb, openAlerts, quiet } from "./helpers.js";
import { startBroker, type Broker } from "./mosquitto.js";

const FIX = join(import.meta.dirname, "../../fixtures/doors/mqtt");
const NIGHT = Date.parse("2026-11-28T03:00:00Z"); // Fri 22:00 New York
const Z2M = "zigbee2mqtt/server_room_door";
const DOORS = {
  business_hours: { "mon-fri": "07:00-19:00" },
  sensors: [
    { id: "server-room", name: "Server room", input: { mqtt: { topic: Z2M, field: "contact", open_when: false } } },
    { id: "closet", name: "Wiring closet", policy: "always", input: { mqtt: { topic: "shellies/closet/sensor/state", format: "shelly" } } },
    { id: "relay", input: { mqtt: { topic: "site/relay/door", format: "generic", field: "door", open_when: "OPEN" } } },
  ],
};

async function publisher(b: Broker): Promise<MqttClient> {
  const c = mqtt.connect(b.url, { username: "sensor", password: "sensor-pass", reconnectPeriod: 100, clientId: `pub-${Math.random().toString(16).slice(2)}` });
  await new Promise<void>((resolve, reject) => {
    c.once("connect", () => resolve());
    c.once("error", reject);
  });
  return c;
}

const pub = (c: MqttClient, topic: string, payload: string | Buffer, retain = false) => c.publishAsync(topic, payload, { qos: 1, retain });

describe.skipIf(!canRun({ tools: ["mosquitto", "mosquitto_passwd", "openssl"] }))("MQTT door input (real mosquitto)", () => {
  let broker: Broker;
  beforeAll(async () => {
    broker = await startBroker({ tls: true });
  });
  afterAll(async () => {
    await broker?.destroy();
  });

  function setup(url = broker.url, extra: Record<string, unknown> = {}) {
    const db = memoryDb();
    const engine = engineFor(db, DOORS, () => NIGHT);
    const config = parseMqttConfig({ url, username: "gatehouse", password_file: broker.passwordFile, client_id: `gh-${Math.random().toString(16).slice(2)}`, ...extra })!;
    const input = new MqttDoorInput({ config, sensors: engine.sensors.size ? [...engine.sensors.values()] : [], engine, log: quiet, reconnectMinMs: 100, reconnectMaxMs: 400 });
    return { db, engine, input };
  }

  it("subscribes to the state topics and the availability / Shelly side topics", () => {
    const routes = mqttRoutes(engineFor(memoryDb(), DOORS).sensors.values() as never);
    expect([...routes.keys()].sort()).toEqual([
      "shellies/closet/online",
      "shellies/closet/sensor/battery",
      "shellies/closet/sensor/state",
      "site/relay/door",
      Z2M,
      `${Z2M}/availability`,
    ]);
  });

  it("retained state is the initial state; zigbee2mqtt and Shelly payloads drive the state machine", async () => {
    const p = await publisher(broker);
    await pub(p, Z2M, readFileSync(join(FIX, "zigbee2mqtt-sonoff-snzb04.json")), true); // contact true: closed
    const { db, engine, input } = setup();
    try {
      input.start();
      await vi.waitFor(() => expect(getDoorState(db, "server-room")?.state).toBe("closed"), { timeout: 10_000 });
      expect(recentDoorEvents(db)[0]).toMatchObject({ initial: true, outcome: "closed", battery: 91 });

      await pub(p, Z2M, readFileSync(join(FIX, "zigbee2mqtt-aqara-mccgq11lm.json"))); // contact false: open
      await vi.waitFor(() => expect(openAlerts(db).map((a) => a.rule)).toEqual(["doors.after_hours_open"]), { timeout: 10_000 });
      await pub(p, Z2M, JSON.stringify({ contact: true, tamper: true, battery: 90 }));
      await vi.waitFor(() => expect(openAlerts(db).map((a) => a.rule)).toEqual(["doors.tamper"]), { timeout: 10_000 });

      await pub(p, "shellies/closet/sensor/state", "open");
      await vi.waitFor(() => expect(openAlerts(db).map((a) => a.rule)).toContain("doors.restricted_open"), { timeout: 10_000 });
      await pub(p, "shellies/closet/sensor/battery", "9");
      await pub(p, "shellies/closet/sensor/state", "close");
      await vi.waitFor(() => expect(getDoorState(db, "closet")).toMatchObject({ state: "closed", battery: 9 }), { timeout: 10_000 });
      expect(openAlerts(db).map((a) => a.rule).sort()).toEqual(["doors.battery_low", "doors.tamper"]);

      await pub(p, `${Z2M}/availability`, '{"state":"offline"}');
      await vi.waitFor(() => expect(openAlerts(db).map((a) => a.rule)).toContain("doors.offline"), { timeout: 10_000 });
      await pub(p, `${Z2M}/availability`, "online");
      await vi.waitFor(() => expect(openAlerts(db).map((a) => a.rule)).not.toContain("doors.offline"), { timeout: 10_000 });

      await pub(p, "site/relay/door", '{"door":"OPEN"}');
      await vi.waitFor(() => expect(getDoorState(db, "relay")?.state).toBe("open"), { timeout: 10_000 });
      expect(engine.stats().malformed).toBe(0);
    } finally {
      await input.stop();
      await pub(p, Z2M, "", true); // clear the retained message
      await p.endAsync();
    }
  });

  it("malformed, oversized and wrongly typed payloads are counted and refused; the next message still lands", async () => {
    const p = await publisher(broker);
    const { db, engine, input } = setup();
    try {
      input.start();
      await vi.waitFor(() => expect(input.connected).toBe(true), { timeout: 10_000 });
      await new Promise((r) => setTimeout(r, 100)); // let the subscription settle
      const garbage: Array<[string, string | Buffer]> = [
        [Z2M, "contact=false"],
        [Z2M, '{"contact":"false"}'],
        [Z2M, '{"contact":true,"battery":"full"}'],
        [Z2M, JSON.stringify({ contact: false, pad: "x".repeat(9000) })],
        [Z2M, Buffer.from([0xff, 0x00, 0xfe])],
        [`${Z2M}/availability`, "maybe"],
        ["shellies/closet/sensor/state", "OPENED"],
        ["shellies/closet/sensor/battery", "lots"],
        ["site/relay/door", '{"door":1}'],
        ["site/relay/door", "[]"],
      ];
      for (const [t, m] of garbage) await pub(p, t, m);
      await pub(p, Z2M, '{"contact":false}');
      await vi.waitFor(() => expect(getDoorState(db, "server-room")?.state).toBe("open"), { timeout: 10_000 });
      expect(engine.stats().malformed).toBe(garbage.length);
      expect(engine.stats().malformedByReason).toMatchObject({ "payload too large": 1, "not UTF-8": 1, "contact is a string, expected a boolean": 1 });
      expect(getDoorState(db, "server-room")?.malformed).toBe(6);
      expect(recentDoorEvents(db)).toHaveLength(1);
      expect(quiet.lines.some((l) => JSON.stringify(l).includes("x".repeat(100)))).toBe(false); // payloads never logged
    } finally {
      await input.stop();
      await p.endAsync();
    }
  });

  it("a broker restart mid-test loses no later event (QoS 1, persistent session)", async () => {
    const p = await publisher(broker);
    const { db, input } = setup();
    try {
      input.start();
      await vi.waitFor(() => expect(input.connected).toBe(true), { timeout: 10_000 });
      await new Promise((r) => setTimeout(r, 100));
      for (let i = 0; i < 10; i++) await pub(p, Z2M, JSON.stringify({ contact: i % 2 === 0, seq: i }));
      await vi.waitFor(() => expect(recentDoorEvents(db, { limit: 1000 })).toHaveLength(10), { timeout: 10_000 });

      await broker.stop();
      await vi.waitFor(() => expect(input.connected).toBe(false), { timeout: 10_000 });
      await broker.start();
      await vi.waitFor(() => expect(p.connected).toBe(true), { timeout: 10_000 });
      // Published as soon as the broker is back, whether or not our input has reconnected yet.
      for (let i = 10; i < 40; i++) await pub(p, Z2M, JSON.stringify({ contact: i % 2 === 0, seq: i }));
      await vi.waitFor(() => expect(recentDoorEvents(db, { limit: 1000 })).toHaveLength(40), { timeout: 20_000 });
      expect(input.connects).toBeGreaterThanOrEqual(2);
      const digests = new Set(recentDoorEvents(db, { limit: 1000 }).map((e) => e.payloadSha256));
      expect(digests.size).toBe(40);
    } finally {
      await input.stop();
      await p.endAsync();
    }
  });

  it("TLS with the site's CA file and a password file", async () => {
    const p = await publisher(broker);
    const { db, input } = setup(`mqtts://127.0.0.1:${broker.tlsPort}`, { ca_file: broker.caFile });
    try {
      input.start();
      await vi.waitFor(() => expect(input.connected).toBe(true), { timeout: 10_000 });
      await new Promise((r) => setTimeout(r, 100));
      await pub(p, "shellies/closet/sensor/state", "open");
      await vi.waitFor(() => expect(getDoorState(db, "closet")?.state).toBe("open"), { timeout: 10_000 });
    } finally {
      await input.stop();
      await p.endAsync();
    }
  });

  it("a wrong password never connects and is logged, not thrown", async () => {
    const { db, input } = setup(broker.url, { password_file: join(broker.dir, "passwd") });
    quiet.lines.length = 0;
    try {
      input.start();
      await vi.waitFor(() => expect(quiet.lines.some((l) => /mqtt error/.test(l.msg ?? ""))).toBe(true), { timeout: 10_000 });
      expect(input.connected).toBe(false);
      // Raised on every MQTT sensor, so the console shows why the doors are blind.
      expect(openAlerts(db).map((a) => [a.rule, a.subject]).sort()).toEqual([
        ["doors.input_error", "closet"],
        ["doors.input_error", "relay"],
        ["doors.input_error", "server-room"],
      ]);
    } finally {
      await input.stop();
    }
  });

  it("startDoors wires the engine, the MQTT input and the webhook; kicks the worker; stop() ends it all", async () => {
    const p = await publisher(broker);
    writeFileSync(join(broker.dir, "lobby.key"), "lobby-secret-0123456789\n");
    const db = memoryDb();
    const kicks: number[] = [];
    let now = NIGHT;
    const config = {
      site: "Acme",
      timezone: "America/New_York",
      doors: parseDoorsConfig({
        business_hours: { "mon-fri": "07:00-19:00" },
        sensors: [
          { id: "server-room", input: { mqtt: { topic: Z2M } } },
          { id: "lobby", input: { webhook: { secret_file: join(broker.dir, "lobby.key") } } },
        ],
      }),
      mqtt: parseMqttConfig({ url: broker.url, username: "gatehouse", password_file: broker.passwordFile, client_id: "gh-wiring" }),
    };
    const doors = await startDoors({ db, config, routes: [{ channel: "email", minSeverity: "warning" }], policy: IMMEDIATE, log: quiet, onEnqueued: () => kicks.push(1), now: () => now });
    try {
      await vi.waitFor(() => expect(doors.mqtt?.connected).toBe(true), { timeout: 10_000 });
      await new Promise((r) => setTimeout(r, 100));
      await pub(p, Z2M, '{"contact":false}');
      await vi.waitFor(() => expect(kicks.length).toBe(1), { timeout: 10_000 });
      const body = '{"id":"acs-1","state":"open"}';
      const ts = String(Math.floor(now / 1000));
      const res = await doors.webhook.request("/api/doors/lobby/events", { method: "POST", headers: { "x-gatehouse-timestamp": ts, "x-gatehouse-signature": signDoorEvent("lobby-secret-0123456789", ts, "lobby", body) }, body });
      expect(res.status).toBe(202);
      await vi.waitFor(() => expect(kicks.length).toBe(2), { timeout: 10_000 });
      expect(openAlerts(db).map((a) => a.subject).sort()).toEqual(["lobby", "server-room"]);
      now += 500 * 86_400_000;
      expect(pruneDoorData(db, now, 400 * 86_400_000)).toBe(2);
    } finally {
      await doors.stop();
      await p.endAsync();
    }
    expect(doors.mqtt?.connected).toBe(false);
  });

  it("an mqtt sensor without the mqtt section is refused at start", () => {
    expect(() => checkDoorsWiring({ doors: parseDoorsConfig({ sensors: [{ id: "a", input: { mqtt: { topic: "x" } } }] }), mqtt: undefined })).toThrow(
      /sensor a uses an mqtt input, but the config has no top-level mqtt section/,
    );
  });
});
