import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../../src/agent/config/load.js";
import { ConfigError } from "../../../src/kit/config-errors.js";
import { parseDays, parseDoorsConfig, parseMqttConfig, parseWindows } from "../../../src/agent/doors/config.js";

const issues = (raw: unknown) => {
  try {
    parseDoorsConfig(raw);
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw e;
  }
  return [];
};

describe("doors config", () => {
  it("accepts DESIGN.md's example, with defaults filled in", () => {
    const text = `
site: "Acme Answering — Phoenix"
timezone: America/Phoenix
data_dir: /tmp/gh-doors-config-test
doors:
  business_hours: { mon-fri: "07:00-19:00", sat: "08:00-12:00" }
  sensors:
    - { id: server-room, name: "Server room", held_open_after: 2m, offline_after: 2h,
        input: { mqtt: { topic: "zigbee2mqtt/server_room_door", field: contact, open_when: false } } }
    - { id: back-door, name: "Back door", input: { gpio: { chip: gpiochip0, line: 17, active_low: true } } }
    - { id: lobby, name: "Lobby", input: { webhook: { secret_file: /etc/gatehouse/lobby.key } } }
mqtt: { url: "mqtts://127.0.0.1:8883", username: gatehouse, password_file: /etc/gatehouse/mqtt.pass }
`;
    const c = parseConfigText(text, "/tmp/gatehouse.yaml", []);
    expect(c.doors.sensors.map((s) => s.id)).toEqual(["server-room", "back-door", "lobby"]);
    const [room, back] = c.doors.sensors;
    expect(room).toMatchObject({ held_open_after: 120_000, offline_after: 7_200_000, policy: "after_hours", input: { mqtt: { format: "zigbee2mqtt", field: "contact", open_when: false } } });
    expect(back).toMatchObject({ input: { gpio: { chip: "gpiochip0", line: 17, active_low: true, debounce: 50 } } });
    // Sunday closed; Monday–Friday 07:00–19:00; Saturday 08:00–12:00.
    expect(c.doors.business_hours[0]).toEqual([]);
    expect(c.doors.business_hours[1]).toEqual([{ start: 420, end: 1140 }]);
    expect(c.doors.business_hours[6]).toEqual([{ start: 480, end: 720 }]);
    expect(c.mqtt).toMatchObject({ url: "mqtts://127.0.0.1:8883", username: "gatehouse" });
  });

  it("absent sections give an empty doors config and no mqtt", () => {
    expect(parseDoorsConfig(undefined)).toEqual({ business_hours: [[], [], [], [], [], [], []], holidays: [], sensors: [] });
    expect(parseMqttConfig(undefined)).toBeUndefined();
  });

  it("names the key path of every problem", () => {
    const found = issues({
      business_hours: { "mon-fry": "07:00-19:00", sat: "12:00-08:00" },
      holidays: ["2026-02-30", "Christmas"],
      sensors: [
        { id: "Server Room", input: { mqtt: { topic: "zigbee2mqtt/#" } } },
        { id: "a", input: { gpio: { chip: "gpiochip0", line: -1, debounce: "1h" } } },
        { id: "a", input: { webhook: { secret_file: "lobby.key" } } },
        { id: "g", input: { mqtt: { topic: "x/y", format: "generic" } } },
        { id: "h", input: { mqtt: { topic: "x/z" } }, colour: "red" },
        { id: "i", held_open_after: "soon", input: { carrier_pigeon: {} } },
      ],
    });
    const text = found.join("\n");
    expect(text).toContain("business_hours.mon-fry: expected days like mon-fri");
    expect(text).toContain("business_hours.sat: expected hours like");
    expect(text).toContain("holidays.0: expected a date");
    expect(text).toContain("holidays.1: expected a date");
    expect(text).toContain("sensors.0.id: expected a lowercase id");
    expect(text).toContain("sensors.0.input.mqtt.topic: expected a plain topic without wildcards (+, #)");
    expect(text).toContain("sensors.1.input.gpio.line: Too small: expected number to be >=0");
    expect(text).toContain('sensors.1.input.gpio.debounce: expected a debounce like 50ms or 0.2s (at most 10s), got "1h"');
    expect(text).toContain("sensors.2.input.webhook.secret_file: expected an absolute path to a file holding the secret");
    expect(text).toContain("sensors.5.input.carrier_pigeon: unknown key");
    expect(text).toContain("sensors.4.colour: unknown key");
    expect(text).toContain("sensors.5.held_open_after: expected a duration");
  });

  it("an input needs exactly one kind", () => {
    expect(issues({ sensors: [{ id: "a", input: {} }, { id: "b", input: { webhook: { secret_file: "/k" }, gpio: { chip: "gpiochip0", line: 1 } } }] })).toEqual([
      "sensors.0.input: expected exactly one input: mqtt, gpio or webhook",
      "sensors.1.input: expected exactly one input: mqtt, gpio or webhook (got gpio, webhook)",
    ]);
  });

  it("duplicate ids and generic without open_when are refused after the shape is valid", () => {
    expect(
      issues({
        sensors: [
          { id: "a", input: { webhook: { secret_file: "/k" } } },
          { id: "a", input: { mqtt: { topic: "x/y", format: "generic" } } },
        ],
      }),
    ).toEqual(['sensors.1.id: duplicate sensor id "a" (also sensors[0])', "sensors.1.input.mqtt.open_when: required for format generic (the value that means open)"]);
  });

  it("mqtt: URL scheme, secrets as absolute files, unknown keys", () => {
    expect(() => parseMqttConfig({ url: "http://x" })).toThrow(/url: expected mqtt/);
    expect(() => parseMqttConfig({ url: "mqtt://x", password: "hunter2" })).toThrow(/password: unknown key/);
    expect(() => parseMqttConfig({ url: "mqtt://x", password_file: "mqtt.pass" })).toThrow(/password_file: expected an absolute path/);
  });

  it("day and hour specs", () => {
    expect(parseDays("mon-fri")).toEqual([1, 2, 3, 4, 5]);
    expect(parseDays("fri-mon")).toEqual([0, 1, 5, 6]);
    expect(parseDays("sat,sun")).toEqual([0, 6]);
    expect(parseDays("weekdays")).toBeUndefined();
    expect(parseWindows("07:00-12:00, 13:00-24:00")).toEqual([
      { start: 420, end: 720 },
      { start: 780, end: 1440 },
    ]);
    expect(parseWindows("closed")).toEqual([]);
    for (const bad of ["7-19", "19:00-07:00", "07:00-07:00", "25:00-26:00", "07:60-08:00", "24:30-24:45", ""]) expect(parseWindows(bad)).toBeUndefined();
  });
});
