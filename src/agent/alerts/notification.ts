/**
 * The snapshot every channel delivers: written to the outbox with the state change, so what is
 * sent later is what was true then. Never put secrets in it.
 */
import type { FactChange } from "../evaluator.js";
import type { Severity } from "./transitions.js";

export type NotificationEvent = "firing" | "reminder" | "resolved" | "test";

export interface NotificationItem {
  alertId: number | null;
  severity: Severity;
  source: string;
  rule: string;
  subject: string;
  message: string;
  /** When the problem started (unix ms). */
  since: number;
  change?: FactChange;
}

export interface Notification {
  event: NotificationEvent;
  site: string;
  /** When the notification was created (unix ms). */
  at: number;
  items: NotificationItem[];
  consoleUrl?: string;
}

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/** The highest severity among the items (a resolved notice carries the severity it had). */
export function topSeverity(n: Notification): Severity {
  return n.items.reduce<Severity>((s, i) => (SEVERITY_RANK[i.severity] > SEVERITY_RANK[s] ? i.severity : s), "info");
}

/** Whether `s` meets a channel's minimum severity. */
export function meetsSeverity(s: Severity, min: Severity): boolean {
  return SEVERITY_RANK[s] >= SEVERITY_RANK[min];
}
