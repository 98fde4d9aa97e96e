/**
 * Building blocks every config owner (the agent, each monitor, doors, alerting) uses to
 * validate its part of the YAML once at start-up.
 */
import { z } from "zod";
import { ConfigError, type ConfigIssue } from "./config-errors.js";

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

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Parses `50ms`, `90s`, `2m`, `26h`, `3d`, `1w`, `1h30m` into milliseconds; undefined if malformed or zero. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (!/^(\d+(\.\d+)?(ms|[smhdw]))+$/.test(s)) return undefined;
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|[smhdw])/g)) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  return total > 0 ? total : undefined;
}

export interface DurationOptions {
  /** Accept `0` (number or string, with or without a unit): the feature is off. */
  allowZero?: boolean;
  /** Largest accepted value in milliseconds. */
  maxMs?: number;
  /** Accept a bare whole number as milliseconds (short timings such as a debounce). */
  numberIsMs?: boolean;
  /** What the error says is expected, e.g. "a debounce like 50ms or 0.2s". */
  expected?: string;
}

/**
 * A zod schema for a duration string such as `26h`; the output is milliseconds. Every config
 * owner uses this one parser, with options for zero ("off") and an upper bound.
 */
export const duration = (opts: DurationOptions = {}) =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const text = String(v).trim();
    const zero = opts.allowZero && /^0+(\.0+)?(ms|[smhdw])?$/.test(text);
    const ms = zero
      ? 0
      : typeof v === "number"
        ? opts.numberIsMs && Number.isInteger(v) && v >= 0
          ? v
          : undefined
        : parseDuration(text);
    if (ms === undefined || (opts.maxMs !== undefined && ms > opts.maxMs)) {
      ctx.addIssue({ code: "custom", message: `expected ${opts.expected ?? "a duration like 90s, 2m, 26h or 3d"}, got "${text}"` });
      return z.NEVER;
    }
    return ms;
  });

/** A zod schema for a `*_file` key: an absolute path to a file holding a secret. */
export const secretFile = () =>
  z.string().refine((s) => s.startsWith("/"), { message: "expected an absolute path to a file holding the secret" });

/** `it@example.org`, or `IT desk <it@example.org>`: one mail address, no list, no spaces in it. */
const MAIL_ADDRESS = /^(?:[^<>"\r\n]*<)?[^\s@<>,;"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?:>)?$/;

/** A zod schema for one email address (a recipient or a sender), refused with its value named. */
export const emailAddress = () =>
  z.string().refine((s) => MAIL_ADDRESS.test(s.trim()) && s.includes("<") === s.trim().endsWith(">"), {
    error: (i) => `expected an email address such as it@example.org, got ${JSON.stringify(i.input)}`,
  });

/** `host:port`, with an IPv6 host in brackets. */
export const hostPort = () =>
  z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, { message: "expected host:port" });
