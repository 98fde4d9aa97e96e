/**
 * The overview's tiles are rendered once per change and minute and served from memory: the
 * response is byte-identical to an uncached render for every viewer, nothing of one viewer
 * reaches another, and a write by this connection, by another process, or the next minute
 * renders them again.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { seedObservation } from "../helpers/observations.js";
import { DB_FILE, openStore } from "../../src/agent/store/db.js";
import { countUsers, setRole } from "../../src/web/auth/store.js";
import { auditChecker, overviewProps } from "../../src/web/data.js";
import { minuteOf, overviewRenders } from "../../src/web/overview-cache.js";
import type { Viewer } from "../../views/layouts/console.js";
import { OverviewTiles } from "../../views/fragments/overview-tiles.js";
import { OverviewPage } from "../../views/pages/overview.js";
import { addUser, call, makeHarness, signIn, type Harness } from "./harness.js";

const YAML = `
site: "Acme <b>Care</b>"
timezone: America/Phoenix
data_dir: /nonexistent/x
monitors:
  antivirus: {}
  firewall: {}
  accounts: {}
doors:
  sensors:
    - { id: lobby, name: Lobby, input: { webhook: { secret_file: /nonexistent/lobby.key } } }
`;

/** The overview as the route rendered it before the cache: the whole page, uncached, at the clock's now. */
function uncached(h: Harness, viewer: Viewer | undefined): string {
  const config = h.deps.config;
  const props = overviewProps(h.deps.db, config, { users: countUsers(h.deps.db), audit: auditChecker(h.deps.db)(), https: h.deps.https }, h.clock.now());
  const tiles = <OverviewTiles {...props} tz={config.timezone} refreshSeconds={15} />;
  if (!viewer) return String(tiles);
  return `<!doctype html>${String(
    <OverviewPage site={config.site} viewer={viewer} tz={config.timezone} refreshSeconds={15}>
      {tiles}
    </OverviewPage>,
  )}`;
}

const page = async (h: Harness, cookie: string) => (await call(h, "/", { cookie })).text();
const fragment = async (h: Harness, cookie: string) => (await call(h, "/", { cookie, headers: { "HX-Request": "true" } })).text();

function failFirewall(db: Harness["db"], at: number, message: string) {
  seedObservation(db, {
    monitor: "firewall",
    startedAt: at,
    durationMs: 3,
    status: "fail",
    outcome: "ok",
    evidence: "",
    facts: {},
    findings: [{ rule: "firewall.ipv4_filtered", kind: "policy", status: "fail", message, facts: [] }],
  });
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("overview rendered once per change, served from memory", () => {
  it("serves two different users byte-identical pages and fragments to an uncached render, each with only their own name and navigation", async () => {
    const h = makeHarness({}, YAML);
    failFirewall(h.db, h.clock.now(), "IPv4 input is not filtered");
    const ada = await addUser(h, "ada", "admin");
    const vic = await addUser(h, "vic", "viewer");
    const adaCookie = await signIn(h, ada);
    const vicCookie = await signIn(h, vic);

    const adaPage = await page(h, adaCookie);
    const rendered = overviewRenders();
    const vicPage = await page(h, vicCookie);
    const adaFragment = await fragment(h, adaCookie);
    const vicFragment = await fragment(h, vicCookie);
    expect(overviewRenders()).toBe(rendered); // served from memory

    expect(adaPage).toBe(uncached(h, { username: "ada", role: "admin" }));
    expect(vicPage).toBe(uncached(h, { username: "vic", role: "viewer" }));
    expect(adaFragment).toBe(uncached(h, undefined));
    expect(vicFragment).toBe(adaFragment);
    expect(adaPage).toContain("IPv4 input is not filtered");
    expect(adaPage).toContain("ada (admin)");
    expect(adaPage).toContain('href="/users"');
    expect(vicPage).toContain("vic (viewer)");
    expect(vicPage).not.toContain("ada");
    expect(vicPage).not.toContain('href="/users"');
    expect(adaFragment).not.toMatch(/\b(ada|vic)\b|\((admin|viewer)\)/);
    expect(adaPage).not.toContain("<slot");
  });

  it("keeps each viewer's page shell apart and renders it again when the role changes", async () => {
    const h = makeHarness({}, YAML);
    const mia = await addUser(h, "mia", "admin");
    const cookie = await signIn(h, mia);
    expect(await page(h, cookie)).toBe(uncached(h, { username: "mia", role: "admin" }));
    setRole(h.db, mia.id, "viewer");
    const after = await page(h, cookie);
    expect(after).toBe(uncached(h, { username: "mia", role: "viewer" }));
    expect(after).not.toContain('href="/users"');
  });

  it("a user name that spells the slot element is escaped and cannot move the tiles", async () => {
    const h = makeHarness({}, YAML);
    const odd = await addUser(h, '<slot name="overview-tiles"></slot>', "viewer");
    const cookie = await signIn(h, odd);
    const html = await page(h, cookie);
    expect(html).toBe(uncached(h, { username: odd.username, role: "viewer" }));
    expect(html).toContain("&lt;slot name=&quot;overview-tiles&quot;&gt;&lt;/slot&gt; (viewer)");
    expect(html.match(/id="overview-tiles"/g)).toHaveLength(1);
  });

  it("garbage or boosted htmx headers get the whole page from the same kept tiles, never a fragment", async () => {
    const h = makeHarness({}, YAML);
    const cookie = await signIn(h, await addUser(h, "vic", "viewer"));
    const expected = uncached(h, { username: "vic", role: "viewer" });
    const garbage: Record<string, string>[] = [{ "HX-Request": "TRUE <script>" }, { "HX-Request": "true", "HX-Boosted": "true" }, { "HX-Request": "" }];
    for (const headers of garbage) {
      const res = await call(h, "/", { cookie, headers });
      expect(res.status).toBe(200);
      expect(res.headers.get("Vary")).toContain("HX-Request");
      expect(await res.text()).toBe(expected);
    }
  });

  it("renders again after a write by the daemon's own connection", async () => {
    const h = makeHarness({}, YAML);
    const cookie = await signIn(h, await addUser(h, "vic", "viewer"));
    expect(await fragment(h, cookie)).not.toContain("IPv4 input is not filtered");
    const before = overviewRenders();
    failFirewall(h.db, h.clock.now(), "IPv4 input is not filtered");
    const after = await fragment(h, cookie);
    expect(after).toContain("IPv4 input is not filtered");
    expect(after).toBe(uncached(h, undefined));
    expect(overviewRenders()).toBe(before + 1);
  });

  it("renders again after another process writes the same database file (a CLI command)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gh-overview-"));
    dirs.push(dir);
    const db = openStore(dir);
    const h: Harness = { ...makeHarness({ db }, YAML), db };
    const cookie = await signIn(h, await addUser(h, "vic", "viewer"));
    const first = await fragment(h, cookie);
    expect(first).not.toContain("Lobby door open after hours");
    expect(await fragment(h, cookie)).toBe(first);
    const before = overviewRenders();

    // A separate Node process (not this connection, not this process) opens an alert.
    const script = `const D = require("better-sqlite3"); const db = new D(process.argv[1]);
      db.prepare("INSERT INTO alerts (key, source, rule, severity, state, message, opened_at) VALUES ('doors:lobby', 'doors', 'doors.after_hours', 'critical', 'firing', 'Lobby door open after hours', ?)").run(Number(process.argv[2]));
      db.close();`;
    execFileSync(process.execPath, ["-e", script, join(dir, DB_FILE), String(h.clock.now())], { cwd: process.cwd() });

    const after = await fragment(h, cookie);
    expect(after).toContain("Lobby door open after hours");
    expect(after).toBe(uncached(h, undefined));
    expect(overviewRenders()).toBe(before + 1);
    db.close();
  });

  it("keeps the tiles within a minute and renders them again in the next one", async () => {
    const h = makeHarness({}, YAML);
    const cookie = await signIn(h, await addUser(h, "vic", "viewer"));
    h.clock.t = minuteOf(h.clock.t) + 60_000 + 1_000;
    const first = await fragment(h, cookie);
    const renders = overviewRenders();
    h.clock.advance(58_000); // hh:mm:59
    expect(await fragment(h, cookie)).toBe(first);
    expect(overviewRenders()).toBe(renders);
    h.clock.advance(1_000); // the next minute
    const next = await fragment(h, cookie);
    expect(overviewRenders()).toBe(renders + 1);
    expect(next).not.toBe(first);
    expect(next).toBe(uncached(h, undefined));
  });
});
