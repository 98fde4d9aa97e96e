import { afterEach, describe, expect, it } from "vitest";
import { createServer } from "node:http";
import { parseAlertsConfig } from "../../../src/agent/alerts/config.js";
import { applyFindings } from "../../../src/agent/alerts/engine.js";
import { alertingTick } from "../../../src/agent/jobs/alerting.js";
import { runComplianceEvaluation } from "../../../src/agent/compliance/evaluate.js";
import { addRegisterRow, updateRegisterRow } from "../../../src/agent/compliance/registers.js";
import { nullLogger } from "../../../src/kit/log.js";
import { alerts, ctx, finding, memDb, MIN, outbox } from "../alerts/helpers.js";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

describe("alerting tick (the daemon's minute job)", () => {
  it("settles flap windows, queues the digest once a day and pings the heartbeat when due", async () => {
    let pings = 0;
    const server = createServer((_q, r) => {
      pings++;
      r.writeHead(200).end();
    });
    const port = await new Promise<number>((r) => server.listen(0, "127.0.0.1", () => r((server.address() as { port: number }).port)));
    closers.push(() => new Promise((r) => server.close(() => r())));
    const a = parseAlertsConfig({
      email: { smtp: { host: "127.0.0.1" }, from: "g@example.org", to: ["it@example.org"] },
      digest: { at: "07:30" },
      heartbeat: { url: `http://127.0.0.1:${port}/ping`, every: "5m" },
      flap_window: "10m",
    });
    const db = memDb();
    const t0 = Date.UTC(2026, 10, 28, 14, 0); // 07:00 in Phoenix
    db.transaction(() => applyFindings(db, ctx(t0), "firewall", [finding("firewall.disabled", "fail")], true))();
    db.transaction(() => applyFindings(db, ctx(t0 + MIN), "firewall", [], true))();
    let kicks = 0;
    let clock = t0 + 2 * MIN;
    const deps = { db, config: { site: "Acme Phoenix", timezone: "America/Phoenix", alerts: a }, routes: [{ channel: "email", minSeverity: "warning" as const }], log: nullLogger, kick: () => kicks++, now: () => clock };
    expect(await alertingTick(deps)).toEqual({ resolved: 0, reminders: 0, digest: false, heartbeat: true });
    clock = t0 + 11 * MIN;
    expect(await alertingTick(deps)).toEqual({ resolved: 1, reminders: 0, digest: false, heartbeat: true });
    expect(alerts(db)[0]!.state).toBe("resolved");
    clock = t0 + 12 * MIN;
    expect(await alertingTick(deps)).toEqual({ resolved: 0, reminders: 0, digest: false, heartbeat: undefined });
    clock = t0 + 30 * MIN; // 07:30 local
    expect(await alertingTick(deps)).toEqual({ resolved: 0, reminders: 0, digest: true, heartbeat: true });
    clock = t0 + 31 * MIN;
    expect((await alertingTick(deps)).digest).toBe(false);
    expect(outbox(db).map((r) => r.event)).toEqual(["firing", "resolved", "digest"]);
    expect(pings).toBe(3);
    expect(kicks).toBe(2);
  });

  it("queues a reminder for an alert still firing after renotify_after, not before", async () => {
    const a = parseAlertsConfig({ email: { smtp: { host: "127.0.0.1" }, from: "g@example.org", to: ["it@example.org"] }, renotify_after: "4h", group_wait: "0s" });
    const db = memDb();
    const t0 = Date.UTC(2026, 10, 28, 14, 0);
    db.transaction(() => applyFindings(db, ctx(t0), "firewall", [finding("firewall.disabled", "fail")], true))();
    let clock = t0 + 239 * MIN;
    let kicks = 0;
    const deps = { db, config: { site: "Acme Phoenix", timezone: "America/Phoenix", alerts: a }, routes: [{ channel: "email", minSeverity: "warning" as const }], log: nullLogger, kick: () => kicks++, now: () => clock };
    expect((await alertingTick(deps)).reminders).toBe(0);
    clock = t0 + 240 * MIN;
    expect((await alertingTick(deps)).reminders).toBe(1);
    clock = t0 + 241 * MIN;
    expect((await alertingTick(deps)).reminders).toBe(0);
    expect(outbox(db).map((r) => r.event)).toEqual(["firing", "reminder"]);
    expect(kicks).toBe(1);
  });

  it("re-evaluates register findings within a minute of a register change, not at the next 06:00", async () => {
    const a = parseAlertsConfig({ email: { smtp: { host: "127.0.0.1" }, from: "g@example.org", to: ["it@example.org"] }, flap_window: "0", group_wait: "0" });
    const db = memDb();
    const t0 = Date.UTC(2026, 10, 28, 15, 0);
    const c = { ...ctx(t0), policy: { flapWindowMs: 0, groupWaitMs: 0 } };
    runComplianceEvaluation(db, c, { timezone: "UTC" }); // the 06:00 run: no BAA yet
    let clock = t0 + MIN;
    const deps = { db, config: { site: "Acme Phoenix", timezone: "UTC", alerts: a }, routes: [{ channel: "email", minSeverity: "warning" as const }], log: nullLogger, kick: () => undefined, now: () => clock };
    const mia = { name: "user:mia", role: "manager" as const };
    const row = addRegisterRow(db, mia, "baa", { covered_entity: "Saguaro Family Care", signed_on: "2024-01-01", expires_on: "2026-11-01" }, clock);
    clock += MIN;
    await alertingTick(deps);
    const baa = () => db.prepare("SELECT state, severity FROM alerts WHERE rule = 'compliance.baa_expired'").get();
    expect(baa()).toEqual({ state: "firing", severity: "critical" });
    updateRegisterRow(db, mia, "baa", row.id, { covered_entity: "Saguaro Family Care", signed_on: "2026-11-20", expires_on: "2028-11-20" }, clock);
    clock += MIN;
    await alertingTick(deps);
    expect(baa()).toEqual({ state: "resolved", severity: "critical" });
    // Nothing changed since: the next tick does not evaluate again.
    const observations = () => (db.prepare("SELECT count(*) AS n FROM observations WHERE monitor = 'compliance'").get() as { n: number }).n;
    const before = observations();
    clock += MIN;
    await alertingTick(deps);
    expect(observations()).toBe(before);
  });
});
