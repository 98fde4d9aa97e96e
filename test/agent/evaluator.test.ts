import { describe, expect, it } from "vitest";
import { describeChange, diffFact, evaluate, exitCodeFor, worstStatus } from "../../src/agent/evaluator.js";
import { fileMonitor } from "../helpers/file-monitor.js";

const policy = { now: new Date(0), firstSeen: () => undefined };
const cfg = { path: "/x" };

describe("evaluator", () => {
  it("runs the monitor's policy and reports a missing baseline", () => {
    const f = evaluate({ monitor: fileMonitor, config: cfg, result: { outcome: "ok", facts: { "file.enabled": false, "file.rules": ["a"] }, evidence: "" }, baseline: undefined, policy });
    expect(f.map((x) => [x.rule, x.kind, x.status])).toEqual([
      ["file.enabled", "policy", "fail"],
      ["file.baseline_missing", "drift", "warn"],
    ]);
  });

  it("drift = an approved fact changed; list facts report added and removed items", () => {
    const f = evaluate({
      monitor: fileMonitor,
      config: cfg,
      result: { outcome: "ok", facts: { "file.enabled": true, "file.rules": ["a", "c"], "file.counter": 9 }, evidence: "" },
      baseline: { "file.rules": ["a", "b"] },
      policy,
    });
    const drift = f.find((x) => x.kind === "drift")!;
    expect(drift.status).toBe("fail");
    expect(drift.change).toEqual({ fact: "file.rules", before: ["a", "b"], after: ["a", "c"], added: ["c"], removed: ["b"] });
    expect(drift.message).toBe('file.rules changed since the approved baseline: added "c"; removed "b"');
  });

  it("facts outside baselineFacts never drift, and order inside a list does not matter", () => {
    const f = evaluate({
      monitor: fileMonitor,
      config: cfg,
      result: { outcome: "ok", facts: { "file.enabled": true, "file.rules": ["b", "a"], "file.counter": 10 }, evidence: "" },
      baseline: { "file.rules": ["a", "b"], "file.counter": 1 },
      policy,
    });
    expect(worstStatus(f.map((x) => x.status))).toBe("pass");
  });

  it("maps not-applicable and errors to unknown probe findings, and a throwing policy too", () => {
    expect(evaluate({ monitor: fileMonitor, config: cfg, result: { outcome: "not_applicable", message: "no wifi" }, baseline: undefined, policy })[0]).toMatchObject({
      rule: "file.not_applicable",
      status: "unknown",
    });
    expect(evaluate({ monitor: fileMonitor, config: cfg, result: { outcome: "error", message: "boom" }, baseline: undefined, policy })[0]).toMatchObject({
      rule: "file.probe_error",
      message: "boom",
    });
    const throwing = { ...fileMonitor, policy: () => { throw new Error("bad facts"); } };
    const f = evaluate({ monitor: throwing, config: cfg, result: { outcome: "ok", facts: {}, evidence: "" }, baseline: {}, policy });
    expect(f[0]).toMatchObject({ rule: "file.policy_error", status: "unknown", message: "policy could not be evaluated: bad facts" });
  });

  it.each([
    [["pass", "pass"], "pass", 0],
    [["pass", "unknown"], "unknown", 3],
    [["unknown", "warn"], "warn", 1],
    [["warn", "fail", "unknown"], "fail", 2],
  ] as const)("worst of %j is %s (exit %i)", (statuses, worst, code) => {
    expect(worstStatus(statuses)).toBe(worst);
    expect(exitCodeFor(worst)).toBe(code);
  });

  it("describes scalar changes as before → after", () => {
    expect(describeChange(diffFact("x.enabled", true, false)!)).toBe("x.enabled changed since the approved baseline: true → false");
    expect(diffFact("x.list", ["a"], ["a"])).toBeUndefined();
    expect(diffFact("x.list", ["a"], undefined)).toEqual({ fact: "x.list", before: ["a"], after: undefined, added: [], removed: ["a"] });
  });
});
