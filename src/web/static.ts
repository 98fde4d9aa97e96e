/**
 * Static assets served by the daemon itself (the box may have no internet, and a CDN would widen
 * the CSP): htmx from its npm package, and the console's CSS. Read once at start-up.
 *
 * htmx 2, not 4: 4.0 has only just been released with breaking changes (new attribute
 * inheritance, fetch-based requests, extensions rewritten) and its ecosystem and docs have not
 * caught up; 2.x is the maintained line, works without eval or inline styles when configured
 * (see HTMX_CONFIG in views/layouts/console.tsx), and everything here needs only hx-get/hx-post.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface Asset {
  body: string;
  type: string;
  etag: string;
}

/** The repository/package root (holds package.json), from src/web or dist/src/web alike. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "src", "web", "static"))) return dir;
    dir = dirname(dir);
  }
  throw new Error("cannot find the gatehouse package root (src/web/static) for the console assets");
}

function asset(body: string, type: string): Asset {
  return { body, type, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"` };
}

let cached: Map<string, Asset> | undefined;

/** name → asset, for /static/:name. */
export function loadAssets(): Map<string, Asset> {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const htmx = readFileSync(require.resolve("htmx.org/dist/htmx.min.js"), "utf8");
  const css = readFileSync(join(packageRoot(), "src", "web", "static", "console.css"), "utf8");
  const icon = readFileSync(join(packageRoot(), "src", "web", "static", "favicon.svg"), "utf8");
  cached = new Map([
    ["favicon.svg", asset(icon, "image/svg+xml")],
    ["htmx.min.js", asset(htmx, "text/javascript; charset=utf-8")],
    ["console.css", asset(css, "text/css; charset=utf-8")],
  ]);
  return cached;
}
