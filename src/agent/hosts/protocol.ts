/**
 * osquery's TLS remote API request bodies, validated (zod), and the pure translation of result
 * logs and distributed writes into per-query results. Shapes follow osquery 5.x:
 * osquery/remote/enroll/tls_enroll.cpp, osquery/remote/utility.h (node_key added to every
 * body), osquery/logger/plugins/tls_logger.cpp, osquery/distributed/distributed.cpp and
 * docs/wiki/deployment/remote.md (see test/fixtures/osquery/SOURCE.md).
 */
import { z } from "zod";
import { SCHEDULE_PREFIX, isQueryName, type QueryName } from "./queries.js";
import type { Row } from "./snapshot.js";

const MAX_ROWS = 2000;
const MAX_COLUMNS = 200;
const MAX_VALUE = 64 * 1024;

/** A node key as Gatehouse hands them out is 43 base64url characters; anything else is invalid. */
const nodeKey = z.string().max(256);
const detailMap = z.record(z.string().max(128), z.union([z.string().max(4096), z.number(), z.boolean(), z.null()]));

/** Enrolment: osqueryd posts the secret once with who it is. Extra keys are tolerated (osquery adds some). */
export const enrollBody = z.looseObject({
  enroll_secret: z.string().max(4096),
  host_identifier: z.string().min(1).max(256),
  platform_type: z.string().max(32).optional(),
  host_details: z
    .looseObject({ os_version: detailMap.optional(), osquery_info: detailMap.optional(), system_info: detailMap.optional(), platform_info: detailMap.optional() })
    .optional(),
});
export type EnrollBody = z.infer<typeof enrollBody>;

/** Config and distributed read: just the node key. */
export const nodeBody = z.looseObject({ node_key: nodeKey });

const cell = z.union([z.string().max(MAX_VALUE), z.number(), z.boolean(), z.null()]);
const row = z.record(z.string().max(256), cell).refine((r) => Object.keys(r).length <= MAX_COLUMNS, { message: `more than ${MAX_COLUMNS} columns` });
const rows = z.array(row).max(MAX_ROWS);

/** Distributed write: rows per query id, osquery's status per id (5.x also sends messages and stats). */
export const distributedWriteBody = z.looseObject({
  node_key: nodeKey,
  queries: z.record(z.string().max(256), z.union([rows, z.string().max(0)])),
  statuses: z.record(z.string().max(256), z.number().int()).optional(),
  messages: z.record(z.string().max(256), z.string().max(MAX_VALUE)).optional(),
});

/** Logger: `result` lines (scheduled query output) or `status` lines (glog). */
export const loggerBody = z.looseObject({
  node_key: nodeKey,
  log_type: z.string().min(1).max(32),
  data: z.array(z.record(z.string().max(256), z.unknown())).max(10_000),
});

/** One result line in snapshot form (the form Gatehouse schedules). Event-form lines are skipped. */
const snapshotLine = z.looseObject({
  name: z.string().max(512),
  action: z.literal("snapshot"),
  snapshot: rows,
  unixTime: z.union([z.number(), z.string()]).optional(),
});

/** Column values as strings, the way osquery sends them unless `numerics` is on. */
export function normalizeRow(r: Record<string, string | number | boolean | null>): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(r)) out[k] = v === null ? "" : typeof v === "boolean" ? (v ? "1" : "0") : String(v);
  return out;
}

/** A catalog query name from a schedule or distributed id (`gatehouse_os_version` → os_version). */
export function queryOf(name: string): QueryName | undefined {
  if (!name.startsWith(SCHEDULE_PREFIX)) return undefined;
  const q = name.slice(SCHEDULE_PREFIX.length);
  return isQueryName(q) ? q : undefined;
}

export interface ParsedResults {
  results: Map<QueryName, { rows: Row[]; status: number }>;
  /** Lines that were not Gatehouse snapshots (other schedules, event-form lines): counted, not stored. */
  skipped: number;
}

/** The latest snapshot of each catalog query in a batch of result log lines. Pure. */
export function parseResultLines(data: readonly Record<string, unknown>[]): ParsedResults {
  const results = new Map<QueryName, { rows: Row[]; status: number; t: number }>();
  let skipped = 0;
  data.forEach((line, i) => {
    const p = snapshotLine.safeParse(line);
    const q = p.success ? queryOf(p.data.name) : undefined;
    if (!p.success || !q) {
      skipped++;
      return;
    }
    // Later lines (or a later unixTime) win when a batch carries two runs of one query.
    const t = Number(p.data.unixTime ?? 0) * 1e6 + i;
    const prev = results.get(q);
    if (!prev || t >= prev.t) results.set(q, { rows: p.data.snapshot.map(normalizeRow), status: 0, t });
  });
  return { results: new Map([...results].map(([k, v]) => [k, { rows: v.rows, status: v.status }])), skipped };
}

/** A distributed write as per-query results; ids Gatehouse did not hand out are counted and dropped. Pure. */
export function parseDistributedWrite(body: z.infer<typeof distributedWriteBody>): ParsedResults {
  const results = new Map<QueryName, { rows: Row[]; status: number }>();
  let skipped = 0;
  for (const [id, value] of Object.entries(body.queries)) {
    const q = queryOf(id);
    if (!q) {
      skipped++;
      continue;
    }
    const status = body.statuses?.[id] ?? 0;
    results.set(q, { rows: Array.isArray(value) ? value.map(normalizeRow) : [], status });
  }
  return { results, skipped };
}

/** What enrolment tells about the host, flattened for the hosts table. */
export function enrollDetails(b: EnrollBody): { hostname: string; platform: string; osName: string; osVersion: string; osqueryVersion: string; hardwareSerial: string } {
  const d = b.host_details ?? {};
  const s = (v: unknown) => (typeof v === "string" ? v : typeof v === "number" ? String(v) : "").slice(0, 256);
  const sys = d.system_info ?? {};
  const os = d.os_version ?? {};
  return {
    hostname: s(sys.computer_name) || s(sys.hostname) || b.host_identifier.slice(0, 256),
    platform: s(os.platform),
    osName: s(os.name),
    osVersion: s(os.version),
    osqueryVersion: s(d.osquery_info?.version),
    hardwareSerial: s(sys.hardware_serial),
  };
}
