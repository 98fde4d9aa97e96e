/**
 * What the compliance evaluation declares to the control registry: the pseudo-source its
 * findings come from, and which control each of its rule families evidences. A leaf module (the
 * registry reads it; evaluate.ts writes findings under these prefixes).
 */

/** The pseudo-source under which compliance findings are observed and alerted. */
export const COMPLIANCE_SOURCE = "compliance";

/** Rule prefix → control, for the findings of the daily compliance evaluation. */
export const COMPLIANCE_RULE_CONTROLS = {
  "compliance.baa_": "baa",
  "compliance.training_": "training",
  "compliance.access_review_": "access-review",
  "compliance.restore_test_": "restore-test",
  "compliance.incident_": "incident-response",
  "compliance.audit_chain": "audit",
  "compliance.two_factor": "two-factor",
} as const;
