import { afterEach, describe, expect, it, vi } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAlertsConfig } from "../../../src/agent/alerts/config.js";
import { applyFindings, enqueueReminders } from "../../../src/agent/alerts/engine.js";
import { listDeliveryAttempts, listNotices } from "../../../src/agent/alerts/manage.js";
import type { Notification } from "../../../src/agent/alerts/notification.js";
import { emailChannel } from "../../../src/agent/notify/email.js";
import { backoffMs, DeliveryWorker, mergeItems } from "../../../src/agent/notify/worker.js";
import type { Db } from "../../../src/agent/store/db.js";
import { nullLogger } from "../../../src/kit/log.js";
import { ctx, finding, memDb, MIN, outbox, T0 } from "../alerts/helpers.js";
import { freePort, startSilent, startSmtp, type SmtpPeer } from "./peers.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function plainEmail(port: number, name = "email", extra: Record<string, unknown> = {}) {
  const cfg = parseAlertsConfig({
    email: { smtp: { host: "127.0.0.1", port, require_tls: false, greeting_timeout: "1s", connection_timeout: "1s", socket_timeout: "2s" }, from: "gatehouse@example.org", to: ["it@example.org"], ...extra },
  }).email[0]!;
  return emailChannel(cfg, { name });
}

/** A worker on a fake clock; the test moves `clock.now`. */
function worker(db: Db, channels: ReturnType<typeof plainEmail>[]) {
  const clock = { now: T0 };
  const w = new DeliveryWorker(db, { channels, log: nullLogger, now: () => clock.now, random: () => 0.5 });
  cleanups.push(() => w.stop());
  return { w, clock };
}

function fire(db: Db, now: number, source: string, rule: string, routes = [{ channel: "email", minSeverity: "warning" as const }]) {
  db.transaction(() => applyFindings(db, ctx(now, routes), source, [finding(rule, "fail", `${rule} failed`)], true))();
}

const uniqueIds = (p: SmtpPeer) => new Set(p.received.map((r) => r.messageId));

describe("durable delivery with a real SMTP server", () => {
  it("server down while 50 alerts fire: all 50 delivered exactly once after it returns", async () => {
    const port = await freePort();
    const db = memDb();
    const { w, clock } = worker(db, [plainEmail(port)]);
    for (let i = 0; i < 50; i++) {
      clock.now = T0 + i * MIN;
      fire(db, clock.now, `m${i}`, `m${i}.broken`);
      clock.now += 30_000; // group_wait passed: each notice goes alone (the next comes a minute later)
      await w.drain();
    }
    const failed = listNotices(db, { pending: true });
    expect(failed).toHaveLength(50);
    expect(failed.every((n) => n.attempts >= 1 && /ECONNREFUSED/.test(n.lastError ?? ""))).toBe(true);

    const peer = await startSmtp({ port, plaintextOnly: true });
    cleanups.push(() => peer.close());
    clock.now += 2 * 60 * MIN; // past every backoff
    await w.drain();
    expect(peer.received).toHaveLength(50);
    expect(uniqueIds(peer).size).toBe(50);
    expect(new Set(peer.received.map((r) => r.messageId))).toEqual(new Set(outbox(db).map((r) => r.message_id)));
    expect(listNotices(db, { pending: true })).toHaveLength(0);
    // Nothing more goes out later: sent means sent.
    clock.now += 5 * 60 * MIN;
    await w.drain();
    expect(peer.received).toHaveLength(50);
    // The history keeps every failure and the success.
    const attempts = listDeliveryAttempts(db, { outboxId: outbox(db)[0]!.id });
    expect(attempts.at(0)).toMatchObject({ ok: true, error: null });
    expect(attempts.slice(1).every((a) => !a.ok && /ECONNREFUSED/.test(a.error ?? ""))).toBe(true);
  });

  it("a server that accepts and never answers: that channel times out and retries while other mail keeps flowing", async () => {
    const silent = await startSilent();
    cleanups.push(() => silent.close());
    const good = await startSmtp({ plaintextOnly: true });
    cleanups.push(() => good.close());
    const db = memDb();
    const routes = [
      { channel: "stuck", minSeverity: "warning" as const },
      { channel: "email", minSeverity: "warning" as const },
    ];
    const { w, clock } = worker(db, [plainEmail(silent.port, "stuck"), plainEmail(good.port, "email")]);
    fire(db, clock.now, "firewall", "firewall.disabled", routes);
    clock.now += 30_000;
    w.start();
    // The good server gets its mail while the silent one still holds its connection.
    await vi.waitFor(() => expect(good.received).toHaveLength(1), { timeout: 10_000, interval: 20 });
    expect(listNotices(db).find((n) => n.channel === "stuck")).toMatchObject({ sentAt: null, attempts: 0 });
    await vi.waitFor(() => expect(listNotices(db).find((n) => n.channel === "stuck")?.attempts).toBe(1), { timeout: 10_000, interval: 20 });
    const stuck = listNotices(db).find((n) => n.channel === "stuck")!;
    expect(stuck.lastError).toMatch(/email failed: .*(greeting|timeout)/i);
    expect(stuck.nextAttemptAt).toBe(clock.now + backoffMs(1, () => 0.5));
    // More mail keeps flowing while the stuck one waits for its retry.
    clock.now += MIN;
    fire(db, clock.now, "backups", "backups.stale", routes);
    clock.now += 30_000;
    w.kick();
    await vi.waitFor(() => expect(good.received).toHaveLength(2), { timeout: 10_000, interval: 20 });
    // And the stuck one is retried when due.
    await vi.waitFor(() => expect(listNotices(db).find((n) => n.channel === "stuck" && n.id === stuck.id)?.attempts).toBe(2), { timeout: 10_000, interval: 20 });
    expect(silent.connections).toBeGreaterThanOrEqual(2);
  });

  it("keeps the Message-ID stable across retries", async () => {
    const port = await freePort();
    const db = memDb();
    const { w, clock } = worker(db, [plainEmail(port)]);
    fire(db, clock.now, "firewall", "firewall.disabled");
    clock.now += 30_000;
    await w.drain();
    await w.drain();
    const peer = await startSmtp({ port, plaintextOnly: true });
    cleanups.push(() => peer.close());
    clock.now += 60 * MIN;
    await w.drain();
    expect(peer.received.map((r) => r.messageId)).toEqual([outbox(db)[0]!.message_id]);
  });

  it("200 identical failures within five minutes: one grouped email, reminders no more often than renotify_after", async () => {
    const peer = await startSmtp({ plaintextOnly: true });
    cleanups.push(() => peer.close());
    const db = memDb();
    const { w, clock } = worker(db, [plainEmail(peer.port)]);
    // The same door held open 200 times in five minutes, closed in between (flapping).
    for (let i = 0; i < 399; i++) {
      clock.now = T0 + i * 750;
      const status = i % 2 === 0 ? "fail" : "pass";
      db.transaction(() => applyFindings(db, ctx(clock.now), "doors", [finding("doors.held_open", status, "Back door held open", { subject: "back-door" })], true))();
      if (i % 10 === 0) await w.drain();
    }
    clock.now = T0 + 5 * MIN;
    await w.drain();
    expect(peer.received).toHaveLength(1);
    expect(peer.received[0]!.subject).toBe("[Gatehouse][CRITICAL] Acme Phoenix (edge-01): Back door held open");
    expect(db.prepare("SELECT count(*) AS n, max(flap_count) AS flaps FROM alerts").get()).toEqual({ n: 1, flaps: 199 });

    // Twelve hours of minute ticks with the door still failing: reminders every 4 h, no more.
    const R = 4 * 60 * MIN;
    for (let t = clock.now; t <= T0 + 12 * 60 * MIN + 5 * MIN; t += MIN) {
      clock.now = t;
      db.transaction(() => enqueueReminders(db, ctx(t), R))();
      await w.drain();
    }
    const sent = outbox(db).filter((r) => r.sent_at !== null);
    expect(sent.map((r) => r.event)).toEqual(["firing", "reminder", "reminder", "reminder"]);
    for (let i = 1; i < sent.length; i++) expect(sent[i]!.sent_at! - sent[i - 1]!.sent_at!).toBeGreaterThanOrEqual(R);
    expect(peer.received).toHaveLength(4);
  });

  it("200 different warnings within group_wait: one email listing all 200", async () => {
    const peer = await startSmtp({ plaintextOnly: true });
    cleanups.push(() => peer.close());
    const db = memDb();
    const { w, clock } = worker(db, [plainEmail(peer.port)]);
    for (let i = 0; i < 200; i++) {
      clock.now = T0 + i * 100; // 20 s in all
      db.transaction(() => applyFindings(db, ctx(clock.now), "doors", [finding("doors.battery_low", "warn", `Door ${i} battery is low`, { subject: `door-${i}` })], true))();
      await w.drain();
    }
    expect(peer.received).toHaveLength(0);
    clock.now = T0 + 30_000;
    await w.drain();
    expect(peer.received).toHaveLength(1);
    expect(peer.received[0]!.subject).toBe("[Gatehouse][WARNING] Acme Phoenix (edge-01): 200 problems (doors)");
    const carrier = outbox(db).find((r) => r.merged_into === null)!;
    expect((JSON.parse(carrier.payload_json) as Notification).items).toHaveLength(200);
    expect(outbox(db).filter((r) => r.merged_into === carrier.id)).toHaveLength(199);
  });

  it("records auth failures for the console and does not mark them sent", async () => {
    const peer = await startSmtp({ plaintextOnly: true, auth: { user: "alerts", pass: "right" } });
    cleanups.push(() => peer.close());
    const db = memDb();
    const dir = mkdtempSync(join(tmpdir(), "gatehouse-pw-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, "pw"), "wrong");
    const bad = emailChannel(
      parseAlertsConfig({ email: { smtp: { host: "127.0.0.1", port: peer.port, require_tls: false, user: "alerts", password_file: join(dir, "pw") }, from: "g@example.org", to: ["it@example.org"] } }).email[0]!,
      { name: "email" },
    );
    const { w, clock } = worker(db, [bad]);
    fire(db, clock.now, "firewall", "firewall.disabled");
    clock.now += 30_000;
    await w.drain();
    const [a] = listDeliveryAttempts(db);
    expect(a).toMatchObject({ ok: false, channel: "email" });
    expect(a!.error).toMatch(/^email failed: 535 /);
    expect(listNotices(db)[0]).toMatchObject({ sentAt: null, attempts: 1 });
    expect(peer.received).toHaveLength(0);
  });
});

describe("worker pieces", () => {
  it("backoff doubles from 15 s and caps at 30 min", () => {
    expect([1, 2, 3, 8, 20].map((n) => backoffMs(n, () => 0.5))).toEqual([15_000, 30_000, 60_000, 1_800_000, 1_800_000]);
  });

  it("mergeItems keeps one entry per alert, the latest", () => {
    const it = (alertId: number | null, message: string) => ({ alertId, severity: "warning" as const, source: "s", rule: "r", subject: "", message, since: 0 });
    expect(mergeItems([[it(1, "a"), it(null, "t")], [it(2, "b"), it(1, "a2"), it(null, "t2")]]).map((i) => i.message)).toEqual(["a2", "t", "b", "t2"]);
  });

  it.each(["{not json", "null", '{"items":"nope"}', ""])("a damaged stored notice %j is recorded as failed and does not stop the others", async (garbage) => {
    const peer = await startSmtp({ plaintextOnly: true });
    cleanups.push(() => peer.close());
    const db = memDb();
    const { w, clock } = worker(db, [plainEmail(peer.port)]);
    fire(db, clock.now, "firewall", "firewall.disabled");
    fire(db, clock.now, "backups", "backups.stale");
    db.prepare("UPDATE outbox SET payload_json = ? WHERE id = 1").run(garbage);
    clock.now += 30_000;
    await w.drain();
    expect(peer.received).toHaveLength(1);
    expect(outbox(db).map((r) => r.group_key)).toEqual([null, null]);
    const damaged = listNotices(db).find((n) => n.id === 1)!;
    expect(damaged).toMatchObject({ sentAt: null, attempts: 1, lastError: "the stored notice is damaged (not valid JSON); it cannot be sent" });
  });

  it("a row for a channel that is no longer configured fails visibly", async () => {
    const db = memDb();
    const { w, clock } = worker(db, []);
    fire(db, clock.now, "firewall", "firewall.disabled");
    clock.now += 30_000;
    await w.drain();
    expect(listNotices(db)[0]!.lastError).toBe('channel "email" is not configured any more');
  });
});
