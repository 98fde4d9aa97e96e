/**
 * Pure alert transitions: given the open alert for a key (if any) and what was just observed,
 * decide what happens. No I/O; the engine applies the decision in one transaction.
 *
 * Lifecycle: firing → (acknowledged) → resolved. While an alert is open, a good observation does
 * not resolve it at once: it starts a "good since" window. Only when the finding has stayed good
 * for `flapWindowMs` is the alert resolved (one recovery notice). A bad observation inside the
 * window is a flap: the same alert stays open, its flap count goes up, nobody is paged again.
 * So bad/good/bad/good… within minutes is one alert with a count, never a stream of
 * firing/resolved pairs.
 */
import { outcomeOfRule, type Status } from "../../monitors/monitor.js";
import type { FindingKind } from "../evaluator.js";
import type { AlertState, Severity } from "../store/alerts.js";

// The row vocabulary is the store's (the bottom of the agent); the transitions speak it.
export type { AlertState, Severity } from "../store/alerts.js";

/** The parts of an open alert that the transitions look at. */
export interface OpenAlert {
  id: number;
  severity: Severity;
  state: Exclude<AlertState, "resolved">;
  /** Last notice actually queued for sending; null when none was (silenced at opening). */
  lastNotifiedAt: number | null;
  /** Since when the finding has been good while the alert stays open (flap window), or null. */
  goodSince: number | null;
  flapCount: number;
}

/** The parts of a finding that the transitions look at. */
export interface Observed {
  status: Status;
  kind: FindingKind;
  rule: string;
}

/** What to do with one key. */
export type Decision =
  | { action: "none" }
  | { action: "open"; severity: Severity; notify: true }
  /** Still bad with another severity; escalation notifies, de-escalation is quiet. */
  | { action: "update"; severity: Severity; notify: boolean }
  /** Bad again inside the flap window: keep the alert, count a flap, clear goodSince. */
  | { action: "relapse"; severity: Severity; notify: boolean }
  /** Turned good: start the flap window; nothing is sent yet. */
  | { action: "pending"; goodSince: number }
  /** Good for the whole window: resolve; notify only if anyone was told it fired. */
  | { action: "resolve"; notify: boolean };

const RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/** Which severity a finding deserves, or undefined when it is not worth an alert. */
export function severityFor(o: Observed): Severity | undefined {
  if (o.status === "fail") return "critical";
  if (o.status === "warn") return o.rule.endsWith(".baseline_missing") ? "info" : "warning";
  // A probe that keeps failing hides the control's state: that is worth a warning.
  if (o.status === "unknown" && o.kind === "probe" && outcomeOfRule(o.rule) !== "not_applicable") return "warning";
  return undefined;
}

/**
 * The transition for one key at time `now`. `observed` undefined means the finding is gone
 * (recovered). `flapWindowMs` 0 resolves at the first good observation (no damping).
 */
export function decide(open: OpenAlert | undefined, observed: Observed | undefined, now: number, flapWindowMs: number): Decision {
  const severity = observed ? severityFor(observed) : undefined;
  if (!open) return severity ? { action: "open", severity, notify: true } : { action: "none" };
  if (!severity) {
    if (flapWindowMs <= 0) return { action: "resolve", notify: open.lastNotifiedAt !== null };
    if (open.goodSince === null) return { action: "pending", goodSince: now };
    return now - open.goodSince >= flapWindowMs ? { action: "resolve", notify: open.lastNotifiedAt !== null } : { action: "none" };
  }
  const escalated = RANK[severity] > RANK[open.severity];
  if (open.goodSince !== null) return { action: "relapse", severity, notify: escalated };
  if (severity === open.severity) return { action: "none" };
  return { action: "update", severity, notify: escalated };
}

/**
 * Which notice an open alert is owed now, if any: "firing" when it was never announced (it was
 * silenced when it opened and the silence is over), "reminder" every `renotifyAfterMs` while it
 * is firing and unacknowledged. An alert in its good-since window is owed nothing.
 */
export function noticeDue(open: OpenAlert, now: number, renotifyAfterMs: number): "firing" | "reminder" | undefined {
  if (open.state !== "firing" || open.goodSince !== null) return undefined;
  if (open.lastNotifiedAt === null) return "firing";
  if (renotifyAfterMs <= 0) return undefined;
  return now - open.lastNotifiedAt >= renotifyAfterMs ? "reminder" : undefined;
}

/** Whether an acknowledgement is allowed from this state (only a firing alert can be acked). */
export function canAcknowledge(state: AlertState): boolean {
  return state === "firing";
}
