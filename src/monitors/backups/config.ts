/**
 * Config of the backups monitor: a list of backup sets, each a directory, a restic repository
 * or a borg repository. Given either as the list itself (`backups: [ … ]`) or as
 * `backups: { sets: [ … ] }` so that a `schedule` can sit beside it.
 */
import { z } from "zod";
import { duration, parseWith, secretFile } from "../../kit/config-schema.js";

/** Where one backup set lives. */
export type BackupSource =
  | { kind: "path"; path: string }
  | { kind: "restic"; repository: string; passwordFile: string; check: boolean }
  | { kind: "borg"; repository: string; passphraseFile: string; baseDir?: string };

export interface BackupSet {
  name: string;
  maxAgeMs: number;
  /** Warn when the newest file is smaller than this fraction of the one before (directories). */
  minSizeRatio: number;
  /** Per command; a hung NFS mount or repository becomes a clear finding instead of a stuck probe. */
  timeoutMs: number;
  source: BackupSource;
}

export interface BackupsConfig {
  sets: BackupSet[];
}

const absolute = () => z.string().refine((s) => s.startsWith("/"), { message: "expected an absolute path" });

const setSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, { message: "expected a short name of lower-case letters, digits, - or _" }),
    max_age: duration(),
    path: absolute().optional(),
    restic: z
      .strictObject({
        repository: z.string().min(1),
        password_file: secretFile(),
        check: z.boolean().default(false),
      })
      .optional(),
    borg: z
      .strictObject({
        repository: z.string().min(1),
        passphrase_file: secretFile(),
        base_dir: absolute().optional(),
      })
      .optional(),
    min_size_ratio: z.number().min(0).max(1).default(0.5),
    timeout: duration().default(5 * 60_000),
  })
  .superRefine((s, ctx) => {
    const given = (["path", "restic", "borg"] as const).filter((k) => s[k] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: "custom",
        message: given.length === 0 ? "give one of path, restic or borg" : `give only one of path, restic or borg (got ${given.join(", ")})`,
      });
    }
  });

const setsSchema = z.array(setSchema).superRefine((sets, ctx) => {
  const seen = new Set<string>();
  sets.forEach((s, i) => {
    if (seen.has(s.name)) ctx.addIssue({ code: "custom", path: [i, "name"], message: `duplicate backup set name "${s.name}"` });
    seen.add(s.name);
  });
});

const wrappedSchema = z.strictObject({ sets: setsSchema });

/** Validates `monitors.backups`; undefined means no sets (the policy then says so). */
export function parseBackupsConfig(raw: unknown): BackupsConfig {
  if (raw === undefined || raw === null) return { sets: [] };
  // Two schemas rather than a union, so an error inside a set names its key path.
  const list = Array.isArray(raw) ? parseWith(setsSchema, raw) : parseWith(wrappedSchema, raw).sets;
  return {
    sets: list.map((s) => ({
      name: s.name,
      maxAgeMs: s.max_age,
      minSizeRatio: s.min_size_ratio,
      timeoutMs: s.timeout,
      source: s.path
        ? { kind: "path", path: s.path }
        : s.restic
          ? { kind: "restic", repository: s.restic.repository, passwordFile: s.restic.password_file, check: s.restic.check }
          : {
              kind: "borg",
              repository: s.borg!.repository,
              passphraseFile: s.borg!.passphrase_file,
              ...(s.borg!.base_dir ? { baseDir: s.borg!.base_dir } : {}),
            },
    })),
  };
}
