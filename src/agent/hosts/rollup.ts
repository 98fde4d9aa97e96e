/**
 * Per-check counts across the office ("Anti-virus: 17 of 19 computers green") and each host's
 * row for the console. Pure: from the hosts and their current findings.
 */
import { worstStatus } from "../evaluator.js";
import type { Status } from "../../monitors/monitor.js";
import { HOST_CHECKS, type HostRule } from "../controls/host-checks.js";
import { hostOf, hostSource, type Host } from "./snapshot.js";
import type { HostFindingRow, HostRow } from "../store/hosts.js";

export interface CheckRollup {
  rule: HostRule;
  title: string;
  total: number;
  pass: number;
  warn: number;
  fail: number;
  unknown: number;
  /** "Anti-virus: 17 of 19 computers green". */
  summary: string;
}

export interface HostLine {
  host: Host;
  status: Status;
  checks: Record<HostRule, { status: Status; message: string } | undefined>;
}

/** One line per host and one rollup per check; a host never judged counts as unknown. */
export function rollup(hosts: readonly HostRow[], findings: readonly HostFindingRow[]): { lines: HostLine[]; checks: CheckRollup[] } {
  const bySource = new Map<string, Map<string, HostFindingRow>>();
  for (const f of findings) {
    let m = bySource.get(f.source);
    if (!m) bySource.set(f.source, (m = new Map()));
    m.set(f.rule, f);
  }
  const lines = hosts.map((host): HostLine => {
    const own = bySource.get(hostSource(host.id));
    const checks = Object.fromEntries(HOST_CHECKS.map((c) => [c.rule, own?.get(c.rule)])) as HostLine["checks"];
    const statuses = HOST_CHECKS.map((c) => checks[c.rule]?.status ?? "unknown");
    return { host: hostOf(host), status: own ? worstStatus(statuses) : "unknown", checks };
  });
  const checks = HOST_CHECKS.map(({ rule, title }): CheckRollup => {
    const counts = { pass: 0, warn: 0, fail: 0, unknown: 0 };
    for (const l of lines) counts[l.checks[rule]?.status ?? "unknown"]++;
    const total = lines.length;
    return { rule, title, total, ...counts, summary: `${title}: ${counts.pass} of ${total} computer${total === 1 ? "" : "s"} green` };
  });
  return { lines, checks };
}
