/**
 * A delivery channel: takes one outbox message and resolves only when the peer accepted it
 * (SMTP 250, HTTP 2xx, TCP write done). Throwing means "try again later".
 */
import type { Notification } from "../alerts/notification.js";
import type { Severity } from "../alerts/transitions.js";

export interface OutboxMessage {
  id: number;
  messageId: string;
  notification: Notification;
}

export interface Channel {
  name: string;
  minSeverity: Severity;
  send(msg: OutboxMessage, signal: AbortSignal): Promise<void>;
  close?(): void;
}

/** A delivery failure whose message is safe to show in the console ("email failed: 535 auth"). */
export class DeliveryError extends Error {
  override readonly name = "DeliveryError";
}
