/**
 * GET /metrics: parsed with a Prometheus text-format parser; figures come from the store;
 * only loopback peers or holders of the bearer token get in.
 */
import { serve, type ServerType } from "@hono/node-server";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAlertsConfig } from "../../src/agent/alerts/config.js";
import { applyFindings } from "../../src/agent/alerts/engine.js";
import { run } from "../../src/kit/exec.js";
import { nullLogger } from "../../src/kit/log.js";
import { metricsApp } from "../../src/agent/metrics.js";
import { emailChannel } from "../../src/agent/notify/email.js";
import { DeliveryWorker } from "../../src/agent/notify/worker.js";
import { canRun } from "../helpers/require-tool.js";
import { startSmtp } from "../agent/notify/peers.js";
import { nightlyBackup } from "../../src/agent/store/backup.js";
import { openStore, type Db } from "../../src/agent/store/db.js";
import { insertObservation } from "../../src/agent/store/observations.js";

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);
const TOKEN = "s3cret-token-for-prometheus-0123456789";
const LOCAL = { incoming: { socket: { remoteAddress: "127.0.0.1" } } };
const REMOTE = { incoming: { socket: { remoteAddress: "192.0.2.7" } } };

function seed(db: Db) {
  const obs = (monitor: string, status: "pass" | "warn" | "fail" | "unknown", outcome: "ok" | "error", startedAt: number, durationMs: number) =>
    insertObservation(db, { monitor, startedAt, durationMs, status, outcome, evidence: "", facts: {}, findings: [] });
  obs("firewall", "pass", "ok", NOW - 600_000, 120);
  obs("firewall", "fail", "ok", NOW - 60_000, 250); // the latest counts
  obs("patches", "warn", "ok", NOW - 30_000, 4_500);
  obs("backups", "unknown", "error", NOW - 10_000, 60_000);
  const alert = db.prepare(
    "INSERT INTO alerts (key, source, rule, severity, state, message, opened_at) VALUES (?, ?, ?, ?, ?, 'm', ?)",
  );
  const a1 = Number(alert.run("firewall|drift|", "firewall", "firewall.drift", "critical", "firing", NOW - 60_000).lastInsertRowid);
  alert.run("patches|pending|", "patches", "patches.pending", "warning", "acknowledged", NOW - 30_000);
  alert.run("old|x|", "patches", "patches.old", "warning", "resolved", NOW - 90_000_000);
  const out = db.prepare(
    "INSERT INTO outbox (alert_id, event, channel, message_id, payload_json, created_at, attempts, next_attempt_at, sent_at) VALUES (?, 'firing', ?, ?, '{}', ?, ?, ?, ?)",
  );
  out.run(a1, "email", "m1", NOW - 120_000, 3, NOW, null);
  out.run(a1, "webhook", "m2", NOW - 60_000, 0, NOW, null);
  out.run(a1, "email", "m3", NOW - 600_000, 1, NOW, NOW - 500_000);
  db.prepare("INSERT INTO door_state (sensor_id, state, online, last_seen_at) VALUES (?, ?, 1, ?), (?, ?, 0, ?)").run("server-room", "closed", NOW - 5_000, "back-door", "open", NOW - 9_000_000);
}

type Families = ReturnType<typeof parsePrometheusTextFormat>;
function value(families: Families, name: string, labels: Record<string, string> = {}): number | undefined {
  const f = families.find((x) => x.name === name);
  const m = f?.metrics.find((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v));
  return m?.value === undefined ? undefined : Number(m.value);
}

describe("GET /metrics", () => {
  const dir = mkdtempSync(join(tmpdir(), "gh-metrics-"));
  const tokenFile = join(dir, "metrics.token");
  let db: Db;
  let app: ReturnType<typeof metricsApp>;

  beforeAll(async () => {
    writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    db = openStore(join(dir, "data"));
    seed(db);
    await nightlyBackup(db, join(dir, "data"), { now: new Date(NOW) });
    app = metricsApp({
      db,
      controls: new Map([
        ["firewall", "firewall"],
        ["patches", "updates"],
        ["backups", "backups"],
      ]),
      site: "Acme Answering — Phoenix",
      version: "0.1.0",
      dataDir: join(dir, "data"),
      tokenFile,
      now: () => NOW,
    });
  });
  afterAll(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves the exposition format that a Prometheus parser reads", async () => {
    const res = await app.request("/metrics", { headers: { Authorization: `Bearer ${TOKEN}` } }, LOCAL);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const families = parsePrometheusTextFormat(await res.text());
    const names = families.map((f) => f.name);
    for (const n of [
      "gatehouse_info",
      "gatehouse_monitor_status",
      "gatehouse_monitor_probe_success",
      "gatehouse_monitor_check_duration_seconds",
      "gatehouse_monitor_last_check_timestamp_seconds",
      "gatehouse_control_status",
      "gatehouse_alerts",
      "gatehouse_alerts_firing",
      "gatehouse_outbox_pending_messages",
      "gatehouse_outbox_oldest_pending_age_seconds",
      "gatehouse_door_state",
      "gatehouse_db_last_backup_timestamp_seconds",
      "process_cpu_user_seconds_total",
      "process_resident_memory_bytes",
      "nodejs_eventloop_lag_seconds",
    ]) {
      expect(names, n).toContain(n);
    }
    expect(value(families, "gatehouse_info", { version: "0.1.0", site: "Acme Answering — Phoenix" })).toBe(1);

    expect(value(families, "gatehouse_monitor_status", { monitor: "firewall", control: "firewall", status: "fail" })).toBe(1);
    expect(value(families, "gatehouse_monitor_status", { monitor: "firewall", status: "pass" })).toBe(0);
    expect(value(families, "gatehouse_monitor_status", { monitor: "patches", control: "updates", status: "warn" })).toBe(1);
    expect(value(families, "gatehouse_monitor_probe_success", { monitor: "backups" })).toBe(0);
    expect(value(families, "gatehouse_monitor_probe_success", { monitor: "firewall" })).toBe(1);
    expect(value(families, "gatehouse_monitor_check_duration_seconds", { monitor: "patches" })).toBe(4.5);
    expect(value(families, "gatehouse_monitor_last_check_timestamp_seconds", { monitor: "firewall" })).toBe((NOW - 60_000) / 1000);
    expect(value(families, "gatehouse_control_status", { control: "updates", status: "warn" })).toBe(1);
    expect(value(families, "gatehouse_control_status", { control: "backups", status: "unknown" })).toBe(1);

    expect(value(families, "gatehouse_alerts", { state: "firing", severity: "critical", source: "firewall" })).toBe(1);
    expect(value(families, "gatehouse_alerts", { state: "acknowledged", severity: "warning", source: "patches" })).toBe(1);
    expect(families.find((f) => f.name === "gatehouse_alerts")!.metrics).toHaveLength(2); // resolved ones are not open
    expect(value(families, "gatehouse_alerts_firing")).toBe(1);

    expect(value(families, "gatehouse_outbox_pending_messages", { channel: "email" })).toBe(1);
    expect(value(families, "gatehouse_outbox_pending_messages", { channel: "webhook" })).toBe(1);
    expect(value(families, "gatehouse_outbox_failed_attempts_messages", { channel: "email" })).toBe(1);
    expect(value(families, "gatehouse_outbox_oldest_pending_age_seconds")).toBe(120);

    expect(value(families, "gatehouse_door_state", { sensor: "back-door", state: "open" })).toBe(1);
    expect(value(families, "gatehouse_door_state", { sensor: "back-door", state: "closed" })).toBe(0);
    expect(value(families, "gatehouse_door_state", { sensor: "server-room", state: "closed" })).toBe(1);
    expect(value(families, "gatehouse_door_online", { sensor: "back-door" })).toBe(0);
    expect(value(families, "gatehouse_door_last_seen_timestamp_seconds", { sensor: "server-room" })).toBe((NOW - 5_000) / 1000);
    expect(value(families, "gatehouse_db_last_backup_timestamp_seconds")).toBeGreaterThan(0);
  });

  it("asks every caller for the bearer token once a token file is configured", async () => {
    // With a token file, loopback needs it too (a local reverse proxy makes everyone look local).
    for (const env of [REMOTE, LOCAL, undefined]) {
      const none = await app.request("/metrics", {}, env);
      expect(none.status).toBe(401);
      expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect(await none.text()).not.toContain("gatehouse_");
      const wrong = await app.request("/metrics", { headers: { Authorization: "Bearer not-the-token-at-all-000" } }, env);
      expect(wrong.status).toBe(401);
      const right = await app.request("/metrics", { headers: { Authorization: `Bearer ${TOKEN}` } }, env);
      expect(right.status).toBe(200);
    }
  });

  it("without a token file only loopback gets in", async () => {
    const open = metricsApp({ db, processMetrics: false });
    expect((await open.request("/metrics", {}, { incoming: { socket: { remoteAddress: "::1" } } })).status).toBe(200);
    expect((await open.request("/metrics", { headers: { Authorization: "Bearer anything-anything" } }, REMOTE)).status).toBe(401);
  });

  it("a missing or short token file is a start-up error", () => {
    expect(() => metricsApp({ db, tokenFile: join(dir, "absent") })).toThrow(/metrics token file .*ENOENT/);
    const short = join(dir, "short.token");
    writeFileSync(short, "abc\n");
    expect(() => metricsApp({ db, tokenFile: short })).toThrow(/at least 16 characters/);
  });

  it("works behind the real node server (peer address from the socket)", async () => {
    const m = metricsApp({ db, processMetrics: false });
    const server = await new Promise<{ s: ServerType; port: number }>((resolve) => {
      const s = serve({ fetch: m.fetch, hostname: "127.0.0.1", port: 0 }, (info) => resolve({ s, port: info.port }));
    });
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(res.status).toBe(200);
      expect(value(parsePrometheusTextFormat(await res.text()), "gatehouse_alerts_firing")).toBe(1);
    } finally {
      await new Promise<void>((r) => server.s.close(() => r()));
    }
  });
});

describe("metrics tell the truth about the outbox", () => {
  it("a grouped mail delivered leaves nothing pending (folded rows went with it), so NotificationsStuck cannot fire", async () => {
    const peer = await startSmtp({ plaintextOnly: true });
    const dir = mkdtempSync(join(tmpdir(), "gh-metrics-group-"));
    const db = openStore(join(dir, "data"));
    let now = NOW;
    const email = emailChannel(parseAlertsConfig({ email: { smtp: { host: "127.0.0.1", port: peer.port, require_tls: false }, from: "g@example.org", to: ["it@example.org"] } }).email[0]!, { name: "email" });
    const worker = new DeliveryWorker(db, { channels: [email], log: nullLogger, now: () => now });
    try {
      for (const m of ["patches", "backups", "wifi", "tls"]) {
        db.transaction(() => applyFindings(db, { site: "Acme", routes: [{ channel: "email", minSeverity: "warning" }], now, policy: { groupWaitMs: 30_000 } }, m, [{ rule: `${m}.x`, kind: "policy", status: "warn", message: `${m} needs a look`, facts: [] }], true))();
        now += 1000;
      }
      now += 30_000;
      await worker.drain();
      expect(peer.received).toHaveLength(1); // one grouped message for the four
      now += 3_600_000;
      const text = await (await metricsApp({ db, processMetrics: false, now: () => now }).request("/metrics", {}, LOCAL)).text();
      const families = parsePrometheusTextFormat(text);
      expect(value(families, "gatehouse_outbox_pending_messages", { channel: "email" })).toBeUndefined();
      expect(value(families, "gatehouse_outbox_oldest_pending_age_seconds")).toBe(0);
      expect((db.prepare("SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL").get() as { n: number }).n).toBe(0);
    } finally {
      await worker.stop();
      db.close();
      await peer.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!canRun({ tools: ["promtool"] }))("promtool check metrics (Debian's prometheus package)", () => {
  it("passes clean, process metrics included", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gh-promtool-"));
    const db = openStore(join(dir, "data"));
    try {
      seed(db);
      const res = await metricsApp({ db, dataDir: join(dir, "data"), site: "Acme", version: "0.1.0", now: () => NOW }).request("/metrics", {}, LOCAL);
      const text = await res.text();
      expect(text).toContain("nodejs_active_handles");
      const r = await run("promtool", ["check", "metrics"], { input: text, okExitCodes: [0, 1, 3] });
      expect(`${r.stdout}${r.stderr}`.trim()).toBe("");
      expect(r.code).toBe(0);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the shipped alerting rules pass promtool check rules", async () => {
    const rules = join(import.meta.dirname, "../../systemd/examples/prometheus-rules.yml");
    const r = await run("promtool", ["check", "rules", rules]);
    expect(r.stdout).toMatch(/SUCCESS: \d+ rules found/);
  });
});
