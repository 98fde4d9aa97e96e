/**
 * Tests that spawn the built CLI (or a child importing dist/) call this instead of skipping:
 * a missing or stale build is a failure with the fix in its message, never a silent skip.
 * `npm test` builds before running vitest, so there it always passes.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const REPO = join(import.meta.dirname, "../..");

function newestSource(dir: string): { path: string; mtimeMs: number } {
  let newest = { path: dir, mtimeMs: 0 };
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    const candidate = e.isDirectory() ? newestSource(p) : /\.tsx?$/.test(e.name) ? { path: p, mtimeMs: statSync(p).mtimeMs } : newest;
    if (candidate.mtimeMs > newest.mtimeMs) newest = candidate;
  }
  return newest;
}

/**
 * The absolute path of `dist/<rel>`. Throws when it is missing, or older than a source file
 * under src/ or views/ (the test would exercise old code).
 */
export function requireBuild(rel: string): string {
  const built = join(REPO, "dist", rel);
  if (!existsSync(built)) throw new Error(`needs the build (${relative(REPO, built)} is missing): run npm run build first (npm test does)`);
  const builtAt = statSync(built).mtimeMs;
  for (const dir of ["src", "views"].map((d) => join(REPO, d)).filter((d) => existsSync(d))) {
    const src = newestSource(dir);
    if (src.mtimeMs > builtAt) {
      throw new Error(`the build is stale (${relative(REPO, src.path)} is newer than ${relative(REPO, built)}): run npm run build first (npm test does)`);
    }
  }
  return built;
}
