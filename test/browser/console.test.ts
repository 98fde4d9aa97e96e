/**
 * The console in Debian's Chromium, driven by playwright-core: first-admin setup with TOTP
 * enrollment (codes computed here with otpauth), sign-in, overview, acknowledging an alert,
 * approving a baseline, a viewer refused, and no CSP violation on any page. A screenshot of each
 * page goes to test-artifacts/console/. Runs over plain HTTP on 127.0.0.1 (the demo setup), which
 * also proves the `__Host-` Secure cookie works there.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfigText } from "../../src/agent/config/load.js";
import { openStore, type Db } from "../../src/agent/store/db.js";
import { seedObservation } from "../helpers/observations.js";
import { approveBaseline } from "../../src/agent/baseline.js";
import { MONITORS } from "../../src/monitors/index.js";
import { totpCode } from "../../src/web/auth/totp.js";
import { startConsole, type ConsoleServer } from "../../src/web/server.js";
import { canRun } from "../helpers/require-tool.js";

const ARTIFACTS = join(process.cwd(), "test-artifacts", "console");
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

describe.runIf(canRun({ tools: ["chromium"] }))("console in Chromium", () => {
  let dir: string;
  let db: Db;
  let server: ConsoleServer;
  let base: string;
  const contexts: BrowserContext[] = [];
  const violations: string[] = [];
  let adminCreds: { username: string; password: string; recovery: string } | undefined;

  async function newContext(opts: { javaScriptEnabled?: boolean } = {}, sink: string[] = violations): Promise<BrowserContext> {
    const userDataDir = mkdtempSync(join(tmpdir(), "gh-chromium-"));
    const ctx = await chromium.launchPersistentContext(userDataDir, { executablePath: "/usr/bin/chromium", headless: true, args: ARGS, viewport: { width: 412, height: 900 }, ...opts });
    contexts.push(ctx);
    await ctx.exposeFunction("__cspViolation", (s: string) => sink.push(s));
    // (page code is passed as strings: this project compiles without the DOM library)
    await ctx.addInitScript(
      'document.addEventListener("securitypolicyviolation", (e) => window.__cspViolation(e.violatedDirective + " " + e.blockedURI + " on " + document.location.pathname));',
    );
    ctx.on("console", (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) sink.push(m.text());
    });
    ctx.on("weberror", (e) => sink.push(`page error: ${e.error().message}`));
    return ctx;
  }

  async function shot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), "gh-browser-"));
    const parsed = parseConfigText(
      `site: "Acme <i>Answering</i>"\ntimezone: America/Phoenix\ndata_dir: ${dir}\nconsole: { listen: "127.0.0.1:8080", tls: off }\nmonitors:\n  firewall: {}\ndoors:\n  sensors:\n    - { id: server-room, name: "Server <b>room</b>", input: { webhook: { secret_file: ${dir}/k } } }\n`,
      join(dir, "gatehouse.yaml"),
    );
    const config = { ...parsed, console: { ...parsed.console, listen: { host: "127.0.0.1", port: 0 } } };
    db = openStore(dir);
    // A drifted firewall and a firing alert for the flows below.
    const fw = MONITORS.find((m) => m.id === "firewall")!;
    const [k1, k2] = fw.baselineFacts as readonly string[];
    const t = Date.now() - 60_000;
    seedObservation(db, { monitor: "firewall", startedAt: t - 60_000, durationMs: 5, status: "pass", outcome: "ok", evidence: "nft list ruleset", facts: { [k1!]: "v1", [k2!]: ["22/tcp"] }, findings: [] });
    approveBaseline(db, fw, { [k1!]: "v1", [k2!]: ["22/tcp"] }, { actor: "os:root", reason: "install", now: t - 60_000 });
    seedObservation(db, {
      monitor: "firewall",
      startedAt: t,
      durationMs: 5,
      status: "fail",
      outcome: "ok",
      evidence: "nft list ruleset\n<script>alert(1)</script>",
      facts: { [k1!]: "v2", [k2!]: ["22/tcp", "3389/tcp"] },
      findings: [{ rule: "firewall.drift", kind: "drift", status: "fail", message: "ruleset differs from the approved baseline", facts: [k2!] }],
    });
    db.prepare("INSERT INTO alerts (key, source, rule, severity, state, message, opened_at) VALUES ('firewall|firewall.drift|', 'firewall', 'firewall.drift', 'critical', 'firing', 'Firewall ruleset drifted: <b>3389/tcp</b> opened', ?)").run(t);
    server = await startConsole(config, { db, log: { debug() {}, info() {}, warn() {}, error() {} }, version: "browser-test", routes: [], onEnqueued() {} });
    base = `http://127.0.0.1:${server.port}`;
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await new Promise<void>((r) => (server ? server.server.close(() => r()) : r()));
    db?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("sets up the first admin, signs in, acknowledges, approves a baseline, and refuses a viewer — without a CSP violation", { timeout: 180_000 }, async () => {
    const admin = await newContext();
    const page = await admin.newPage();

    // 1. First admin through the one-time setup link, with TOTP enrollment.
    const link = /http:\/\/\S+\/enroll\/[A-Za-z0-9_-]{22}/.exec(readFileSync(join(dir, "setup-link.txt"), "utf8"))![0]!.replace(/^http:\/\/[^/]+/, base);
    await page.goto(link);
    await shot(page, "01-setup");
    const qrOk = await page.evaluate("document.querySelector('img.qr').naturalWidth > 0");
    expect(qrOk).toBe(true);
    const secret = (await page.textContent("#totp-secret"))!.trim();
    const password = "correct horse battery staple 42";
    await page.fill("#username", "boss");
    await page.fill("#password", password);
    await page.fill("#password2", password);
    await page.fill("#code", totpCode(secret, Date.now()));
    await page.click("#enroll-form button[type=submit]");
    await page.waitForSelector("#recovery-codes");
    expect(await page.locator("#recovery-codes li").count()).toBe(10);
    adminCreds = { username: "boss", password, recovery: (await page.locator("#recovery-codes code").first().textContent())!.trim() };
    await shot(page, "02-recovery-codes");

    // 2. Sign in (the enrollment code's step is used up: the next step's code is within the window).
    await page.goto(`${base}/login`);
    await shot(page, "03-login");
    await page.fill("#username", "boss");
    await page.fill("#password", password);
    await page.fill("#code", totpCode(secret, Date.now() + 30_000));
    await page.click("#login-form button[type=submit]");
    await page.waitForURL(`${base}/`);
    const cookies = await admin.cookies(base);
    const session = cookies.find((c) => c.name === "__Host-gh_session")!;
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: "Strict", path: "/" });

    // 3. Overview: twelve checklist tiles and five register tiles, firewall failing, htmx loaded from the daemon.
    expect(await page.locator("#overview-tiles li.tile").count()).toBe(17);
    expect(await page.getAttribute("#control-firewall", "data-status")).toBe("fail");
    expect(await page.evaluate("typeof window.htmx")).toBe("object");
    expect(await page.evaluate("window.htmx.config.allowEval")).toBe(false);
    expect(await page.evaluate("window.htmx.config.includeIndicatorStyles")).toBe(false);
    await shot(page, "04-overview");
    // Keyboard: the first Tab lands on the skip link, Enter moves focus to the content.
    await page.keyboard.press("Tab");
    expect(await page.evaluate("document.activeElement.className")).toBe("skip");
    await page.keyboard.press("Enter");
    expect(await page.evaluate("document.activeElement.id")).toBe("main");
    // The polled fragment swaps in place (trigger it now rather than waiting 15 s).
    const polled = page.waitForResponse((r) => r.url() === `${base}/` && r.request().headers()["hx-request"] === "true");
    await page.evaluate("window.htmx.ajax('GET', '/', { target: '#overview-tiles', swap: 'outerHTML' })");
    const frag = await (await polled).text();
    expect(frag.startsWith('<section id="overview-tiles"')).toBe(true);
    expect(await page.locator("#overview-tiles li.tile").count()).toBe(17);

    // 4. Acknowledge the alert with a note (htmx swaps the list).
    await page.goto(`${base}/alerts`);
    await shot(page, "05-alerts");
    await page.fill("input[name=note]", "looking into it");
    await page.click("#alerts-firing button[type=submit]");
    await page.waitForSelector("#alerts-acknowledged li");
    expect(await page.textContent("#alerts-acknowledged")).toContain("looking into it");
    await shot(page, "06-alerts-acknowledged");

    // 5. Approve the firewall baseline with a reason.
    await page.goto(`${base}/monitors/firewall`);
    expect(await page.locator("#drift ins").allTextContents()).toContain("3389/tcp");
    await shot(page, "07-monitor");
    await page.fill("#reason", "RDP opened for the new billing PC");
    await page.click("#approve-form button[type=submit]");
    // htmx swaps the findings and baseline in place (the plain form post redirects instead).
    await page.waitForSelector("#monitor-live .notice-ok");
    expect(await page.textContent("main")).toContain("Baseline approved");
    expect(await page.locator("#drift").count()).toBe(0);

    // 6. The other pages render (screenshots), markup in names shown as text.
    for (const [path, name] of [
      ["/doors", "08-doors"],
      ["/users", "09-users"],
      ["/audit", "10-audit"],
      ["/settings", "11-settings"],
      ["/account", "12-account"],
    ] as const) {
      await page.goto(`${base}${path}`);
      await shot(page, name);
    }
    await page.goto(`${base}/doors`);
    expect(await page.textContent("#sensor-server-room")).toContain("Server <b>room</b>");
    await page.goto(`${base}/audit`);
    expect(await page.textContent("#audit-verify")).toContain("Hash chain intact");
    expect(await page.textContent("#audit-table")).toContain("baseline.approve");

    // 7. Invite a viewer, enroll them in a separate browser, and see them refused on an admin page.
    await page.goto(`${base}/users`);
    await page.fill("#new-username", "vera");
    await page.selectOption("#new-role", "viewer");
    await page.click("#add-user-form button[type=submit]");
    const invite = (await page.textContent("#enroll-link code"))!.trim();
    const viewerCtx = await newContext();
    const vp = await viewerCtx.newPage();
    await vp.goto(invite);
    const vSecret = (await vp.textContent("#totp-secret"))!.trim();
    await vp.fill("#password", "quiet river stones at dusk 9");
    await vp.fill("#password2", "quiet river stones at dusk 9");
    await vp.fill("#code", totpCode(vSecret, Date.now()));
    await vp.click("#enroll-form button[type=submit]");
    await vp.waitForSelector("#recovery-codes");
    await vp.goto(`${base}/login`);
    await vp.fill("#username", "vera");
    await vp.fill("#password", "quiet river stones at dusk 9");
    await vp.fill("#code", totpCode(vSecret, Date.now() + 30_000));
    await vp.click("#login-form button[type=submit]");
    await vp.waitForURL(`${base}/`);
    const refused = await vp.goto(`${base}/users`);
    expect(refused!.status()).toBe(403);
    expect(await vp.textContent("#message")).toContain("needs the admin role");
    await shot(vp, "13-viewer-refused");
    await vp.goto(`${base}/alerts`);
    expect(await vp.locator("form[action$='/ack']").count()).toBe(0);
    expect((db.prepare("SELECT count(*) AS n FROM audit WHERE action = 'access.denied' AND actor = 'user:vera'").get() as { n: number }).n).toBe(1);

    // 8. Sign out ends the session.
    await page.click("form.logout button");
    await page.waitForURL(/\/login/);
    await page.goto(`${base}/`);
    expect(page.url()).toContain("/login");

    expect(violations).toEqual([]);

    // The detector itself works: an inline style injected in a separate browser is reported.
    const probe: string[] = [];
    const probeCtx = await newContext({}, probe);
    const pp = await probeCtx.newPage();
    await pp.goto(`${base}/login`);
    await pp.evaluate("document.head.insertAdjacentHTML('beforeend', '<style>body{color:red}</style>')");
    await expect.poll(() => probe.length).toBeGreaterThan(0);
    await probeCtx.close();
    expect(violations).toEqual([]);
  });

  it("works without JavaScript: sign in, read the overview, acknowledge with a plain form post", { timeout: 120_000 }, async () => {
    expect(adminCreds).toBeDefined();
    db.prepare("INSERT INTO alerts (key, source, rule, severity, state, message, opened_at) VALUES ('k-nojs', 'firewall', 'firewall.other', 'warning', 'firing', 'second alert', ?)").run(Date.now());
    const ctx = await newContext({ javaScriptEnabled: false });
    // Under Referrer-Policy: same-origin the browser's own form posts carry the real Origin (the
    // CSRF check refuses "null", which Chromium sent under the former no-referrer policy).
    const posts: Promise<string>[] = [];
    ctx.on("request", (r) => {
      if (r.method() === "POST") posts.push(r.allHeaders().then((h) => `${h["origin"] ?? "(none)"} ${h["sec-fetch-site"] ?? "(none)"}`));
    });
    const page = await ctx.newPage();
    await page.goto(`${base}/login`);
    await page.fill("#username", adminCreds!.username);
    await page.fill("#password", adminCreds!.password);
    await page.fill("#code", adminCreds!.recovery); // a single-use recovery code this time
    await page.click("#login-form button[type=submit]");
    await page.waitForURL(`${base}/`);
    expect(await page.locator("#overview-tiles li.tile").count()).toBe(17);
    await page.goto(`${base}/alerts`);
    await page.fill("#alerts-firing input[name=note]", "checked without JavaScript");
    await page.click("#alerts-firing button[type=submit]");
    await page.waitForURL(`${base}/alerts`);
    expect(await page.textContent("#alerts-acknowledged")).toContain("checked without JavaScript");
    await shot(page, "14-no-javascript-alerts");
    expect(await Promise.all(posts)).toEqual([`${base} same-origin`, `${base} same-origin`]);
    expect(violations).toEqual([]);
  });
});
