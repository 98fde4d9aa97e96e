/**
 * Renders the evidence report of a seeded 90-day history in headless Chromium: every section
 * visible, the embedded print styles applied, no script errors, a screenshot and a PDF (the
 * browser's print) kept under test-artifacts/ for people to look at.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderEvidenceReportHtml } from "../../views/reports/evidence-report.js";
import { generateEvidenceReport, type ReportSeal } from "../../src/agent/compliance/report.js";
import { loadOrCreateReportKey } from "../../src/agent/compliance/report-key.js";
import { openDatabase } from "../../src/agent/store/db.js";
import { canRun } from "../helpers/require-tool.js";
import { NOW, PERIOD, seedNinetyDays, SEED_MONITORS, TZ } from "../agent/compliance/seed.js";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = resolve("test-artifacts");

describe.skipIf(!canRun({ tools: [CHROMIUM] }))("evidence report in Chromium", () => {
  let browser: BrowserContext;
  let profile: string;
  let file: string;
  let seal: ReportSeal;
  let keyDir: string;

  beforeAll(async () => {
    const db = openDatabase(":memory:");
    seedNinetyDays(db);
    keyDir = mkdtempSync(join(tmpdir(), "gh-report-key-"));
    const g = generateEvidenceReport(db, { site: "Acme Answering — Phoenix", timezone: TZ, ...PERIOD, now: NOW, actor: "os:auditor", monitors: SEED_MONITORS, key: loadOrCreateReportKey(keyDir), render: renderEvidenceReportHtml });
    seal = g.seal;
    db.close();
    mkdirSync(ARTIFACTS, { recursive: true });
    file = join(ARTIFACTS, "evidence-report.html");
    writeFileSync(file, g.html.text);
    writeFileSync(join(ARTIFACTS, "evidence-report.json"), g.json.text);
    profile = mkdtempSync(join(tmpdir(), "gatehouse-chromium-"));
    // A fresh profile each run (playwright takes it as the persistent context's directory).
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1200, height: 900 },
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
  });

  it("shows every section with the embedded styles, runs no script, and prints", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    const requests: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href);

    await expect(page.title()).resolves.toBe("HIPAA security evidence — Acme Answering — Phoenix — 2026-03-17 to 2026-06-14");
    for (const id of ["summary", "controls", "alerts", "baselines", "doors", "registers", "audit", "seal"]) {
      expect(await page.locator(`#${id}`).isVisible(), id).toBe(true);
    }
    expect(await page.locator("#control-firewall .state-red").first().textContent()).toBe("Red");
    // The embedded stylesheet applies (escaping did not break it): red badge background.
    // (tsconfig has no DOM lib: the page-side code is typed by hand.)
    const bg = await page.locator("#control-firewall h3 .state").evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(el).backgroundColor);
    expect(bg).toBe("rgb(255, 214, 214)");
    expect(await page.locator("#register-baa td", { hasText: "<script>alert('x')</script> Clinic" }).count()).toBe(1);
    expect(await page.evaluate("document.scripts.length")).toBe(0);
    expect(await page.locator("#alerts tr").count()).toBeGreaterThan(2);
    expect(await page.locator("#doors").textContent()).toContain("Quarterly UPS battery swap");
    expect(await page.locator("#audit").textContent()).toContain("verified unbroken");
    expect(requests.filter((u) => !u.startsWith("file:"))).toEqual([]);
    expect(errors).toEqual([]);

    await page.screenshot({ path: join(ARTIFACTS, "evidence-report.png"), fullPage: true });
    await page.emulateMedia({ media: "print" });
    // The seal survives printing: digest, fingerprint and signature are printed text, not metadata.
    expect(await page.locator("#seal").isVisible()).toBe(true);
    const printed = (await page.locator("#seal").textContent()) ?? "";
    for (const s of [seal.contentSha256, seal.keyFingerprint, seal.signature]) expect(printed).toContain(s);
    expect(await page.locator("#summary").textContent()).toContain(seal.contentSha256);
    await page.pdf({ path: join(ARTIFACTS, "evidence-report.pdf"), format: "A4", printBackground: true });
    expect(statSync(join(ARTIFACTS, "evidence-report.png")).size).toBeGreaterThan(10_000);
    expect(statSync(join(ARTIFACTS, "evidence-report.pdf")).size).toBeGreaterThan(10_000);
    await page.close();
  }, 120_000);
});
