/**
 * The `doors` and `mqtt` sections. Owned by the door engine. Validated once at start-up; every
 * problem names its key path (`doors.sensors[1].input.gpio.line`).
 */
import { z } from "zod";
import { duration, parseWith, secretFile } from "../../kit/config-schema.js";

export const DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;
export type DayName = (typeof DAY_NAMES)[number];

/** One opening window of a day, in minutes after local midnight; end is exclusive (24:00 = 1440). */
export interface Window {
  start: number;
  end: number;
}

/** Business hours by day of week (0 = Sunday … 6 = Saturday); a day absent is closed. */
export type WeekHours = Window[][];

const dayIndex = (d: string) => DAY_NAMES.indexOf(d as DayName);

/** `mon-fri`, `sat`, `sat,sun`, `mon-wed,fri` → day indexes; undefined if malformed. */
export function parseDays(spec: string): number[] | undefined {
  const out = new Set<number>();
  for (const part of spec.toLowerCase().split(",").map((s) => s.trim())) {
    const m = /^([a-z]{3})(?:-([a-z]{3}))?$/.exec(part);
    if (!m) return undefined;
    const a = dayIndex(m[1]!);
    const b = m[2] ? dayIndex(m[2]) : a;
    if (a < 0 || b < 0) return undefined;
    // A range wraps over the week end (fri-mon).
    for (let d = a; ; d = (d + 1) % 7) {
      out.add(d);
      if (d === b) break;
    }
  }
  return [...out].sort();
}

/** `07:00-19:00` (also `07:00-12:00, 13:00-19:00`, `closed`) → windows; undefined if malformed. */
export function parseWindows(spec: string): Window[] | undefined {
  const s = spec.trim().toLowerCase();
  if (s === "closed") return [];
  const out: Window[] = [];
  for (const part of s.split(",").map((p) => p.trim())) {
    const m = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(part);
    if (!m) return undefined;
    const [h1, m1, h2, m2] = [m[1], m[2], m[3], m[4]].map(Number) as [number, number, number, number];
    if (h1 > 23 || m1 > 59 || m2 > 59 || h2 > 24 || (h2 === 24 && m2 !== 0)) return undefined;
    const start = h1 * 60 + m1;
    const end = h2 * 60 + m2;
    if (end <= start) return undefined;
    out.push({ start, end });
  }
  return out;
}

const businessHours = z
  .record(z.string(), z.string())
  .default({})
  .transform((rec, ctx) => {
    const week: WeekHours = [[], [], [], [], [], [], []];
    for (const [daysSpec, hoursSpec] of Object.entries(rec)) {
      const days = parseDays(daysSpec);
      if (!days) {
        ctx.addIssue({ code: "custom", path: [daysSpec], message: `expected days like mon-fri, sat or sat,sun, got "${daysSpec}"` });
        continue;
      }
      const windows = parseWindows(hoursSpec);
      if (!windows) {
        ctx.addIssue({ code: "custom", path: [daysSpec], message: `expected hours like "07:00-19:00" (end after start; 24:00 allowed) or "closed", got "${hoursSpec}"` });
        continue;
      }
      for (const d of days) week[d]!.push(...windows);
    }
    return week;
  });

const isoDate = z.string().refine((s) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), {
  message: "expected a date like 2026-12-25",
});

/** Milliseconds: a number (ms) or a duration such as `50ms`, `0.2s`, `1s`; 0 turns debounce off. */
const shortDuration = () =>
  duration({ allowZero: true, numberIsMs: true, maxMs: 10_000, expected: "a debounce like 50ms or 0.2s (at most 10s)" });

const scalar = z.union([z.string(), z.number(), z.boolean()]);

const mqttInput = z.strictObject({
  topic: z
    .string()
    .min(1)
    .max(512)
    .refine((t) => !/[#+\u0000]/.test(t), { message: "expected a plain topic without wildcards (+, #)" }),
  format: z.enum(["zigbee2mqtt", "shelly", "generic"]).default("zigbee2mqtt"),
  /** JSON field holding the contact value (zigbee2mqtt: contact; generic: absent = raw payload). */
  field: z.string().min(1).max(100).optional(),
  /** The value that means "open" (zigbee2mqtt: false, i.e. no contact; shelly: "open"). */
  open_when: scalar.optional(),
});

const gpioInput = z.strictObject({
  chip: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, { message: "expected a chip name or number such as gpiochip0" }),
  line: z.number().int().min(0).max(1023),
  /** Invert the line: with active_low the door is open when the line reads 0. */
  active_low: z.boolean().default(false),
  debounce: shortDuration().default(50),
});

const webhookInput = z.strictObject({ secret_file: secretFile() });

type InputConfig = { mqtt: z.output<typeof mqttInput> } | { gpio: z.output<typeof gpioInput> } | { webhook: z.output<typeof webhookInput> };

// One object with three optional keys rather than a union, so an error names the exact key
// (`input.gpio.line`) instead of "no union member matched".
const input = z
  .strictObject({ mqtt: mqttInput.optional(), gpio: gpioInput.optional(), webhook: webhookInput.optional() })
  .transform((v, ctx): InputConfig => {
    const present = (["mqtt", "gpio", "webhook"] as const).filter((k) => v[k] !== undefined);
    if (present.length !== 1) {
      ctx.addIssue({ code: "custom", message: `expected exactly one input: mqtt, gpio or webhook${present.length ? ` (got ${present.join(", ")})` : ""}` });
      return z.NEVER;
    }
    if (v.mqtt) return { mqtt: v.mqtt };
    if (v.gpio) return { gpio: v.gpio };
    return { webhook: v.webhook! };
  });

const sensor = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, { message: "expected a lowercase id (a-z, 0-9, - and _), at most 64 characters" }),
  name: z.string().min(1).max(100).optional(),
  held_open_after: duration().optional(),
  offline_after: duration().optional(),
  /** after_hours: alarm when opened outside business hours; always: alarm whenever opened. */
  policy: z.enum(["after_hours", "always"]).default("after_hours"),
  input,
});

const doorsSchema = z
  .strictObject({
    business_hours: businessHours,
    holidays: z.array(isoDate).default([]),
    sensors: z.array(sensor).default([]),
  })
  .prefault({})
  .superRefine((d, ctx) => {
    const seen = new Map<string, number>();
    d.sensors.forEach((s, i) => {
      if (seen.has(s.id)) ctx.addIssue({ code: "custom", path: ["sensors", i, "id"], message: `duplicate sensor id "${s.id}" (also sensors[${seen.get(s.id)}])` });
      else seen.set(s.id, i);
      const m = "mqtt" in s.input ? s.input.mqtt : undefined;
      if (m?.format === "generic" && m.open_when === undefined) {
        ctx.addIssue({ code: "custom", path: ["sensors", i, "input", "mqtt", "open_when"], message: "required for format generic (the value that means open)" });
      }
      if (m?.format === "shelly" && m.field !== undefined) {
        ctx.addIssue({ code: "custom", path: ["sensors", i, "input", "mqtt", "field"], message: "not used with format shelly (the payload is open/close)" });
      }
    });
  });

const mqttSchema = z
  .strictObject({
    url: z.string().regex(/^mqtts?:\/\/[^/\s]+/, { message: "expected mqtt:// or mqtts:// URL" }),
    username: z.string().optional(),
    password_file: secretFile().optional(),
    ca_file: secretFile().optional(),
    /** Stable client id, so the broker keeps the QoS 1 session across reconnects. */
    client_id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
  })
  .optional();

export type DoorsConfig = z.output<typeof doorsSchema>;
export type MqttConfig = NonNullable<z.output<typeof mqttSchema>>;
export type SensorConfig = DoorsConfig["sensors"][number];
export type MqttInputConfig = z.output<typeof mqttInput>;
export type GpioInputConfig = z.output<typeof gpioInput>;
export type WebhookInputConfig = z.output<typeof webhookInput>;

/** What the doors read of the whole config: their own sections, the site's name and its clock. */
export interface DoorsSiteConfig {
  site: string;
  timezone: string;
  doors: DoorsConfig;
  mqtt: MqttConfig | undefined;
}

/** Which input a sensor uses. */
export function inputKind(s: SensorConfig): "mqtt" | "gpio" | "webhook" {
  return "mqtt" in s.input ? "mqtt" : "gpio" in s.input ? "gpio" : "webhook";
}

/** Validates the raw `doors` value (undefined when absent). */
export function parseDoorsConfig(raw: unknown): DoorsConfig {
  return parseWith(doorsSchema, raw);
}

/** Validates the raw `mqtt` value (undefined when absent). */
export function parseMqttConfig(raw: unknown): MqttConfig | undefined {
  return parseWith(mqttSchema, raw);
}
