/**
 * The console as people use it, in Debian's Chromium (playwright-core) at 1280 and 390 px:
 * every page and every form — an admin walks every page, a manager keeps each register (add,
 * edit, close, CSV import with a bad file then a good one, export) and generates, downloads and
 * verifies an evidence report, acknowledges an alert and an admin approves a baseline (htmx), a
 * viewer reads and is refused. On every page: no CSP violation, no console error, no horizontal
 * scroll at 390 px, and axe-core finds no serious or critical violation. Screenshots of every
 * page go to test-artifacts/console/pages/, the axe results to test-artifacts/console/axe.json.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfigText } from "../../src/agent/config/load.js";
import { openStore, type Db } from "../../src/agent/store/db.js";
import { seedObservation } from "../helpers/observations.js";
import { MONITORS } from "../../src/monitors/index.js";
import { hashPassword } from "../../src/web/auth/passwords.js";
import { insertUser, type Role } from "../../src/web/auth/store.js";
import { seal } from "../../src/web/auth/tokens.js";
import { newTotpSecret, totpCode } from "../../src/web/auth/totp.js";
import { startConsole, type ConsoleServer } from "../../src/web/server.js";
import { loadOrCreateConsoleKey } from "../../src/web/tls.js";
import { canRun } from "../helpers/require-tool.js";

const ARTIFACTS = join(process.cwd(), "test-artifacts", "console", "pages");
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const WIDTHS = [1280, 390] as const;
const DAY = 86_400_000;

interface PageCheck {
  page: string;
  width: number;
  screenshot: string;
  axe: { serious: number; critical: number; moderate: number; minor: number; ids: string[] };
  scrollWidth: number;
}

describe.runIf(canRun({ tools: ["chromium"] }))("every console page in Chromium", () => {
  let dir: string;
  let db: Db;
  let server: ConsoleServer;
  let base: string;
  const contexts: BrowserContext[] = [];
  const problems: string[] = [];
  const results: PageCheck[] = [];
  const users = new Map<string, { role: Role; password: string; secret: string }>();

  async function newContext(name: string, opts: { bypassCSP?: boolean } = {}): Promise<BrowserContext> {
    const ctx = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "gh-chromium-")), { executablePath: "/usr/bin/chromium", headless: true, args: ARGS, viewport: { width: 1280, height: 900 }, acceptDownloads: true, ...opts });
    contexts.push(ctx);
    await ctx.exposeFunction("__cspViolation", (s: string) => problems.push(`${name}: CSP ${s}`));
    await ctx.addInitScript('document.addEventListener("securitypolicyviolation", (e) => window.__cspViolation(e.violatedDirective + " " + e.blockedURI + " on " + document.location.pathname));');
    ctx.on("console", (m) => {
      // Chromium logs the status of a page answered 400/403/404 on purpose (a refused form or sign-in, a
      // refused role, a missing page: each asserted where it happens); nothing else may be logged.
      if (m.type() === "error" && !/^Failed to load resource: the server responded with a status of 40[0134] /.test(m.text())) problems.push(`${name}: console ${m.type()}: ${m.text()} (${m.location().url})`);
    });
    ctx.on("weberror", (e) => problems.push(`${name}: page error: ${e.error().message}`));
    return ctx;
  }

  async function signIn(ctx: BrowserContext, username: string): Promise<Page> {
    const u = users.get(username)!;
    const page = await ctx.newPage();
    await page.goto(`${base}/login`);
    await page.fill("#username", username);
    await page.fill("#password", u.password);
    await page.fill("#code", totpCode(u.secret, Date.now()));
    await page.click("#login-form button[type=submit]");
    await page.waitForURL(`${base}/`);
    return page;
  }

  /** Screenshot, horizontal-scroll and (in the axe context) accessibility check of the page shown now. */
  async function check(page: Page, axePage: Page | undefined, name: string, width: number): Promise<void> {
    const screenshot = `${name}-${width}.png`;
    await page.screenshot({ path: join(ARTIFACTS, screenshot), fullPage: true });
    const scrollWidth = (await page.evaluate("document.documentElement.scrollWidth")) as number;
    if (width === 390) expect(scrollWidth, `${name} scrolls sideways at 390 px`).toBeLessThanOrEqual(390);
    let axe: PageCheck["axe"] = { serious: 0, critical: 0, moderate: 0, minor: 0, ids: [] };
    if (axePage) {
      await axePage.setViewportSize({ width, height: 900 });
      await axePage.goto(page.url());
      await axePage.addScriptTag({ content: AXE });
      const found = (await axePage.evaluate("axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) })))")) as { id: string; impact: string; nodes: string[] }[];
      const count = (i: string) => found.filter((v) => v.impact === i).length;
      axe = { serious: count("serious"), critical: count("critical"), moderate: count("moderate"), minor: count("minor"), ids: found.map((v) => `${v.impact}:${v.id} ${v.nodes.join(", ")}`) };
    }
    results.push({ page: name, width, screenshot, axe, scrollWidth });
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), "gh-pages-"));
    const yaml = `site: "Acme Answering — Phoenix"\ntimezone: America/Phoenix\ndata_dir: ${dir}\nconsole: { listen: "127.0.0.1:8080", tls: off }\nmonitors:\n  firewall: {}\ndoors:\n  business_hours: { mon-fri: "07:00-19:00" }\n  sensors:\n    - { id: server-room, name: "Server room", input: { webhook: { secret_file: ${dir}/k } } }\n`;
    writeFileSync(join(dir, "gatehouse.yaml"), yaml);
    const parsed = parseConfigText(yaml, join(dir, "gatehouse.yaml"));
    const config = { ...parsed, console: { ...parsed.console, listen: { host: "127.0.0.1", port: 0 } } };
    db = openStore(dir);
    const key = loadOrCreateConsoleKey(dir);
    const now = Date.now();
    for (const [username, role] of [["boss", "admin"], ["axe", "admin"], ["ada", "admin"], ["mia", "manager"], ["vera", "viewer"]] as const) {
      const password = `${username} walks the quiet river 42`;
      const secret = newTotpSecret();
      insertUser(db, { username, role, passwordHash: await hashPassword(password), totpSecretSealed: seal(key, secret), totpLastStep: 0, createdBy: "test", now });
      users.set(username, { role, password, secret });
    }
    // Thirty days of firewall checks (a bad spell in the middle), then a drift with no baseline.
    const fw = MONITORS.find((m) => m.id === "firewall")!;
    const facts = Object.fromEntries(fw.baselineFacts.map((k, i) => [k, i % 2 ? ["22/tcp", "443/tcp"] : "v1"]));
    for (let d = 30; d >= 1; d--) {
      const status = d > 12 && d < 16 ? "fail" : d === 20 ? "warn" : "pass";
      seedObservation(db, { monitor: "firewall", startedAt: now - d * DAY, durationMs: 5, status, outcome: "ok", evidence: "nft list ruleset", facts, findings: status === "pass" ? [] : [{ rule: "firewall.ipv4_filtered", kind: "policy", status, message: "IPv4 inbound traffic is not filtered", facts: [] }] });
    }
    seedObservation(db, {
      monitor: "firewall", startedAt: now - 60_000, durationMs: 5, status: "fail", outcome: "ok", evidence: "nft list ruleset\n<script>alert(1)</script>", facts,
      findings: [
        { rule: "firewall.baseline_missing", kind: "drift", status: "warn", message: "no approved baseline, so changes cannot be detected", facts: [] },
        { rule: "firewall.ipv4_filtered", kind: "policy", status: "fail", message: "IPv4 inbound traffic is not filtered: add `policy drop` to the input chain", facts: [] },
      ],
    });
    // A patches check with a long package list (the facts table once squeezed names to two characters).
    const pkgs = Array.from({ length: 150 }, (_, i) => `libexample-security-package-${i}:amd64`);
    seedObservation(db, { monitor: "patches", startedAt: now - 120_000, durationMs: 900, status: "warn", outcome: "ok", evidence: "apt-get -s dist-upgrade", facts: { "patches.pending_security": pkgs, "patches.pending_security_count": 150, "patches.reboot_required": false, "patches.os_id": "debian" }, findings: [{ rule: "patches.security_pending", kind: "policy", status: "warn", message: "150 security updates pending; run `apt-get upgrade`", facts: [] }] });
    seedObservation(db, { monitor: "tls", startedAt: now - 130_000, durationMs: 1, status: "unknown", outcome: "not_applicable", error: "no endpoints or certificate files configured", evidence: "", facts: {}, findings: [{ rule: "tls.not_applicable", kind: "probe", status: "unknown", message: "no endpoints or certificate files configured", facts: [] }] });
    seedObservation(db, { monitor: "inventory", startedAt: now - 140_000, durationMs: 800, status: "pass", outcome: "ok", evidence: "systeminformation", facts: { "inventory.hostname": "gatehouse-box", "inventory.disks": ["sda 256 GB (LUKS)"] }, findings: [] });
    const alert = db.prepare("INSERT INTO alerts (key, source, rule, severity, state, message, opened_at) VALUES (?, 'firewall', ?, ?, 'firing', ?, ?)");
    alert.run("k1", "firewall.info", "info", "Firewall ruleset re-read", now - 5000);
    alert.run("k2", "firewall.ipv4_filtered", "critical", "IPv4 inbound traffic is not filtered: add `policy drop`", now - 4000);
    alert.run("k3", "firewall.other", "warning", "A second <b>warning</b>", now - 3000);
    const door = db.prepare("INSERT INTO door_events (sensor_id, source, received_at, payload_sha256, state, outcome) VALUES ('server-room', 'webhook', ?, 'x', 'open', ?)");
    for (let d = 0; d < 30; d += 3) door.run(now - d * DAY - 3600_000, d % 9 === 0 ? "alarm" : "business_hours");
    db.prepare("INSERT INTO door_state (sensor_id, state, since, last_seen_at, online) VALUES ('server-room', 'closed', ?, ?, 1)").run(now - 3600_000, now - 60_000);
    server = await startConsole(config, { db, log: { debug() {}, info() {}, warn() {}, error() {} }, version: "browser-test", routes: [], onEnqueued() {} });
    base = `http://127.0.0.1:${server.port}`;
  }, 60_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await new Promise<void>((r) => (server ? server.server.close(() => r()) : r()));
    db?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (results.length) writeFileSync(join(ARTIFACTS, "..", "axe.json"), `${JSON.stringify(results, null, 2)}\n`);
  });

  it("a manager keeps every register and makes an evidence report; an alert is acknowledged and a baseline approved with htmx", { timeout: 240_000 }, async () => {
    const ctx = await newContext("manager");
    const page = await signIn(ctx, "mia");
    const csv = join(dir, "upload.csv");
    const forms: Record<string, Record<string, string>> = {
      baa: { covered_entity: "Desert Clinic", contact: "Dr. Ames", signed_on: "2026-01-05", expires_on: "2027-01-04", copy_location: "binder 3" },
      training: { person: "Ann Lee", training: "HIPAA security basics", completed_on: "2026-03-01" },
      access_review: { reviewed_on: "2026-10-01", reviewer: "Mia", accounts: "boss, mia, vera", changes: "none" },
      restore_test: { tested_on: "2026-11-01", backup_set: "nightly", result: "pass", restore_hours: "2.5", tested_by: "Mia" },
      incident: { occurred_on: "2026-11-20", description: "Phishing mail clicked at reception", actions: "Password reset" },
    };
    for (const [register, fields] of Object.entries(forms)) {
      await page.goto(`${base}/compliance/${register}`);
      for (const [name, value] of Object.entries(fields)) {
        const sel = `#add-${name}`;
        if (name === "result") await page.selectOption(sel, value);
        else await page.fill(sel, value);
      }
      await page.click("#add-form button[type=submit]");
      await page.waitForURL(/done=added/);
      expect(await page.textContent("#register-rows"), register).toContain(Object.values(fields)[0]!);
      // Edit the entry.
      await page.click("#register-rows li:first-child h3 a");
      const first = Object.keys(fields).find((k) => !/_on$|result|restore_hours/.test(k))!;
      await page.fill(`#edit-${first}`, `${fields[first]} (edited)`);
      await page.click("#edit-form button[type=submit]");
      await page.waitForURL(/done=saved/);
      expect(await page.inputValue(`#edit-${first}`)).toBe(`${fields[first]} (edited)`);
      expect(await page.textContent("#register-history")).toContain(`register.${register}.update`);
      // Close what closes (incidents, BAAs).
      if (await page.locator("#close-form").count()) {
        await page.click("#close-form button");
        await page.waitForURL(/done=closed/);
      }
      // CSV: a file with a bad row shows the row's error and changes nothing; a good one imports.
      await page.goto(`${base}/compliance/${register}`);
      const head = Object.keys(fields).join(",");
      writeFileSync(csv, `${head}\n${Object.keys(fields).map(() => "not-a-date").join(",")}\n`);
      await page.setInputFiles("#import-file", csv);
      await page.click("#import-form button[type=submit]");
      await page.waitForSelector("#import-errors");
      expect(await page.textContent("#import-errors")).toMatch(/Line 2: /);
      writeFileSync(csv, `${head}\n${Object.values(fields).map((v) => `"${v}"`).join(",")}\n`);
      await page.setInputFiles("#import-file", csv);
      await page.click("#import-form button[type=submit]");
      await page.waitForURL(/done=imported&added=1/);
      expect(await page.locator("#register-rows > li").count()).toBe(2);
      const download = page.waitForEvent("download");
      await page.click("#export-link");
      const text = readFileSync((await (await download).path())!, "utf8");
      expect(text.split(/\r?\n/)[0]).toContain(`id,${Object.keys(forms[register]!)[0]}`);
    }
    expect(db.prepare("SELECT closed_on FROM compliance_incidents WHERE id = 1").get()).toMatchObject({ closed_on: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });

    // An evidence report for a period: generated, listed, downloaded, verified on upload.
    await page.goto(`${base}/compliance/reports`);
    const today = new Date().toISOString().slice(0, 10);
    await page.fill("#report-from", new Date(Date.now() - 30 * DAY).toISOString().slice(0, 10));
    await page.fill("#report-to", today);
    await page.click("#report-form button[type=submit]");
    await page.waitForURL(/generated=/);
    const link = page.locator("#report-files a[href$='.html']").first();
    const dl = page.waitForEvent("download");
    await link.click();
    const reportPath = (await (await dl).path())!;
    await page.setInputFiles("#verify-file", { name: "evidence.html", mimeType: "text/html", buffer: readFileSync(reportPath) });
    await page.click("#verify-form button[type=submit]");
    await page.waitForSelector("#verify-result");
    expect(await page.textContent("#verify-result")).toContain("is intact: exactly the report generated by user:mia");

    // Acknowledge the critical alert (htmx swaps the list) — listed first, most severe.
    await page.goto(`${base}/alerts`);
    expect(await page.locator("#alerts-firing li .alert, #alerts-firing li").first().getAttribute("class")).toContain("sev-critical");
    await page.fill("#alerts-firing li:first-child input[name=note]", "rules restored");
    await page.click("#alerts-firing li:first-child button[type=submit]");
    await page.waitForSelector("#alerts-acknowledged li");
    expect(await page.textContent("#alerts-acknowledged")).toContain("rules restored");

    // An admin approves the firewall baseline; the fragment comes back without "no approved baseline".
    const admin = await signIn(await newContext("admin-approve"), "ada");
    await admin.goto(`${base}/monitors/firewall`);
    expect(await admin.textContent("#monitor-findings")).toContain("no approved baseline");
    await admin.fill("#reason", "reviewed the rules");
    await admin.click("#approve-form button[type=submit]");
    await admin.waitForSelector("#monitor-live .notice-ok");
    expect(await admin.textContent("#monitor-findings")).not.toContain("no approved baseline");
    expect(problems).toEqual([]);
  });

  it("a viewer reads the registers and is refused changes", { timeout: 60_000 }, async () => {
    const ctx = await newContext("viewer");
    const page = await signIn(ctx, "vera");
    await page.goto(`${base}/compliance/baa`);
    expect(await page.locator("#add-form").count()).toBe(0);
    expect(await page.locator("#import-form").count()).toBe(0);
    // A change posted anyway (as a tampered page would): refused and recorded.
    const status = await page.evaluate(`fetch("/compliance/baa", { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: "covered_entity=X&signed_on=2026-01-01" }).then((r) => r.status)`);
    expect(status).toBe(403);
    const refused = await page.goto(`${base}/users`);
    expect(refused!.status()).toBe(403);
    await page.screenshot({ path: join(ARTIFACTS, "viewer-refused-390.png"), fullPage: true });
    // Both refusals are recorded: the first as its own row, the second counted into the next (one row a minute per user).
    expect(db.prepare("SELECT target FROM audit WHERE action = 'access.denied' AND actor = 'user:vera' ORDER BY id").all()).toEqual([{ target: "POST /compliance/baa" }]);
    expect(problems).toEqual([]);
  });

  it("every page at 1280 and 390 px: no CSP violation, no console error, no sideways scroll, no serious axe finding", { timeout: 300_000 }, async () => {
    const page = await signIn(await newContext("admin"), "boss");
    const axePage = await signIn(await newContext("axe", { bypassCSP: true }), "axe");
    const anon = await (await newContext("anonymous")).newPage();
    const paths: [string, string, Page][] = [
      ["/", "overview", page],
      ["/alerts", "alerts", page],
      ["/compliance", "compliance-scorecard", page],
      ["/compliance/baa", "register-baa", page],
      ["/compliance/training", "register-training", page],
      ["/compliance/access_review", "register-access-review", page],
      ["/compliance/restore_test", "register-restore-test", page],
      ["/compliance/incident", "register-incident", page],
      ["/compliance/incident/1", "register-entry", page],
      ["/compliance/reports", "evidence-reports", page],
      ["/doors", "doors", page],
      ["/monitors", "monitors", page],
      ["/monitors/firewall", "monitor-firewall", page],
      ["/monitors/patches", "monitor-patches", page],
      ["/monitors/tls", "monitor-tls-not-applicable", page],
      ["/monitors/inventory", "monitor-inventory", page],
      ["/computers", "computers", page],
      ["/users", "users", page],
      ["/audit", "audit", page],
      ["/settings", "settings", page],
      ["/account", "account", page],
      ["/nowhere", "not-found", page],
      ["/login", "login", anon],
    ];
    for (const width of WIDTHS) {
      for (const p of [page, anon]) await p.setViewportSize({ width, height: 900 });
      for (const [path, name, p] of paths) {
        await p.goto(`${base}${path}`);
        await check(p, p === anon ? undefined : axePage, name, width);
      }
      // The login page through axe too (signed out: its own context).
      const anonAxe = await (await newContext(`anonymous-axe-${width}`, { bypassCSP: true })).newPage();
      await anonAxe.setViewportSize({ width, height: 900 });
      await anonAxe.goto(`${base}/login`);
      await anonAxe.addScriptTag({ content: AXE });
      const v = (await anonAxe.evaluate("axe.run(document).then((r) => r.violations.map((v) => v.impact + ':' + v.id))")) as string[];
      results.find((r) => r.page === "login" && r.width === width)!.axe = { serious: v.filter((x) => x.startsWith("serious")).length, critical: v.filter((x) => x.startsWith("critical")).length, moderate: v.filter((x) => x.startsWith("moderate")).length, minor: v.filter((x) => x.startsWith("minor")).length, ids: v };
    }
    // The axe check itself works: an image without a text alternative is reported.
    await axePage.goto(`${base}/alerts`);
    await axePage.addScriptTag({ content: AXE });
    await axePage.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=\"/static/favicon.svg\">')");
    expect(await axePage.evaluate("axe.run(document).then((r) => r.violations.map((v) => v.id))")).toContain("image-alt");

    // A rejected password keeps the typed user name, and the message is a sentence.
    await anon.goto(`${base}/login`);
    await anon.fill("#username", "vera");
    await anon.fill("#password", "not her password at all");
    await anon.fill("#code", "123456");
    await anon.click("#login-form button[type=submit]");
    await anon.waitForSelector("#login-error");
    expect(await anon.inputValue("#username")).toBe("vera");

    // The patches facts keep a readable name column (it once was two characters wide, the page
    // 6,887 px tall): long lists fold behind their count.
    for (const [width, maxHeight] of [[1280, 3000], [390, 5000]] as const) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${base}/monitors/patches`);
      const nameWidth = (await page.evaluate("document.querySelector('#facts th').getBoundingClientRect().width")) as number;
      const height = (await page.evaluate("document.documentElement.scrollHeight")) as number;
      expect(nameWidth, `facts name column at ${width} px`).toBeGreaterThan(width * 0.3);
      expect(height, `patches page height at ${width} px`).toBeLessThan(maxHeight);
    }

    const bad = results.filter((r) => r.axe.serious + r.axe.critical > 0);
    expect(bad.map((r) => `${r.page}@${r.width}: ${r.axe.ids.join("; ")}`)).toEqual([]);
    expect(results).toHaveLength(paths.length * WIDTHS.length);
    expect(problems).toEqual([]);
  });
});
