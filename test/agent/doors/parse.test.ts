/** Parsers of everything a door input receives: recorded payloads, then garbage. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  parseAvailability,
  parseGeneric,
  parseGpiogetOutput,
  parseGpiomonLine,
  parseLibgpiodVersion,
  parseShellyBattery,
  parseShellyOnline,
  parseShellyState,
  parseWebhookBody,
  parseZigbee2mqtt,
} from "../../../src/agent/doors/parse.js";

const FIX = join(import.meta.dirname, "../../fixtures/doors");
const bytes = (s: string) => new TextEncoder().encode(s);
const fixture = (p: string) => readFileSync(join(FIX, p));
const z2m = { field: "contact", open_when: false } as const;

describe("zigbee2mqtt", () => {
  it.each([
    ["mqtt/zigbee2mqtt-aqara-mccgq11lm.json", { state: "open", battery: 100 }],
    ["mqtt/zigbee2mqtt-sonoff-snzb04.json", { state: "closed", battery: 91, batteryLow: false, tamper: false }],
    ["mqtt/zigbee2mqtt-battery-only.json", { battery: 12, batteryLow: true }],
  ])("%s", (file, expected) => {
    expect(parseZigbee2mqtt(fixture(file), z2m)).toEqual({ ok: true, value: expected });
  });

  it("defaults to field contact, open_when false; tamper parsed", () => {
    expect(parseZigbee2mqtt(bytes('{"contact":false,"tamper":true}'), {})).toEqual({ ok: true, value: { state: "open", tamper: true } });
  });

  it.each([
    ["not JSON", "contact=false"],
    ["a JSON array", "[false]"],
    ["JSON null", "null"],
    ["a string contact", '{"contact":"false"}'],
    ["a numeric contact", '{"contact":0}'],
    ["a string tamper", '{"contact":true,"tamper":"yes"}'],
    ["battery over 100", '{"contact":true,"battery":250}'],
    ["battery as text", '{"contact":true,"battery":"91"}'],
    ["linkquality as text", '{"contact":true,"linkquality":"good"}'],
    ["truncated JSON", '{"contact":tr'],
    ["empty payload", ""],
  ])("refuses %s", (_name, payload) => {
    expect(parseZigbee2mqtt(bytes(payload), z2m).ok).toBe(false);
  });

  it("refuses invalid UTF-8", () => {
    expect(parseZigbee2mqtt(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), z2m)).toEqual({ ok: false, reason: "not UTF-8" });
  });

  it("availability: plain and JSON forms; garbage refused", () => {
    expect(parseAvailability(bytes("online"))).toEqual({ ok: true, value: { online: true } });
    expect(parseAvailability(bytes("offline"))).toEqual({ ok: true, value: { online: false } });
    expect(parseAvailability(bytes('{"state":"online"}'))).toEqual({ ok: true, value: { online: true } });
    expect(parseAvailability(bytes('{"state":"offline"}'))).toEqual({ ok: true, value: { online: false } });
    for (const g of ["ONLINE", '{"state":true}', "1", "", '{"online":true}']) expect(parseAvailability(bytes(g)).ok).toBe(false);
  });
});

describe("Shelly", () => {
  it("state open/close, battery, online", () => {
    expect(parseShellyState(bytes("open"))).toEqual({ ok: true, value: { state: "open" } });
    expect(parseShellyState(bytes("close"))).toEqual({ ok: true, value: { state: "closed" } });
    expect(parseShellyBattery(bytes("87"))).toEqual({ ok: true, value: { battery: 87 } });
    expect(parseShellyOnline(bytes("false"))).toEqual({ ok: true, value: { online: false } });
    for (const g of ["OPEN", "opened", "1", "", '{"state":"open"}']) expect(parseShellyState(bytes(g)).ok).toBe(false);
    for (const g of ["-1", "101", "abc", ""]) expect(parseShellyBattery(bytes(g)).ok).toBe(false);
    for (const g of ["yes", ""]) expect(parseShellyOnline(bytes(g)).ok).toBe(false);
  });
});

describe("generic", () => {
  it("a JSON field compared with open_when, keeping its type", () => {
    expect(parseGeneric(bytes('{"door":"OPEN"}'), { field: "door", open_when: "OPEN" })).toEqual({ ok: true, value: { state: "open" } });
    expect(parseGeneric(bytes('{"door":"SHUT"}'), { field: "door", open_when: "OPEN" })).toEqual({ ok: true, value: { state: "closed" } });
    expect(parseGeneric(bytes('{"in":1}'), { field: "in", open_when: 1 })).toEqual({ ok: true, value: { state: "open" } });
    expect(parseGeneric(bytes('{"in":"1"}'), { field: "in", open_when: 1 })).toEqual({ ok: false, reason: "in is a string, expected a number" });
    expect(parseGeneric(bytes('{"other":1}'), { field: "in", open_when: 1 })).toEqual({ ok: false, reason: "in missing" });
  });
  it("the raw payload when no field is given", () => {
    expect(parseGeneric(bytes("ON\n"), { open_when: "ON" })).toEqual({ ok: true, value: { state: "open" } });
    expect(parseGeneric(bytes("OFF"), { open_when: "ON" })).toEqual({ ok: true, value: { state: "closed" } });
    expect(parseGeneric(bytes("1"), { open_when: 1 })).toEqual({ ok: true, value: { state: "open" } });
    expect(parseGeneric(bytes(""), { open_when: "ON" }).ok).toBe(false);
    expect(parseGeneric(bytes("x".repeat(300)), { open_when: "ON" }).ok).toBe(false);
  });
});

describe("libgpiod output", () => {
  it.each(["gpiomon-v1/door-cycle", "gpiomon-v2/door-cycle", "gpiomon-v2/named-line"])("%s", (name) => {
    const lines = readFileSync(join(FIX, "gpio", `${name}.txt`), "utf8").split("\n").filter(Boolean);
    const expected = JSON.parse(readFileSync(join(FIX, "gpio", `${name}.expected.json`), "utf8"));
    expect(lines.map((l) => parseGpiomonLine(l))).toEqual(expected.map((value: unknown) => ({ ok: true, value })));
  });

  it.each([
    "",
    "event: SIDEWAYS EDGE offset: 17 timestamp: [1.2]",
    "event:  RISING EDGE offset: x timestamp: [1764298245.118374560]",
    "1764298245.118374560\tup\tgpiochip0 17",
    "gpiomon: error waiting for events",
    "\u0000\u0001\u0002",
    "rising",
  ])("refuses gpiomon line %j", (line) => {
    expect(parseGpiomonLine(line).ok).toBe(false);
  });

  it.each([
    ["v1-high.txt", 1],
    ["v1-low.txt", 0],
    ["v2-active.txt", 1],
    ["v2-inactive.txt", 0],
    ["v2-named-inactive.txt", 0],
  ] as const)("gpioget %s", (file, level) => {
    expect(parseGpiogetOutput(readFileSync(join(FIX, "gpio/gpioget", file), "utf8"))).toEqual({ ok: true, value: level });
  });

  it("gpioget garbage and tool versions", () => {
    for (const g of ["", "2", "high", "17=maybe", "0 1"]) expect(parseGpiogetOutput(g).ok).toBe(false);
    expect(parseLibgpiodVersion(readFileSync(join(FIX, "gpio/version-v1.txt"), "utf8"))).toBe(1);
    expect(parseLibgpiodVersion(readFileSync(join(FIX, "gpio/version-v2.txt"), "utf8"))).toBe(2);
    expect(parseLibgpiodVersion("gpiomon 3")).toBeUndefined();
  });
});

describe("webhook body", () => {
  it("state with optional extras", () => {
    expect(parseWebhookBody('{"id":"evt-1","state":"open"}')).toEqual({ ok: true, value: { id: "evt-1", signal: { state: "open" } } });
    expect(parseWebhookBody('{"id":"evt-2","state":"closed","tamper":false,"battery":80,"battery_low":false,"online":true}')).toEqual({
      ok: true,
      value: { id: "evt-2", signal: { state: "closed", online: true, tamper: false, battery: 80, batteryLow: false } },
    });
  });
  it.each([
    ["not JSON", "state=open"],
    ["no id", '{"state":"open"}'],
    ["numeric id", '{"id":5,"state":"open"}'],
    ["id with spaces", '{"id":"a b","state":"open"}'],
    ["bad state", '{"id":"a","state":"ajar"}'],
    ["nothing to report", '{"id":"a"}'],
    ["unknown field", '{"id":"a","state":"open","__proto__":{"x":1}}'],
    ["string tamper", '{"id":"a","tamper":"no"}'],
    ["array", "[]"],
  ])("refuses %s", (_n, body) => {
    expect(parseWebhookBody(body).ok).toBe(false);
  });
});
