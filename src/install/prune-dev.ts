/**
 * Removes development-only packages from an installed copy of node_modules, using the lockfile
 * that npm itself wrote (`"dev": true` entries). The install script runs it with node alone: a
 * box that gets a built checkout has node but need not have npm, and `npm prune` was silently
 * skipped there, shipping every devDependency (159 MiB).
 *
 *   node dist/src/install/prune-dev.js APP_DIR
 */
import { existsSync, lstatSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

interface LockPackage {
  dev?: boolean;
}

/** Paths (relative to the app dir) of the packages the lockfile marks as dev-only. */
export function devOnlyPackages(lockText: string): string[] {
  let lock: { lockfileVersion?: number; packages?: Record<string, LockPackage> };
  try {
    lock = JSON.parse(lockText) as typeof lock;
  } catch (e) {
    throw new Error(`package-lock.json is not JSON: ${(e as Error).message}`);
  }
  if (lock === null || typeof lock !== "object" || !lock.packages || typeof lock.packages !== "object" || (lock.lockfileVersion ?? 0) < 2) {
    throw new Error("package-lock.json has no `packages` map (lockfileVersion 2 or later is needed)");
  }
  return Object.entries(lock.packages)
    .filter(([path, p]) => path.startsWith("node_modules/") && p?.dev === true)
    .map(([path]) => path)
    .filter((path) => !path.split("/").some((part) => part === ".." || part === ""));
}

/** Deletes the dev-only packages and the dangling links left in node_modules/.bin; returns how many packages went. */
export function pruneDev(appDir: string): number {
  const paths = devOnlyPackages(readFileSync(join(appDir, "package-lock.json"), "utf8"));
  let removed = 0;
  for (const p of paths) {
    const full = join(appDir, p);
    if (existsSync(full)) {
      rmSync(full, { recursive: true, force: true });
      removed++;
    }
  }
  for (const bin of [join(appDir, "node_modules/.bin")]) {
    if (!existsSync(bin)) continue;
    for (const name of readdirSync(bin)) {
      const link = join(bin, name);
      if (!lstatSync(link).isSymbolicLink()) continue;
      try {
        statSync(link);
      } catch {
        rmSync(link, { force: true });
      }
    }
  }
  return removed;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write("usage: prune-dev.js APP_DIR\n");
    process.exit(2);
  }
  try {
    process.stdout.write(`${pruneDev(dir)}\n`);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(1);
  }
}
