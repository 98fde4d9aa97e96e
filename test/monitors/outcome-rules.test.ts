import { describe, expect, it } from "vitest";
import { MONITORS } from "../../src/monitors/index.js";
import { OUTCOME_RULES, outcomeOfRule, outcomeRule } from "../../src/monitors/monitor.js";

describe("outcome rules (a run that judged nothing)", () => {
  it("are named `<monitor>.<outcome>` and read back, for every monitor", () => {
    expect(MONITORS.length).toBeGreaterThan(0);
    for (const m of MONITORS) for (const o of OUTCOME_RULES) expect(outcomeOfRule(outcomeRule(m.id, o))).toBe(o);
  });

  it("agree with the pattern three readers wrote by hand", () => {
    const hand = /\.(probe_error|policy_error|not_applicable)$/;
    for (const rule of ["firewall.probe_error", "doors.not_applicable", "a.b.policy_error", "firewall.ipv6_open", "probe_error", "x.probe_errors", "x.not_applicable_", ".probe_error", "", "compliance.baa_expired"])
      expect(outcomeOfRule(rule) !== undefined, rule).toBe(hand.test(rule));
  });

  it("policy and drift rules are not outcome rules", () => {
    expect(outcomeOfRule("firewall.ruleset_drift")).toBeUndefined();
    expect(outcomeOfRule("tls.expiry")).toBeUndefined();
  });
});
