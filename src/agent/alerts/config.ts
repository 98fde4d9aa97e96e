/**
 * The `alerts` section: reminder cadence and delivery channels. Owned by the alerting code.
 */
import { z } from "zod";
import { duration, parseWith, secretFile } from "../config/helpers.js";

const email = z.strictObject({
  smtp: z.strictObject({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(587),
    /** STARTTLS upgrade on a plain port, or TLS from the first byte (port 465). */
    tls: z.enum(["starttls", "implicit"]).optional(),
    /** Refuse to send over an unencrypted connection (default true). */
    require_tls: z.boolean().default(true),
    user: z.string().min(1).optional(),
    password_file: secretFile().optional(),
    /** Extra CA to trust (a private mail relay's certificate). */
    ca_file: secretFile().optional(),
    connection_timeout: duration().default(10_000),
    greeting_timeout: duration().default(10_000),
    socket_timeout: duration().default(30_000),
  }),
  from: z.string().min(3),
  to: z.array(z.string().min(3)).min(1),
});

const schema = z
  .strictObject({
    renotify_after: duration().default(4 * 3_600_000),
    email: email.optional(),
  })
  .default({ renotify_after: 4 * 3_600_000 });

export type EmailConfig = z.output<typeof email>;
export type AlertsConfig = z.output<typeof schema>;

/** Validates the raw `alerts` value (undefined when absent). */
export function parseAlertsConfig(raw: unknown): AlertsConfig {
  return parseWith(schema, raw);
}
