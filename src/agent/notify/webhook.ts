/**
 * Webhook: POSTs the notification as JSON, signed with HMAC-SHA256 over `timestamp.body`
 * (`X-Gatehouse-Signature: sha256=<hex>`, `X-Gatehouse-Timestamp: <unix s>`), so the receiver
 * can check origin and freshness. A 2xx answer is acceptance; anything else is retried. The
 * body carries a generic shape plus a `text` field that Slack and Teams incoming webhooks show.
 */
import { createHmac } from "node:crypto";
import { utcText } from "../../kit/format.js";
import type { WebhookConfig } from "../alerts/config.js";
import type { Notification } from "../alerts/notification.js";
import { topSeverity } from "../alerts/notification.js";
import { DeliveryError, type Channel, type OutboxMessage } from "./channel.js";
import { renderChatText } from "./render.js";
import { readSecret, resolveUrl } from "./secret.js";

/** The JSON body sent to a webhook (version 1). */
export interface WebhookPayload {
  version: 1;
  message_id: string;
  event: Notification["event"];
  site: string;
  /** The box's host name (null in notices written before it was recorded). */
  host: string | null;
  at: string;
  severity: string;
  console_url: string | null;
  items: {
    alert_id: number | null;
    severity: string;
    source: string;
    control: string | null;
    rule: string;
    subject: string;
    message: string;
    since: string;
    flaps: number;
    change: { fact: string; before: unknown; after: unknown; added?: string[]; removed?: string[] } | null;
  }[];
  digest?: Notification["digest"];
  /** Slack/Teams-compatible summary. */
  report?: Notification["report"];
  text: string;
}

/** Builds the JSON body for a message. */
export function webhookPayload(msg: OutboxMessage): WebhookPayload {
  const n = msg.notification;
  return {
    version: 1,
    message_id: msg.messageId,
    event: n.event,
    site: n.site,
    host: n.host ?? null,
    at: utcText(n.at),
    severity: n.event === "resolved" ? "ok" : topSeverity(n),
    console_url: n.consoleUrl ?? null,
    items: n.items.map((i) => ({
      alert_id: i.alertId,
      severity: i.severity,
      source: i.source,
      control: i.control ?? null,
      rule: i.rule,
      subject: i.subject,
      message: i.message,
      since: utcText(i.since),
      flaps: i.flaps ?? 0,
      change: i.change
        ? { fact: i.change.fact, before: i.change.before ?? null, after: i.change.after ?? null, ...(i.change.added ? { added: i.change.added } : {}), ...(i.change.removed ? { removed: i.change.removed } : {}) }
        : null,
    })),
    ...(n.digest ? { digest: n.digest } : {}),
    ...(n.report ? { report: n.report } : {}),
    text: renderChatText(n),
  };
}

/** `sha256=<hex>` of HMAC-SHA256(secret, `${timestamp}.${body}`). */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/** The webhook channel. `now` is injectable for signature tests. */
export function webhookChannel(c: WebhookConfig, opts: { name: string; now?: () => number; userAgent?: string }): Channel {
  let secret: string | undefined;
  let url: string | undefined;
  const now = opts.now ?? Date.now;
  return {
    name: opts.name,
    kind: "webhook",
    minSeverity: c.min_severity,
    ...(c.controls ? { controls: c.controls } : {}),
    routed: true,
    async send(msg: OutboxMessage, signal: AbortSignal) {
      secret ??= readSecret(c.secret_file, "webhook secret file");
      url ??= resolveUrl(c, "webhook");
      const body = JSON.stringify(webhookPayload(msg));
      const ts = String(Math.floor(now() / 1000));
      const timeout = AbortSignal.timeout(c.timeout);
      let res: Response;
      try {
        res = await fetch(url, {
          method: "POST",
          body,
          redirect: "error",
          signal: AbortSignal.any([signal, timeout]),
          headers: {
            "content-type": "application/json",
            "user-agent": opts.userAgent ?? "gatehouse",
            "x-gatehouse-timestamp": ts,
            "x-gatehouse-signature": signWebhook(secret, ts, body),
            "x-gatehouse-message-id": msg.messageId,
            "x-gatehouse-event": msg.notification.event,
          },
        });
      } catch (e) {
        // Never echo the URL: chat webhook URLs carry their token in the path.
        if (timeout.aborted) throw new DeliveryError(`webhook failed: no answer within ${Math.round(c.timeout / 1000)} s`);
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        // Redirects are refused: following one would send the signed alert somewhere unconfigured.
        if (cause?.message === "unexpected redirect") throw new DeliveryError("webhook failed: redirect refused");
        throw new DeliveryError(`webhook failed: ${cause?.code ?? (e as Error).name}`);
      }
      await res.body?.cancel().catch(() => undefined);
      if (res.status < 200 || res.status > 299) throw new DeliveryError(`webhook failed: HTTP ${res.status}`);
    },
  };
}
