/**
 * The webhook door input, for access-control systems: `POST /api/doors/:id/events`.
 *
 * The sender signs `<timestamp>.<raw body>` with HMAC-SHA256 and the sensor's secret:
 *   X-Gatehouse-Timestamp: 1764316800                  (unix seconds)
 *   X-Gatehouse-Signature: sha256=<64 hex digits>
 * Refused with 401 and no detail: an unknown sensor, a missing or malformed header, a timestamp
 * more than five minutes from our clock, a wrong signature (compared in constant time). An unknown
 * sensor costs the same HMAC over the body as a known one and logs the same line, so neither the
 * answer time nor the log tells which sensor ids exist; refusals are logged at most once a minute
 * (with the count since the last line), so a flood of bad requests cannot flood the journal.
 * 413 for a body over the limit, 400 for a signed but unreadable body, 409 for an event id
 * already accepted (a replay). 202 when recorded.
 *
 * A Hono sub-app: the console mounts it (`app.route("/", doorWebhookApp(deps))`).
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { Hono } from "hono";
import type { Logger } from "../../kit/log.js";
import type { Db } from "../store/db.js";
import type { DoorEngine } from "./engine.js";
import { MAX_PAYLOAD_BYTES, parseWebhookBody } from "./parse.js";
import { rememberWebhookId } from "../store/doors.js";

export const TIMESTAMP_HEADER = "x-gatehouse-timestamp";
export const SIGNATURE_HEADER = "x-gatehouse-signature";
/** How far the sender's timestamp may be from ours, either way. */
export const WEBHOOK_WINDOW_MS = 5 * 60_000;
/** Shortest secret accepted (bytes): shorter ones are guessable. */
export const MIN_SECRET_BYTES = 16;

export interface DoorWebhookDeps {
  db: Db;
  engine: Pick<DoorEngine, "handle" | "refuse" | "sensors">;
  log: Logger;
  now?: () => number;
  maxBodyBytes?: number;
  /** Secrets by sensor id; default: read each webhook sensor's secret_file once, here. */
  secrets?: ReadonlyMap<string, Buffer>;
}

/** Reads the secret of every webhook sensor; throws naming the sensor when one is unusable. */
export function loadWebhookSecrets(engine: Pick<DoorEngine, "sensors">): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const s of engine.sensors.values()) {
    if (!("webhook" in s.input)) continue;
    const file = s.input.webhook.secret_file;
    let secret: Buffer;
    try {
      secret = Buffer.from(readFileSync(file, "utf8").replace(/\r?\n$/, ""), "utf8");
    } catch (e) {
      throw new Error(`doors sensor ${s.id}: cannot read webhook secret_file ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    if (secret.length < MIN_SECRET_BYTES) throw new Error(`doors sensor ${s.id}: webhook secret in ${file} is shorter than ${MIN_SECRET_BYTES} bytes`);
    out.set(s.id, secret);
  }
  return out;
}

/**
 * The signature a sender puts in X-Gatehouse-Signature: HMAC-SHA256 over
 * `<timestamp>.<sensor id>.<body>`. The sensor id is signed so that an event captured for one door
 * cannot be replayed to another door that shares its secret.
 */
export function signDoorEvent(secret: string | Buffer, timestamp: string, sensorId: string, body: string | Uint8Array): string {
  return `sha256=${doorEventMac(secret, timestamp, sensorId, body).toString("hex")}`;
}

function doorEventMac(secret: string | Buffer, timestamp: string, sensorId: string, body: string | Uint8Array): Buffer {
  return createHmac("sha256", secret).update(`${timestamp}.${sensorId}.`).update(body).digest();
}

function verify(secret: Buffer, timestamp: string, sensorId: string, body: Uint8Array, header: string): boolean {
  const m = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (!m) return false;
  const given = Buffer.from(m[1]!, "hex");
  const expected = doorEventMac(secret, timestamp, sensorId, body);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Reads at most `max` bytes of the body; undefined when it is larger. */
async function readLimited(req: Request, max: number): Promise<Uint8Array | undefined> {
  const declared = req.headers.get("content-length");
  if (declared !== null && (!/^\d+$/.test(declared) || Number(declared) > max)) return undefined;
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/** Refusals logged at most this often. */
export const REFUSAL_LOG_EVERY_MS = 60_000;

/** Builds the sub-app handling `POST /api/doors/:id/events`. */
export function doorWebhookApp(deps: DoorWebhookDeps): Hono {
  const secrets = deps.secrets ?? loadWebhookSecrets(deps.engine);
  const now = deps.now ?? Date.now;
  const max = deps.maxBodyBytes ?? MAX_PAYLOAD_BYTES;
  const app = new Hono();
  const unauthorized = () => new Response("unauthorized", { status: 401, headers: { "content-type": "text/plain; charset=utf-8" } });
  // Checked against when the sensor id is unknown: the same work as for a known one.
  const decoy = randomBytes(32);
  let lastLogged = Number.NEGATIVE_INFINITY;
  let unlogged = 0;
  const refused = (id: string) => {
    const t = now();
    if (t >= lastLogged && t - lastLogged < REFUSAL_LOG_EVERY_MS) {
      unlogged++;
      return;
    }
    // No client-supplied address headers in logs: they are forgeable.
    deps.log.warn({ sensor: id.slice(0, 64), refused_since_last_line: unlogged }, "door webhook refused: unknown sensor, bad signature or timestamp");
    lastLogged = t;
    unlogged = 0;
  };

  app.post("/api/doors/:id/events", async (c) => {
    const id = c.req.param("id");
    const secret = secrets.get(id);
    const body = await readLimited(c.req.raw, max);
    // Unauthenticated: an oversized body is refused without touching the sensor's counters.
    if (body === undefined) return c.text("payload too large", 413);
    const ts = c.req.header(TIMESTAMP_HEADER) ?? "";
    const sig = c.req.header(SIGNATURE_HEADER) ?? "";
    const fresh = /^\d{1,12}$/.test(ts) && Math.abs(now() - Number(ts) * 1000) <= WEBHOOK_WINDOW_MS;
    const signed = verify(secret ?? decoy, ts, id, body, sig);
    if (!secret || !fresh || !signed) {
      refused(id);
      return unauthorized();
    }
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(body);
    } catch {
      deps.engine.refuse(id, "webhook", "not UTF-8", body);
      return c.json({ error: "body is not UTF-8" }, 400);
    }
    const parsed = parseWebhookBody(text);
    if (!parsed.ok) {
      deps.engine.refuse(id, "webhook", parsed.reason, body);
      return c.json({ error: parsed.reason }, 400);
    }
    // The id is remembered in the same transaction that records the event.
    const result = deps.db.transaction(() => {
      if (!rememberWebhookId(deps.db, id, parsed.value.id, now())) return "replay" as const;
      return deps.engine.handle({ sensorId: id, source: "webhook", payload: body, signal: parsed.value.signal });
    })();
    if (result === "replay") {
      deps.log.warn({ sensor: id, event: parsed.value.id }, "door webhook replay refused");
      return c.json({ error: "event id already received" }, 409);
    }
    if (!result) return c.json({ error: "not recorded" }, 400);
    return c.json({ accepted: true, event: result.eventId, outcome: result.outcome }, 202);
  });

  app.onError((err, c) => {
    deps.log.error({ err: String(err) }, "door webhook failed");
    return c.text("internal error", 500);
  });
  return app;
}
