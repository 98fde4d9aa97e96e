/**
 * Numbered, forward-only migrations. Never edit one that has shipped: add the next number.
 * Each area owns its own file.
 */
import { sql as core } from "./001-core.js";
import { sql as alerting } from "./002-alerting.js";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "core", sql: core },
  { version: 2, name: "alerting", sql: alerting },
  { version: 3, name: "doors", sql: (await import("./003-doors.js")).sql }, // doors (sensors, events, on-site) — src/agent/doors
  { version: 4, name: "console", sql: (await import("./004-console.js")).sql }, // console (users, sessions, throttling) — src/web
  { version: 5, name: "compliance", sql: (await import("./005-compliance.js")).sql }, // compliance registers — src/agent/compliance
  { version: 6, name: "hosts", sql: (await import("./006-hosts.js")).sql }, // osquery hosts and their results — src/agent/hosts
  { version: 7, name: "history", sql: (await import("./007-history.js")).sql }, // observations share unchanged results — src/agent/store/observation-log.ts
  { version: 8, name: "audit-checkpoint", sql: (await import("./008-audit-checkpoint.js")).sql }, // how far the audit chain is verified — src/agent/audit.ts
];
