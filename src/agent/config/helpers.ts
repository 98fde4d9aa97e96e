/**
 * Building blocks every config owner (the agent, each monitor, doors, alerting) uses to
 * validate its part of the YAML once at start-up.
 */
import { z } from "zod";
import { ConfigError, type ConfigIssue } from "./errors.js";

/** Parses `raw` with a zod schema, turning its issues into a ConfigError with key paths. */
export function parseWith<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  throw new ConfigError(r.error.issues.flatMap(zodIssues));
}

function zodIssues(i: z.core.$ZodIssue): ConfigIssue[] {
  const path = i.path.map((p) => (typeof p === "symbol" ? String(p) : p));
  if (i.code === "unrecognized_keys") {
    // One issue per key, pointing at the key itself so the loader can name its line.
    return i.keys.map((k) => ({ path: [...path, k], message: "unknown key" }));
  }
  if (i.code === "invalid_value") {
    return [{ path, message: `expected one of ${i.values.map(String).join(", ")}` }];
  }
  if (i.code === "invalid_type" && i.message.includes("received undefined")) {
    return [{ path, message: `required (expected ${i.expected})` }];
  }
  return [{ path, message: i.message }];
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Parses `90s`, `2m`, `26h`, `3d`, `1w`, `1h30m` into milliseconds; undefined if malformed. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (!/^(\d+(\.\d+)?[smhdw])+$/.test(s)) return undefined;
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)([smhdw])/g)) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  return total > 0 ? total : undefined;
}

/** A zod schema for a duration string such as `26h`; the output is milliseconds. */
export const duration = () =>
  z.string().transform((s, ctx) => {
    const ms = parseDuration(s);
    if (ms === undefined) {
      ctx.addIssue({ code: "custom", message: `expected a duration like 90s, 2m, 26h or 3d, got "${s}"` });
      return z.NEVER;
    }
    return ms;
  });

/** A zod schema for a `*_file` key: an absolute path to a file holding a secret. */
export const secretFile = () =>
  z.string().refine((s) => s.startsWith("/"), { message: "expected an absolute path to a file holding the secret" });

/** A 5- or 6-field cron expression (validated by node-cron at scheduling time too). */
export const cronExpression = () =>
  z.string().regex(/^\s*(\S+\s+){4,5}\S+\s*$/, { message: "expected a cron expression like \"*/5 * * * *\"" });

/** `host:port`, with an IPv6 host in brackets. */
export const hostPort = () =>
  z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, { message: "expected host:port" });
