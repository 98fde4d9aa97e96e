/** Shared builders for alert tests: an in-memory store and findings. */
import { openDatabase, type Db } from "../../../src/agent/store/db.js";
import type { AlertContext, ChannelRoute } from "../../../src/agent/alerts/engine.js";
import type { Finding } from "../../../src/agent/evaluator.js";
import type { Status } from "../../../src/monitors/monitor.js";

export const MIN = 60_000;
export const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);

export function memDb(): Db {
  return openDatabase(":memory:");
}

export function finding(rule: string, status: Status, message = `${rule} is ${status}`, extra: Partial<Finding> = {}): Finding {
  return { rule, status, message, facts: [], kind: "policy", ...extra };
}

const CONTROLS: Record<string, string> = { firewall: "firewall", doors: "physical", patches: "updates", backups: "backups" };

export function ctx(now: number, routes: ChannelRoute[] = [{ channel: "email", minSeverity: "warning" }], policy: AlertContext["policy"] = {}): AlertContext {
  return { site: "Acme Phoenix", host: "edge-01", routes, now, policy, controlOf: (s) => CONTROLS[s] };
}

export interface OutboxRowT {
  id: number;
  alert_id: number | null;
  event: string;
  channel: string;
  message_id: string;
  payload_json: string;
  next_attempt_at: number;
  group_key: string | null;
  merged_into: number | null;
  sent_at: number | null;
  attempts: number;
  last_error: string | null;
}

export function outbox(db: Db): OutboxRowT[] {
  return db.prepare("SELECT * FROM outbox ORDER BY id").all() as OutboxRowT[];
}

export function alerts(db: Db): { id: number; key: string; state: string; severity: string; flap_count: number; good_since: number | null; last_notified_at: number | null; silenced_by: number | null }[] {
  return db.prepare("SELECT * FROM alerts ORDER BY id").all() as never;
}
