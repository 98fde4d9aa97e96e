/**
 * The control catalog (data in code): every checklist control of DESIGN.md plus the
 * administrative safeguards a business associate must show, each with its HIPAA Security Rule
 * citation, whether the cited specification is required or addressable, the matching item of
 * the proposed 2025 Security Rule update (an NPRM, not yet law), and what evidence proves it.
 *
 * Which findings evidence which control is the control registry's (src/agent/controls), built
 * from what each source declares; this file says what each control means.
 */
import { ADMIN_CONTROL_IDS, type AdminControlId, type ComplianceControlId } from "../controls/index.js";
import type { RegisterId } from "./registers.js";

export { ADMIN_CONTROL_IDS, type AdminControlId, type ComplianceControlId };

export interface CatalogEntry {
  id: ComplianceControlId;
  title: string;
  /** What the control means in plain words. */
  summary: string;
  /** 45 CFR citations, e.g. "164.308(a)(5)(ii)(B)". */
  citations: string[];
  /** Required or addressable, per the cited implementation specification. */
  requirement: "required" | "addressable";
  /** The matching item of the proposed 2025 update (NPRM of 6 Jan 2025), if any. */
  proposed2025?: string;
  /** Human description of the evidence; the machine mapping is the control registry's. */
  evidence: string;
  /** Registers whose rows prove it. */
  registers: RegisterId[];
}

/** The catalog, in the order the scorecard and report list it. */
export const CATALOG: readonly CatalogEntry[] = [
  {
    id: "antivirus",
    title: "Anti-malware",
    summary: "Anti-virus/anti-spyware installed, running, signatures fresh",
    citations: ["164.308(a)(5)(ii)(B)"],
    requirement: "addressable",
    proposed2025: "Deploy anti-malware protection on systems that hold ePHI",
    evidence: "antivirus monitor: engine installed and running, signature age",
    registers: [],
  },
  {
    id: "firewall",
    title: "Host firewall",
    summary: "Host firewall on, ruleset equal to the approved baseline",
    citations: ["164.308(a)(1)(ii)(B)", "164.312(e)(1)"],
    requirement: "required",
    proposed2025: "Network segmentation; a written baseline configuration of each system",
    evidence: "firewall monitor: enabled, ruleset hash against the approved baseline",
    registers: [],
  },
  {
    id: "updates",
    title: "Security updates",
    summary: "OS and application security updates applied promptly; no pending reboot",
    citations: ["164.308(a)(1)(ii)(B)"],
    requirement: "required",
    proposed2025: "Patch critical-risk vulnerabilities within 15 days and high-risk within 30 days",
    evidence: "patches monitor: pending security updates and their age, reboot required, OS end of life",
    registers: [],
  },
  {
    id: "backups",
    title: "Data backup",
    summary: "Backups exist, are fresh, and succeed",
    citations: ["164.308(a)(7)(ii)(A)"],
    requirement: "required",
    proposed2025: "Backups of ePHI no more than 48 hours old",
    evidence: "backups monitor: each backup set present, readable, fresh within its max_age",
    registers: [],
  },
  {
    id: "physical",
    title: "Physical access",
    summary: "Physical access to computers and network gear controlled",
    citations: ["164.310(a)(1)", "164.310(a)(2)(iii)"],
    requirement: "addressable",
    evidence: "door sensors: after-hours openings, held-open and offline alerts",
    registers: [],
  },
  {
    id: "wifi",
    title: "Office Wi-Fi",
    summary: "Office Wi-Fi encrypted (WPA2/WPA3) and its SSID hidden",
    citations: ["164.312(e)(1)", "164.312(e)(2)(ii)"],
    requirement: "addressable",
    proposed2025: "Encryption of ePHI in transit required (no longer addressable)",
    evidence: "wifi monitor: security mode of the office SSIDs, hidden",
    registers: [],
  },
  {
    id: "accounts",
    title: "Unique accounts",
    summary: "Individual accounts for each employee, no shared/default logins",
    citations: ["164.312(a)(2)(i)"],
    requirement: "required",
    evidence: "accounts monitor: human accounts, generic names, inactive accounts; console users",
    registers: [],
  },
  {
    id: "least-privilege",
    title: "Least privilege",
    summary: "Limited access to data and to software installation (admin/sudo)",
    citations: ["164.308(a)(4)", "164.312(a)(1)"],
    requirement: "required",
    evidence: "accounts monitor rules accounts.sudo*, accounts.uid0_*; console roles",
    registers: [],
  },
  {
    id: "passwords",
    title: "Password management",
    summary: "Passwords changed on policy, never blank",
    citations: ["164.308(a)(5)(ii)(D)"],
    requirement: "addressable",
    evidence: "accounts monitor rules accounts.password_*, accounts.empty_password; console password policy",
    registers: [],
  },
  {
    id: "two-factor",
    title: "Two-factor authentication",
    summary: "Two-factor authentication for administrative access",
    citations: ["164.312(d)"],
    requirement: "required",
    proposed2025: "Multi-factor authentication required for access to systems holding ePHI",
    evidence: "console: every enabled console user enrolled with TOTP",
    registers: [],
  },
  {
    id: "transmission",
    title: "Transmission security",
    summary: "TLS on the console and on messaging endpoints, certificates not expiring",
    citations: ["164.312(e)(1)", "164.312(e)(2)(ii)"],
    requirement: "addressable",
    proposed2025: "Encryption of ePHI in transit required (no longer addressable)",
    evidence: "tls monitor: protocol, certificate validity and days to expiry",
    registers: [],
  },
  {
    id: "audit",
    title: "Audit controls",
    summary: "Activity is recorded in a tamper-evident log",
    citations: ["164.312(b)"],
    requirement: "required",
    evidence: "Gatehouse audit log: hash chain verified end to end",
    registers: [],
  },
  {
    id: "inventory",
    title: "Asset inventory",
    summary: "Hardware and software inventory of the box kept and reviewed",
    citations: ["164.308(a)(1)(ii)(A)", "164.310(d)(1)"],
    requirement: "required",
    proposed2025: "Written technology asset inventory and network map, reviewed every 12 months",
    evidence: "inventory monitor: installed software and hardware against the approved baseline",
    registers: [],
  },
  {
    id: "baa",
    title: "Business associate agreements",
    summary: "A signed, current BAA with every client clinic (covered entity)",
    citations: ["164.308(b)(1)", "164.314(a)(1)"],
    requirement: "required",
    proposed2025: "Annual written verification of business associates' technical safeguards",
    evidence: "BAA register: signed date, expiry, where the signed copy is kept",
    registers: ["baa"],
  },
  {
    id: "training",
    title: "Workforce training",
    summary: "Security awareness training for every workforce member, renewed yearly",
    citations: ["164.308(a)(5)(i)"],
    requirement: "required",
    proposed2025: "Training within 30 days of access and at least every 12 months",
    evidence: "training register: person, training, completed and due dates",
    registers: ["training"],
  },
  {
    id: "access-review",
    title: "Access reviews",
    summary: "Quarterly attestation that console and system accounts were reviewed",
    citations: ["164.308(a)(4)(ii)(C)", "164.308(a)(1)(ii)(D)"],
    requirement: "addressable",
    proposed2025: "Review and modify access at least every 12 months; terminate access within 1 hour of separation",
    evidence: "access review register, prefilled from the accounts monitor",
    registers: ["access_review"],
  },
  {
    id: "restore-test",
    title: "Restore tests",
    summary: "Backups restored in a test at a set interval, with the result recorded",
    citations: ["164.308(a)(7)(ii)(D)", "164.308(a)(7)(ii)(B)"],
    requirement: "addressable",
    proposed2025: "Restore critical systems and data within 72 hours; test the plan at least every 12 months",
    evidence: "restore test register: date, backup set, result, hours to restore",
    registers: ["restore_test"],
  },
  {
    id: "incident-response",
    title: "Incident response",
    summary: "Security incidents logged with actions taken, and closed",
    citations: ["164.308(a)(6)(ii)"],
    requirement: "required",
    proposed2025: "Written incident response plan, tested at least every 12 months",
    evidence: "incident register: date, description, actions, closed date",
    registers: ["incident"],
  },
  {
    id: "risk-analysis",
    title: "Risk analysis",
    summary: "An accurate, thorough written risk analysis, reviewed periodically",
    citations: ["164.308(a)(1)(ii)(A)"],
    requirement: "required",
    proposed2025: "Written risk analysis reviewed at least every 12 months",
    evidence: "kept outside Gatehouse; this report and the asset inventory are inputs to it",
    registers: [],
  },
];
