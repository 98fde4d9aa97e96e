/**
 * osquery's TLS remote API on the console's HTTPS listener, under /osquery/: enroll, config,
 * distributed read/write and logger. Machine-to-machine: no session, no CSRF check (osqueryd is
 * not a browser); authentication is the enroll secret once, then the node key on every request.
 * Each endpoint has its own body limit, every body is validated, peers are rate limited, and
 * refusals are what osqueryd expects: `{"node_invalid": true}` (HTTP 200, as osquery's reference
 * server answers) for a wrong secret or an unknown node key — osqueryd then re-enrols — and
 * `{"error": …}` with 400/413/415/429 for bodies it must keep and retry.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { z } from "zod";
import { consoleUrl } from "../../agent/agent.js";
import { alertPolicyOf } from "../../agent/alerts/config.js";
import type { AlertContext } from "../../agent/alerts/engine.js";
import { appendAudit } from "../../agent/audit.js";
import type { HostsConfig } from "../../agent/hosts/config.js";
import { distributedWriteBody, enrollBody, enrollDetails, loggerBody, nodeBody, parseDistributedWrite, parseResultLines, type ParsedResults } from "../../agent/hosts/protocol.js";
import { osqueryConfig, queriesFor, SCHEDULE_PREFIX } from "../../agent/hosts/queries.js";
import { WindowLimiter } from "../../agent/hosts/rate-limit.js";
import { recordHost } from "../../agent/hosts/record.js";
import { hostSnapshot, saveResults } from "../../agent/hosts/results.js";
import { platformOf } from "../../agent/hosts/snapshot.js";
import {
  enrollHost,
  getHost,
  hostByNodeKey,
  markDistributedDone,
  markDistributedSent,
  setPlatform,
  type HostRow,
} from "../../agent/store/hosts.js";
import { peerAddress, type Web } from "../context.js";

export const OSQUERY_PREFIX = "/osquery";
/** The endpoint paths, as the generated flags file names them. */
export const OSQUERY_ENDPOINTS = {
  enroll: `${OSQUERY_PREFIX}/enroll`,
  config: `${OSQUERY_PREFIX}/config`,
  distributedRead: `${OSQUERY_PREFIX}/distributed/read`,
  distributedWrite: `${OSQUERY_PREFIX}/distributed/write`,
  logger: `${OSQUERY_PREFIX}/log`,
} as const;

const KB = 1024;
/** Body limits per endpoint: enrolment and polls are small; result batches can be large. */
export const OSQUERY_BODY_LIMITS = { enroll: 64 * KB, poll: 8 * KB, distributedWrite: 2048 * KB, logger: 4096 * KB } as const;
/** A distributed read handed out but never answered is handed out again after this long. */
const DISTRIBUTED_RETRY_MS = 10 * 60_000;
/** Shortest enroll secret accepted: a guessable secret lets anyone enrol a host. */
const MIN_SECRET = 16;

/** The alert engine's context for host findings, from the console's deps. */
export function hostAlertContext(web: Web): AlertContext {
  return { site: web.config.site, routes: web.routes, now: web.now(), consoleUrl: consoleUrl(web.config), policy: alertPolicyOf(web.config.alerts) };
}

type Parsed<S extends z.ZodType> = { ok: true; data: z.output<S> } | { ok: false; res: Response };

/** Builds the osquery sub-app from the console's resolved deps; `hosts` is the validated config section. */
export function osqueryApp(web: Web, hosts: HostsConfig, limits: { perMinute?: number; enrollPer10Min?: number } = {}): Hono {
  const app = new Hono();
  const general = new WindowLimiter(limits.perMinute ?? 1200, 60_000);
  const enrolls = new WindowLimiter(limits.enrollPer10Min ?? 30, 10 * 60_000);
  const refuse = (c: Context, status: 400 | 405 | 413 | 415 | 429, error: string) => c.json({ error }, status);
  const invalidNode = (c: Context) => c.json({ node_invalid: true });
  const limit = (max: number) => bodyLimit({ maxSize: max, onError: (c) => refuse(c, 413, `body larger than ${max} bytes`) });

  app.use("*", async (c, next) => {
    if (c.req.method !== "POST") return refuse(c, 405, "osquery endpoints take POST");
    if (!general.allow(peerAddress(c), web.now())) return refuse(c, 429, "too many requests");
    if (c.req.header("Content-Encoding") && c.req.header("Content-Encoding") !== "identity") return refuse(c, 415, "compressed bodies are not accepted (leave --logger_tls_compress off)");
    return next();
  });

  /** Reads and validates a JSON body; garbage is refused, never half-used. */
  async function body<S extends z.ZodType>(c: Context, schema: S): Promise<Parsed<S>> {
    let raw: unknown;
    try {
      raw = JSON.parse(await c.req.text());
    } catch {
      return { ok: false, res: refuse(c, 400, "body is not JSON") };
    }
    const r = schema.safeParse(raw);
    if (!r.success) {
      const i = r.error.issues[0];
      return { ok: false, res: refuse(c, 400, `invalid body: ${i ? `${i.path.join(".") || "(root)"}: ${i.message}` : "rejected"}`) };
    }
    return { ok: true, data: r.data };
  }

  /** The host of a node key (touching its last contact), or undefined. */
  const hostOf = (c: Context, key: string): HostRow | undefined => (key ? hostByNodeKey(web.db, key, web.now(), peerAddress(c)) : undefined);

  /** Stores results and judges the host, all in one transaction. */
  function ingest(host: HostRow, parsed: ParsedResults, via: "logger" | "distributed"): void {
    const now = web.now();
    let outbox = 0;
    web.db.transaction(() => {
      const os = parsed.results.get("os_version")?.rows[0];
      if (os?.platform) setPlatform(web.db, host.id, os.platform, os.name ?? "", os.version ?? "");
      saveResults(web.db, host.id, parsed.results, via, now);
      if (via === "distributed") markDistributedDone(web.db, host.id);
      const fresh = getHost(web.db, host.id);
      if (fresh) outbox = recordHost(web.db, { ...hostAlertContext(web), now }, hosts, hostSnapshot(web.db, fresh)).outboxIds.length;
    })();
    if (outbox > 0) web.onEnqueued();
  }

  app.post(OSQUERY_ENDPOINTS.enroll, limit(OSQUERY_BODY_LIMITS.enroll), async (c) => {
    const address = peerAddress(c);
    if (!enrolls.allow(address, web.now())) return refuse(c, 429, "too many enrolment attempts");
    const b = await body(c, enrollBody);
    if (!b.ok) return b.res;
    const secret = readSecret(hosts.enrollSecretFile);
    if (!secret.ok) {
      web.log.error({ file: hosts.enrollSecretFile, problem: secret.problem }, "osquery enrolment refused: the enroll secret file is unusable");
      return invalidNode(c);
    }
    if (!sameSecret(b.data.enroll_secret, secret.value)) {
      web.log.warn({ address, host_identifier: b.data.host_identifier.slice(0, 64) }, "osquery enrolment refused: wrong enroll secret");
      return invalidNode(c);
    }
    const d = enrollDetails(b.data);
    const now = web.now();
    const r = web.db.transaction(() => {
      const out = enrollHost(web.db, { hostIdentifier: b.data.host_identifier, ...d, address }, now, hosts.maxHosts);
      if (out.ok) {
        appendAudit(web.db, { at: now, actor: "osquery", action: out.renewed ? "host.reenroll" : "host.enroll", target: `host:${out.hostId}`, address, detail: { hostname: d.hostname, platform: d.platform } });
      }
      return out;
    })();
    if (!r.ok) {
      web.log.warn({ address, max_hosts: hosts.maxHosts }, "osquery enrolment refused: host limit reached");
      return invalidNode(c);
    }
    web.log.info({ host: r.hostId, hostname: d.hostname, renewed: r.renewed }, "osquery host enrolled");
    return c.json({ node_key: r.nodeKey, node_invalid: false });
  });

  app.post(OSQUERY_ENDPOINTS.config, limit(OSQUERY_BODY_LIMITS.poll), async (c) => {
    const b = await body(c, nodeBody);
    if (!b.ok) return b.res;
    if (!hostOf(c, b.data.node_key)) return invalidNode(c);
    return c.json({ ...osqueryConfig(hosts.intervalSeconds), node_invalid: false });
  });

  app.post(OSQUERY_ENDPOINTS.distributedRead, limit(OSQUERY_BODY_LIMITS.poll), async (c) => {
    const b = await body(c, nodeBody);
    if (!b.ok) return b.res;
    const host = hostOf(c, b.data.node_key);
    if (!host) return invalidNode(c);
    const now = web.now();
    const due = host.distributedDue && (host.distributedSentAt === undefined || now - host.distributedSentAt > DISTRIBUTED_RETRY_MS);
    if (!due) return c.json({ queries: {}, node_invalid: false });
    markDistributedSent(web.db, host.id, now);
    const queries = Object.fromEntries(queriesFor(platformOf(host.platform)).map((q) => [`${SCHEDULE_PREFIX}${q.name}`, q.sql]));
    return c.json({ queries, node_invalid: false });
  });

  app.post(OSQUERY_ENDPOINTS.distributedWrite, limit(OSQUERY_BODY_LIMITS.distributedWrite), async (c) => {
    const b = await body(c, distributedWriteBody);
    if (!b.ok) return b.res;
    const host = hostOf(c, b.data.node_key);
    if (!host) return invalidNode(c);
    ingest(host, parseDistributedWrite(b.data), "distributed");
    return c.json({ node_invalid: false });
  });

  app.post(OSQUERY_ENDPOINTS.logger, limit(OSQUERY_BODY_LIMITS.logger), async (c) => {
    const b = await body(c, loggerBody);
    if (!b.ok) return b.res;
    const host = hostOf(c, b.data.node_key);
    if (!host) return invalidNode(c);
    if (b.data.log_type === "result") {
      const parsed = parseResultLines(b.data.data);
      if (parsed.results.size > 0) ingest(host, parsed, "logger");
    }
    // Status lines (osquery's own glog) are acknowledged and not kept: the console shows check-ins, not agent logs.
    return c.json({ node_invalid: false });
  });

  app.notFound((c) => c.json({ error: "no such osquery endpoint" }, 404));
  app.onError((err, c) => {
    web.log.error({ err: err.message, path: c.req.path.slice(0, 100) }, "osquery request failed");
    return c.json({ error: "internal error" }, 500);
  });
  return app;
}

/** The enroll secret, read at each enrolment so it can be rotated without a restart. */
function readSecret(file: string): { ok: true; value: string } | { ok: false; problem: string } {
  let text: string;
  try {
    text = readFileSync(file, "utf8").trim();
  } catch (e) {
    return { ok: false, problem: (e as NodeJS.ErrnoException).code ?? "unreadable" };
  }
  if (text.length < MIN_SECRET) return { ok: false, problem: `shorter than ${MIN_SECRET} characters` };
  return { ok: true, value: text };
}

/** Constant-time comparison of two secrets of any length (digests have equal length). */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given.trim(), "utf8").digest();
  const b = createHash("sha256").update(expected, "utf8").digest();
  return timingSafeEqual(a, b);
}
