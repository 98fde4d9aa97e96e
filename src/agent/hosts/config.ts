/**
 * The `hosts` section: the office computers that report through osquery. Owned by
 * src/agent/hosts; validated once at start-up with the same key-path errors as every section.
 * Absent section = the osquery endpoints are off (404) and no host is judged.
 */
import { z } from "zod";
import { duration, parseWith, secretFile } from "../../kit/config-schema.js";

export interface HostsConfig {
  /** Absolute path of the file holding the shared enroll secret osqueryd posts once. */
  enrollSecretFile: string;
  /** A computer silent this long raises `hosts.offline` (like an offline door sensor). */
  offlineAfterMs: number;
  /** How often osqueryd runs the posture queries (seconds, as osquery's `interval`). */
  intervalSeconds: number;
  /** Anti-virus signatures older than this are failing. */
  maxSignatureAgeMs: number;
  /** Windows: no update installed for this long is failing. */
  maxUpdateAgeMs: number;
  /** Screen lock after at most this much idle time. */
  maxScreenLockMs: number;
  /** Local administrator accounts that are expected (IT's own); every other one is a finding. */
  allowedAdmins: string[];
  /** Most hosts one Gatehouse accepts (an office, not a fleet: larger sites keep Fleet). */
  maxHosts: number;
}

const schema = z.strictObject({
  enroll_secret_file: secretFile(),
  offline_after: duration({ maxMs: 60 * 86_400_000 }).default(3 * 86_400_000),
  interval: duration({ maxMs: 86_400_000 })
    .refine((ms) => ms >= 60_000, { message: "expected at least 1m" })
    .default(3_600_000),
  max_signature_age: duration().default(3 * 86_400_000),
  max_update_age: duration().default(35 * 86_400_000),
  max_screen_lock: duration({ maxMs: 86_400_000 }).default(15 * 60_000),
  allowed_admins: z.array(z.string().min(1).max(256)).max(100).default([]),
  max_hosts: z.number().int().min(1).max(2000).default(250),
});

/** Parses `hosts:`; undefined when the section is absent (osquery endpoints off). */
export function parseHostsConfig(raw: unknown): HostsConfig | undefined {
  if (raw === undefined || raw === null) return undefined;
  const c = parseWith(schema, raw);
  return {
    enrollSecretFile: c.enroll_secret_file,
    offlineAfterMs: c.offline_after,
    intervalSeconds: Math.round(c.interval / 1000),
    maxSignatureAgeMs: c.max_signature_age,
    maxUpdateAgeMs: c.max_update_age,
    maxScreenLockMs: c.max_screen_lock,
    allowedAdmins: c.allowed_admins,
    maxHosts: c.max_hosts,
  };
}
