/**
 * A delivery channel: takes one outbox message and resolves only when the peer accepted it
 * (SMTP 250, HTTP 2xx, TCP write done). Throwing means "try again later".
 */
import type { Notification } from "../alerts/notification.js";
import type { Severity } from "../alerts/transitions.js";

/** One outbox row as a channel receives it; `messageId` is stable across retries. */
export interface OutboxMessage {
  id: number;
  messageId: string;
  notification: Notification;
}

/** A configured destination. */
export interface Channel {
  name: string;
  /** email | webhook | syslog | digest: what `notify test` prints beside the name. */
  kind: string;
  minSeverity: Severity;
  /** Controls this channel wants alerts for; undefined = all. */
  controls?: readonly string[];
  /** False for channels that take no alert notices (the digest). */
  routed: boolean;
  send(msg: OutboxMessage, signal: AbortSignal): Promise<void>;
  close?(): void;
}

/** A delivery failure whose message is safe to show in the console ("email failed: 535 auth"). */
export class DeliveryError extends Error {
  override readonly name = "DeliveryError";
}
