/**
 * The `alerts` section: lifecycle timing (reminders, flap damping, grouping), delivery channels
 * with their routing (minimum severity, controls), heartbeat and daily digest. Owned by the
 * alerting code; validated once at start-up.
 */
import { z } from "zod";
import { CONTROL_IDS } from "../../monitors/monitor.js";
import { ConfigError, type ConfigIssue } from "../../kit/config-errors.js";
import { duration, emailAddress, parseWith, secretFile } from "../../kit/config-schema.js";
import type { Severity } from "./transitions.js";

const severity = z.enum(["info", "warning", "critical"]);
/** Which controls a channel wants; absent = all of them. */
const controls = z.array(z.enum(CONTROL_IDS)).min(1).optional();
const channelName = z.string().regex(/^[a-z][a-z0-9_-]{0,39}$/, { message: "expected a short lower-case name like it-team" });

/** A duration that may also be 0 (turns the feature off). */
const durationOrZero = () => duration({ allowZero: true, expected: "a duration like 30s, 10m or 0" });

const smtp = z.strictObject({
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
});

const email = z.strictObject({
  name: channelName.optional(),
  smtp,
  from: emailAddress(),
  to: z.array(emailAddress()).min(1),
  min_severity: severity.default("warning"),
  controls,
});

const httpUrl = () => z.url({ protocol: /^https?$/, error: "expected an http:// or https:// URL" });

/** Exactly one of `url` and `url_file` (chat and ping URLs often are the credential). */
function oneUrl(v: { url?: string | undefined; url_file?: string | undefined }, ctx: z.core.$RefinementCtx): void {
  if ((v.url === undefined) === (v.url_file === undefined)) {
    ctx.addIssue({ code: "custom", path: ["url"], message: "set exactly one of url or url_file (a file holding the URL, when the URL itself is the secret)" });
  }
}

const webhook = z
  .strictObject({
    name: channelName.optional(),
    url: httpUrl().optional(),
    url_file: secretFile().optional(),
    /** HMAC key for X-Gatehouse-Signature. */
    secret_file: secretFile(),
    min_severity: severity.default("warning"),
    controls,
    timeout: duration().default(10_000),
  })
  .superRefine(oneUrl);

const FACILITIES = ["kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"] as const;

const syslog = z
  .strictObject({
    transport: z.enum(["udp", "tcp", "tls"]).default("udp"),
    host: z.string().min(1),
    /** Default 514 (udp, tcp) or 6514 (tls). */
    port: z.number().int().min(1).max(65535).optional(),
    facility: z.enum(FACILITIES).default("local0"),
    ca_file: secretFile().optional(),
    min_severity: severity.default("warning"),
    controls,
    timeout: duration().default(10_000),
  })
  .transform((s) => ({ ...s, port: s.port ?? (s.transport === "tls" ? 6514 : 514) }));

const heartbeat = z
  .strictObject({
    url: httpUrl().optional(),
    url_file: secretFile().optional(),
    every: duration()
      .default(5 * 60_000)
      .refine((ms) => ms >= 60_000, { message: "expected at least 1m" }),
    method: z.enum(["GET", "POST"]).default("GET"),
    timeout: duration().default(10_000),
  })
  .superRefine(oneUrl);

const digest = z.strictObject({
  /** Local time (config timezone) of the daily digest. */
  at: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'expected a time like "07:30"' }),
  /** Recipients; default: the first email group's. */
  to: z.array(emailAddress()).min(1).optional(),
});

/**
 * How long a notice waits for others to join it, per severity of its most severe item. A
 * critical notice (a door opened after hours, tamper, a firewall down) is an alarm and goes at
 * once by default; warnings and info wait so that a burst becomes one message.
 */
const GROUP_WAIT_DEFAULT = { critical: 0, warning: 30_000, info: 30_000 } as const;
const groupWaitMap = z.strictObject({
  critical: durationOrZero().default(GROUP_WAIT_DEFAULT.critical),
  warning: durationOrZero().default(GROUP_WAIT_DEFAULT.warning),
  info: durationOrZero().default(GROUP_WAIT_DEFAULT.info),
});
/** `group_wait: 30s` sets warning and info; critical stays 0 (only the map form can hold an alarm back). */
const groupWaitShort = durationOrZero().transform((ms) => ({ critical: 0, warning: ms, info: ms }));
const groupWait = z.unknown().transform((v, ctx) => {
  const r = (v !== null && typeof v === "object" ? groupWaitMap : groupWaitShort).safeParse(v);
  if (r.success) return r.data;
  for (const i of r.error.issues) ctx.addIssue(i as Parameters<typeof ctx.addIssue>[0]);
  return z.NEVER;
});

const schema = z
  .strictObject({
    renotify_after: duration().default(4 * 3_600_000),
    /** How long an open alert must stay good before it resolves (flap damping); 0 = at once. */
    flap_window: durationOrZero().default(10 * 60_000),
    /** How long a new notice waits so that others for the same channel join it, per severity. */
    group_wait: groupWait.default(GROUP_WAIT_DEFAULT),
    email: z.unknown().optional(),
    webhook: z.array(webhook).optional(),
    syslog: syslog.optional(),
    heartbeat: heartbeat.optional(),
    digest: digest.optional(),
  })
  .default({ renotify_after: 4 * 3_600_000, flap_window: 10 * 60_000, group_wait: { ...GROUP_WAIT_DEFAULT } });

/** One email recipient group, validated. */
export type EmailConfig = z.output<typeof email>;
/** One webhook, validated. */
export type WebhookConfig = z.output<typeof webhook>;
/** The syslog target, validated (port filled in). */
export type SyslogConfig = z.output<typeof syslog>;
/** The heartbeat ping, validated. */
export type HeartbeatConfig = z.output<typeof heartbeat>;
/** The daily digest, validated. */
export type DigestConfig = z.output<typeof digest>;
/** A syslog facility name. */
export type SyslogFacility = (typeof FACILITIES)[number];
/** Facility names in RFC 5424 code order (kern … ftp, then local0 … local7). */
export const SYSLOG_FACILITIES: readonly SyslogFacility[] = FACILITIES;

/** The validated section; `email` is always a list of recipient groups (possibly empty). */
export type AlertsConfig = Omit<z.output<typeof schema>, "email"> & { email: EmailConfig[] };

/** Group wait per severity (ms). */
export type GroupWait = Readonly<Record<Severity, number>>;

/** Timing knobs of the alert engine. */
export interface AlertPolicy {
  renotifyAfterMs: number;
  flapWindowMs: number;
  /** Per severity; a plain number applies to every severity (tests and benchmarks use 0). */
  groupWaitMs: number | GroupWait;
}

/** The documented defaults (used where no config is at hand, e.g. a bare `gatehouse check`). */
export const DEFAULT_POLICY: AlertPolicy = { renotifyAfterMs: 4 * 3_600_000, flapWindowMs: 10 * 60_000, groupWaitMs: GROUP_WAIT_DEFAULT };

/** How long a notice whose most severe item has severity `s` waits for others. */
export function groupWaitFor(policy: Pick<AlertPolicy, "groupWaitMs">, s: Severity): number {
  return typeof policy.groupWaitMs === "number" ? policy.groupWaitMs : policy.groupWaitMs[s];
}

/** The engine's timing from the config. */
export function alertPolicyOf(c: AlertsConfig): AlertPolicy {
  return { renotifyAfterMs: c.renotify_after, flapWindowMs: c.flap_window, groupWaitMs: c.group_wait };
}

/**
 * Validates the raw `alerts` value (undefined when absent). `email` may be one recipient group
 * or a list of them; every problem is reported with its key path.
 */
export function parseAlertsConfig(raw: unknown): AlertsConfig {
  const issues: ConfigIssue[] = [];
  let base: z.output<typeof schema> | undefined;
  try {
    base = parseWith(schema, raw);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    issues.push(...e.issues);
  }
  const rawEmail = (raw as { email?: unknown } | undefined)?.email;
  let groups: EmailConfig[] = [];
  if (rawEmail !== undefined && rawEmail !== null) {
    const list = Array.isArray(rawEmail) ? rawEmail : [rawEmail];
    if (list.length === 0) issues.push({ path: ["email"], message: "expected at least one recipient group" });
    groups = list.flatMap((g, i) => {
      try {
        return [parseWith(email, g)];
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        issues.push(...e.under(Array.isArray(rawEmail) ? ["email", i] : ["email"]).issues);
        return [];
      }
    });
  }
  if (base?.digest && rawEmail == null) issues.push({ path: ["digest"], message: "needs alerts.email (the digest is sent by email)" });
  if (issues.length > 0 || !base) throw new ConfigError(issues);
  const out: AlertsConfig = { ...base, email: groups };
  const names = channelNames(out);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new ConfigError([{ path: [], message: `two channels are named "${dup}"; give each a distinct name` }]);
  return out;
}

/** The channel names the config yields, in build order (email…, webhook…, syslog, digest). */
export function channelNames(c: AlertsConfig): string[] {
  return [
    ...c.email.map((g, i) => g.name ?? (c.email.length === 1 ? "email" : `email-${i + 1}`)),
    ...(c.webhook ?? []).map((w, i) => w.name ?? ((c.webhook?.length ?? 0) === 1 ? "webhook" : `webhook-${i + 1}`)),
    ...(c.syslog ? ["syslog"] : []),
    ...(c.digest ? ["digest"] : []),
  ];
}
