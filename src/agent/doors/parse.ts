/**
 * Pure parsers for everything a door input receives from outside: MQTT payloads (zigbee2mqtt,
 * Shelly, generic), availability messages, libgpiod tool output (v1 and v2) and webhook bodies.
 * Each returns a signal or a reason for refusing; none throws.
 */
import type { MqttInputConfig } from "./config.js";
import type { DoorSignal } from "./transitions.js";

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = (reason: string): Parsed<never> => ({ ok: false, reason });

/** Largest MQTT payload or webhook body accepted (a real sensor message is a few hundred bytes). */
export const MAX_PAYLOAD_BYTES = 8 * 1024;

function decodeUtf8(payload: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(payload);
  } catch {
    return undefined;
  }
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Optional typed fields of a zigbee2mqtt contact sensor message. */
function zigbeeExtras(o: Record<string, unknown>): Parsed<DoorSignal> {
  const s: DoorSignal = {};
  if (o.tamper !== undefined && o.tamper !== null) {
    if (typeof o.tamper !== "boolean") return bad("tamper is not a boolean");
    s.tamper = o.tamper;
  }
  if (o.battery_low !== undefined && o.battery_low !== null) {
    if (typeof o.battery_low !== "boolean") return bad("battery_low is not a boolean");
    s.batteryLow = o.battery_low;
  }
  if (o.battery !== undefined && o.battery !== null) {
    if (typeof o.battery !== "number" || !Number.isFinite(o.battery) || o.battery < 0 || o.battery > 100) return bad("battery is not a percentage");
    s.battery = o.battery;
  }
  if (o.linkquality !== undefined && o.linkquality !== null && (typeof o.linkquality !== "number" || !Number.isFinite(o.linkquality))) {
    return bad("linkquality is not a number");
  }
  return ok(s);
}

/**
 * A zigbee2mqtt device message, e.g. `{"contact":false,"tamper":false,"battery":91,
 * "battery_low":false,"linkquality":120,"voltage":3000}`. `contact: true` means the magnet is
 * near, i.e. closed; `open_when` (default false) says which value of `field` means open.
 * A message without the field (a battery report) carries no state.
 */
export function parseZigbee2mqtt(payload: Uint8Array, cfg: Pick<MqttInputConfig, "field" | "open_when">): Parsed<DoorSignal> {
  const text = decodeUtf8(payload);
  if (text === undefined) return bad("not UTF-8");
  const o = parseJsonObject(text);
  if (!o) return bad("not a JSON object");
  const field = cfg.field ?? "contact";
  const openWhen = cfg.open_when ?? false;
  const extras = zigbeeExtras(o);
  if (!extras.ok) return extras;
  const v = o[field];
  if (v === undefined || v === null) return ok(extras.value);
  if (typeof v !== typeof openWhen) return bad(`${field} is a ${typeof v}, expected a ${typeof openWhen}`);
  return ok({ ...extras.value, state: v === openWhen ? "open" : "closed" });
}

/** Shelly Door/Window `shellies/<id>/sensor/state`: `open` or `close`. */
export function parseShellyState(payload: Uint8Array): Parsed<DoorSignal> {
  const text = decodeUtf8(payload)?.trim();
  if (text === "open") return ok({ state: "open" });
  if (text === "close" || text === "closed") return ok({ state: "closed" });
  return bad("expected open or close");
}

/** Shelly `shellies/<id>/sensor/battery`: a percentage. */
export function parseShellyBattery(payload: Uint8Array): Parsed<DoorSignal> {
  const text = decodeUtf8(payload)?.trim() ?? "";
  if (!/^\d{1,3}(\.\d+)?$/.test(text) || Number(text) > 100) return bad("battery is not a percentage");
  return ok({ battery: Number(text) });
}

/** Shelly `shellies/<id>/online`: `true` / `false`. */
export function parseShellyOnline(payload: Uint8Array): Parsed<DoorSignal> {
  const text = decodeUtf8(payload)?.trim();
  if (text === "true") return ok({ online: true });
  if (text === "false") return ok({ online: false });
  return bad("expected true or false");
}

/**
 * zigbee2mqtt `<topic>/availability`: `online`/`offline` (legacy plain text) or
 * `{"state":"online"}` (zigbee2mqtt 1.25+).
 */
export function parseAvailability(payload: Uint8Array): Parsed<DoorSignal> {
  const text = decodeUtf8(payload)?.trim();
  if (text === undefined) return bad("not UTF-8");
  if (text === "online") return ok({ online: true });
  if (text === "offline") return ok({ online: false });
  const o = parseJsonObject(text);
  if (o?.state === "online") return ok({ online: true });
  if (o?.state === "offline") return ok({ online: false });
  return bad("expected online, offline or {\"state\":\"online\"}");
}

/**
 * Generic: with `field`, the JSON field's value is compared with `open_when`; without it, the
 * raw payload (trimmed text) is. Anything else means closed, but a value of the wrong type
 * (`"true"` where `true` is expected) is refused.
 */
export function parseGeneric(payload: Uint8Array, cfg: Pick<MqttInputConfig, "field" | "open_when">): Parsed<DoorSignal> {
  const text = decodeUtf8(payload);
  if (text === undefined) return bad("not UTF-8");
  const openWhen = cfg.open_when!;
  if (cfg.field) {
    const o = parseJsonObject(text);
    if (!o) return bad("not a JSON object");
    const v = o[cfg.field];
    if (v === undefined || v === null) return bad(`${cfg.field} missing`);
    if (typeof v !== typeof openWhen) return bad(`${cfg.field} is a ${typeof v}, expected a ${typeof openWhen}`);
    return ok({ state: v === openWhen ? "open" : "closed" });
  }
  const raw = text.trim();
  if (raw.length === 0 || raw.length > 256) return bad("empty or overlong value");
  return ok({ state: raw === String(openWhen) ? "open" : "closed" });
}

// ---------------------------------------------------------------------------------------------
// libgpiod command-line tools

export type GpioEdge = { level: 0 | 1; offset?: number; timestamp?: string };

/**
 * One line of `gpiomon` output, either format:
 * - v1 (libgpiod 1.x): `event:  RISING EDGE offset: 17 timestamp: [1764316800.123456789]`
 * - v2 (libgpiod 2.x): `1764316800.123456789\trising\tgpiochip0 17` (or `…\t"GPIO17"`)
 * A rising edge means the line went to 1.
 */
export function parseGpiomonLine(line: string): Parsed<GpioEdge> {
  const s = line.trim();
  const v1 = /^event:\s+(RISING|FALLING) EDGE offset:\s*(\d+) timestamp:\s*\[\s*(\d+\.\d+)\]$/.exec(s);
  if (v1) return ok({ level: v1[1] === "RISING" ? 1 : 0, offset: Number(v1[2]), timestamp: v1[3]! });
  const v2 = /^(\d+\.\d+)\s+(rising|falling)(?:\s+(.*))?$/.exec(s);
  if (v2) {
    const id = /(?:^|\s)(\d+)$/.exec(v2[3] ?? "");
    return ok({ level: v2[2] === "rising" ? 1 : 0, ...(id ? { offset: Number(id[1]) } : {}), timestamp: v2[1]! });
  }
  return bad("not a gpiomon event line");
}

/**
 * `gpioget` output for one line: v1 prints `0` or `1`; v2 prints `"17"=active` /
 * `17=inactive` (or `0`/`1` with --numeric). Active means 1.
 */
export function parseGpiogetOutput(text: string): Parsed<0 | 1> {
  const s = text.trim();
  const m = /^(?:(?:"[^"]*"|\S+)=)?(0|1|active|inactive)$/.exec(s);
  if (!m) return bad("not a gpioget value");
  return ok(m[1] === "1" || m[1] === "active" ? 1 : 0);
}

/** `gpiomon (libgpiod) v1.6.3` → 1; `gpiomon (libgpiod) v2.1` → 2. */
export function parseLibgpiodVersion(text: string): 1 | 2 | undefined {
  const m = /\(libgpiod\)\s+v?(\d+)\./.exec(text);
  if (!m) return undefined;
  return m[1] === "1" ? 1 : Number(m[1]) >= 2 ? 2 : undefined;
}

// ---------------------------------------------------------------------------------------------
// Webhook body

export interface WebhookEvent {
  /** The sender's unique event id (replays of it are refused). */
  id: string;
  signal: DoorSignal;
}

/**
 * `{"id":"evt-123","state":"open"}` with optional `tamper` (boolean), `battery` (0-100),
 * `battery_low` (boolean), `online` (boolean). At least one of those must be present.
 */
export function parseWebhookBody(text: string): Parsed<WebhookEvent> {
  const o = parseJsonObject(text);
  if (!o) return bad("not a JSON object");
  const known = new Set(["id", "state", "tamper", "battery", "battery_low", "online", "at"]);
  for (const k of Object.keys(o)) if (!known.has(k)) return bad(`unknown field ${k.slice(0, 40)}`);
  if (typeof o.id !== "string" || !/^[A-Za-z0-9._:-]{1,128}$/.test(o.id)) return bad("id must be a string of 1-128 characters (A-Z a-z 0-9 . _ : -)");
  const signal: DoorSignal = {};
  if (o.state !== undefined) {
    if (o.state === "open") signal.state = "open";
    else if (o.state === "closed" || o.state === "close") signal.state = "closed";
    else return bad("state must be open or closed");
  }
  if (o.online !== undefined) {
    if (typeof o.online !== "boolean") return bad("online must be a boolean");
    signal.online = o.online;
  }
  const extras = zigbeeExtras(o);
  if (!extras.ok) return extras;
  Object.assign(signal, extras.value);
  if (Object.keys(signal).length === 0) return bad("nothing to report (state, tamper, battery, battery_low or online)");
  return ok({ id: o.id, signal });
}
