/**
 * Config of the accounts monitor. Every file it reads resolves under `root`, so tests (and a
 * container watching its host's mounted /etc) point it at another tree.
 */
import { z } from "zod";
import { parseWith } from "../../kit/config-schema.js";

/** Names that usually mean a login shared by several people. */
export const DEFAULT_GENERIC_NAMES = [
  "admin",
  "office",
  "frontdesk",
  "reception",
  "staff",
  "guest",
  "test",
  "user",
  "shared",
  "temp",
  "support",
] as const;

export interface AccountsConfig {
  maxPasswordAgeDays: number;
  inactiveDays: number;
  sudoAllow: string[];
  genericNames: string[];
  root: string;
  /** From config; when undefined the probe reads UID_MIN from login.defs (else 1000). */
  uidMin?: number;
}

const userName = () => z.string().regex(/^[A-Za-z0-9_.][A-Za-z0-9_.$-]*$/, { message: "expected a user name" });

const schema = z.strictObject({
  max_password_age_days: z.number().int().positive().default(180),
  inactive_days: z.number().int().positive().default(90),
  sudo_allow: z.array(userName()).default([]),
  generic_names: z.array(z.string().min(1)).default([...DEFAULT_GENERIC_NAMES]),
  root: z.string().refine((s) => s.startsWith("/"), { message: "expected an absolute path" }).default("/"),
  uid_min: z.number().int().min(1).optional(),
});

/** Validates `monitors.accounts`; an absent key means all defaults. */
export function parseAccountsConfig(raw: unknown): AccountsConfig {
  const c = parseWith(schema, raw ?? {});
  return {
    maxPasswordAgeDays: c.max_password_age_days,
    inactiveDays: c.inactive_days,
    sudoAllow: c.sudo_allow,
    genericNames: c.generic_names.map((n) => n.toLowerCase()),
    root: c.root,
    ...(c.uid_min !== undefined ? { uidMin: c.uid_min } : {}),
  };
}
