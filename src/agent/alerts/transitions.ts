/**
 * Pure alert transitions: given the open alert for a key (if any) and what was just observed,
 * decide what happens. No I/O; the engine applies the decision in one transaction.
 */
import type { Status } from "../../monitors/monitor.js";
import type { FindingKind } from "../evaluator.js";

export type Severity = "critical" | "warning" | "info";
export type AlertState = "firing" | "acknowledged" | "resolved";

export interface OpenAlert {
  id: number;
  severity: Severity;
  state: Exclude<AlertState, "resolved">;
  lastNotifiedAt: number | null;
}

export interface Observed {
  status: Status;
  kind: FindingKind;
  rule: string;
}

export type Decision =
  | { action: "none" }
  | { action: "open"; severity: Severity; notify: true }
  | { action: "update"; severity: Severity; notify: boolean }
  | { action: "resolve"; notify: boolean };

const RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/** Which severity a finding deserves, or undefined when it is not worth an alert. */
export function severityFor(o: Observed): Severity | undefined {
  if (o.status === "fail") return "critical";
  if (o.status === "warn") return o.rule.endsWith(".baseline_missing") ? "info" : "warning";
  // A probe that keeps failing hides the control's state: that is worth a warning.
  if (o.status === "unknown" && o.kind === "probe" && !o.rule.endsWith(".not_applicable")) return "warning";
  return undefined;
}

/** The transition for one key. `observed` undefined means the finding is gone (recovered). */
export function decide(open: OpenAlert | undefined, observed: Observed | undefined): Decision {
  const severity = observed ? severityFor(observed) : undefined;
  if (!open) return severity ? { action: "open", severity, notify: true } : { action: "none" };
  if (!severity) return { action: "resolve", notify: true };
  if (severity === open.severity) return { action: "none" };
  // Escalation notifies (warning → critical); de-escalation is recorded quietly.
  return { action: "update", severity, notify: RANK[severity] > RANK[open.severity] };
}

/** Whether a reminder is due for a firing, unacknowledged alert. */
export function reminderDue(open: OpenAlert, now: number, renotifyAfterMs: number): boolean {
  if (open.state !== "firing" || renotifyAfterMs <= 0) return false;
  return open.lastNotifiedAt !== null && now - open.lastNotifiedAt >= renotifyAfterMs;
}
