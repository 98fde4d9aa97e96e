/**
 * Config of the disk monitor: free-space thresholds for the data dir's and the backup targets'
 * file systems, extra paths to watch, and whether to read SMART health.
 */
import { z } from "zod";
import { parseWith } from "../../kit/config-schema.js";

export interface DiskConfig {
  /** Below this much free space (percent of what users may use): warn. */
  warnFreePercent: number;
  /** Below this: fail. */
  failFreePercent: number;
  /** Paths whose file systems are watched, with the role shown in messages. Completed at start-up. */
  paths: DiskPath[];
  /** Read SMART health with smartctl (through gatehouse-probe under the units). */
  smart: boolean;
}

/** A watched path: the data dir, a backup target (from the backups monitor), or one configured here. */
export interface DiskPath {
  role: "data" | "backup" | "other";
  /** What it is, for messages: "data dir", "backup set nightly", the path itself. */
  label: string;
  path: string;
}

const absolute = () => z.string().refine((s) => s.startsWith("/"), { message: "expected an absolute path" });
const percent = () => z.number().min(0).max(100);

const schema = z
  .strictObject({
    warn_free_percent: percent().default(15),
    fail_free_percent: percent().default(5),
    /** More paths to watch (a scratch or export disk). */
    paths: z.array(absolute()).default([]),
    smart: z.boolean().default(true),
  })
  .superRefine((c, ctx) => {
    if (c.fail_free_percent >= c.warn_free_percent) {
      ctx.addIssue({ code: "custom", path: ["fail_free_percent"], message: `must be below warn_free_percent (${c.warn_free_percent})` });
    }
  });

/** Validates `monitors.disk` (absent: defaults). */
export function parseDiskConfig(raw: unknown): DiskConfig {
  const c = parseWith(schema, raw ?? {});
  return {
    warnFreePercent: c.warn_free_percent,
    failFreePercent: c.fail_free_percent,
    paths: c.paths.map((path) => ({ role: "other", label: path, path })),
    smart: c.smart,
  };
}
