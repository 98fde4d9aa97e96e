/**
 * The `doors` and `mqtt` sections. Owned by the door engine.
 */
import { z } from "zod";
import { parseWith, secretFile } from "../config/helpers.js";

const doorsSchema = z
  .strictObject({
    business_hours: z.record(z.string(), z.string()).default({}),
    sensors: z.array(z.unknown()).default([]),
  })
  .default({ business_hours: {}, sensors: [] });

const mqttSchema = z
  .strictObject({
    url: z.string().regex(/^mqtts?:\/\//, { message: "expected mqtt:// or mqtts:// URL" }),
    username: z.string().optional(),
    password_file: secretFile().optional(),
    ca_file: secretFile().optional(),
  })
  .optional();

export type DoorsConfig = z.output<typeof doorsSchema>;
export type MqttConfig = NonNullable<z.output<typeof mqttSchema>>;

/** Validates the raw `doors` value (undefined when absent). */
export function parseDoorsConfig(raw: unknown): DoorsConfig {
  return parseWith(doorsSchema, raw);
}

/** Validates the raw `mqtt` value (undefined when absent). */
export function parseMqttConfig(raw: unknown): MqttConfig | undefined {
  return parseWith(mqttSchema, raw);
}
