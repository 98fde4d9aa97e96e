/**
 * The overview rendered once per change and served from memory.
 *
 * The overview's tiles are a function of the database (observations, findings, alerts, door
 * states, registers, host findings, console users), the audit chain's verified state, and the
 * clock at minute precision (times are shown to the minute, registers by site day, the month's
 * compliance per minute). So the rendered tiles are kept under a key made of exactly those:
 *
 * - the store's change signal (src/agent/store/changes.ts): `data_version` moves when *another*
 *   connection or process commits, `total_changes()` when this connection (the daemon's single
 *   writer) does. Any write (an audit row) invalidates: the key may change when the tiles did not,
 *   never the other way round. Sessions' activity, written behind in batches, is counted out
 *   (`unseenWrite`): the overview does not show sessions.
 * The key is read before rendering, so a write racing a render is seen by the next request.
 * Within a minute the kept HTML is the render of its first request: every time on the tiles is
 * shown to the minute, so only the machine-readable `datetime` of the console's own "Checked"
 * (two-factor, audit log, transmission: checked "now") can be up to 59 s older than the request.
 * Only viewer-independent HTML is kept: the page shell (user name, role navigation) is rendered
 * per request around it.
 */
import { changeSignal, unseenWrite } from "../agent/store/changes.js";
import type { Web } from "./context.js";

/** Start of the minute `now` falls in (the cache key's clock part). */
export function minuteOf(now: number): number {
  return now - (((now % 60_000) + 60_000) % 60_000);
}

/**
 * One rendered value kept until its key changes: `get(key, render)` renders only when `key`
 * differs from the kept one. Keys are compared as strings.
 */
export class RenderedOnChange<T> {
  private key: string | undefined;
  private value: T | undefined;

  get(key: string, render: () => T): T {
    if (this.key !== key || this.value === undefined) {
      this.value = render();
      this.key = key;
    }
    return this.value;
  }
}

/**
 * Splices viewer-independent HTML into a per-viewer shell at `slot` — an element tag, which no
 * escaped text can contain (`<` is always escaped), so the first occurrence is the slot itself.
 */
export function fillSlot(shell: string, slot: string, html: string): string {
  const at = shell.indexOf(slot);
  if (at < 0) throw new Error(`overview: slot ${slot} missing from the page shell`);
  return shell.slice(0, at) + html + shell.slice(at + slot.length);
}

const tileCaches = new WeakMap<Web, RenderedOnChange<string>>();
let tileRenders = 0;

/**
 * The overview's tiles for `web` as HTML, the same for every viewer: `render(now, audit)` runs
 * when the data, the audit chain's verified state or the minute changed; otherwise the kept HTML.
 */
export function overviewTilesHtml(web: Web, render: (now: number, audit: ReturnType<Web["auditCheck"]>) => string): string {
  let cache = tileCaches.get(web);
  if (!cache) tileCaches.set(web, (cache = new RenderedOnChange()));
  const now = web.now();
  const audit = web.auditCheck();
  // The tiles show the audit chain's verdict, not its row count (which grows as verification catches up).
  const key = `${minuteOf(now)}|${changeSignal(web.db)()}|${audit.ok}|${audit.reason ?? ""}`;
  return cache.get(key, () => {
    tileRenders++;
    // Rendering may write derived rows (the scorecard's daily rollups): they are what is shown.
    return unseenWrite(web.db, () => render(now, audit));
  });
}

const shellCaches = new WeakMap<Web, Map<string, string>>();
/** Viewers whose page shell is kept (a console has a handful of users; beyond this it starts over). */
const MAX_SHELLS = 1_000;

/**
 * The overview's page shell for one viewer as HTML: a function of the site, its zone and the
 * viewer's name and role alone (no time, no data), so it is rendered once per viewer and kept.
 */
export function overviewShellHtml(web: Web, viewer: { username: string; role: string }, render: () => string): string {
  let shells = shellCaches.get(web);
  if (!shells) shellCaches.set(web, (shells = new Map()));
  const key = `${viewer.role}\u0000${viewer.username}`;
  let html = shells.get(key);
  if (html === undefined) {
    if (shells.size >= MAX_SHELLS) shells.clear();
    shells.set(key, (html = render()));
  }
  return html;
}

/** How many times this process rendered the overview's tiles (tests: a hit renders nothing). */
export function overviewRenders(): number {
  return tileRenders;
}
