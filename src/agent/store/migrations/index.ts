/**
 * Numbered, forward-only migrations. Never edit one that has shipped: add the next number.
 * Each area owns its own file.
 */
import { sql as core } from "./001-core.js";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "core", sql: core },
  // 2: alerting (silences, delivery attempts)      — src/agent/alerts
  // 3: doors (sensors, events, on-site)             — src/agent/doors
  // 4: console (users, sessions, throttling)        — src/web
  // 5: compliance registers                         — src/agent/compliance
  // 6: operations                                   — ops
];
