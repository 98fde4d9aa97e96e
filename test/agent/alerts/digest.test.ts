import { describe, expect, it } from "vitest";
import { buildDigest, enqueueDigestIfDue, localDayTime } from "../../../src/agent/alerts/digest.js";
import { controlMapper } from "../../../src/agent/alerts/controls.js";
import type { Notification } from "../../../src/agent/alerts/notification.js";
import { renderSubject, renderText } from "../../../src/agent/notify/render.js";
import type { Db } from "../../../src/agent/store/db.js";
import { memDb, outbox } from "./helpers.js";

const controlOf = controlMapper([
  { id: "firewall", control: "firewall" },
  { id: "patches", control: "updates" },
]);

function state(db: Db, monitor: string, rule: string, status: string, message: string, at: number) {
  db.prepare("INSERT INTO finding_state (key, monitor, rule, subject, kind, status, message, since, last_seen) VALUES (?, ?, ?, '', 'policy', ?, ?, ?, ?)").run(
    `${monitor}|${rule}|`,
    monitor,
    rule,
    status,
    message,
    at,
    at,
  );
}

// 07:30 in Phoenix (UTC-7, no DST) is 14:30 UTC.
const AT_0730_PHX = Date.UTC(2026, 10, 28, 14, 30);

describe("daily digest", () => {
  it("lists every control, watched or not, and says so when all is green", () => {
    const db = memDb();
    state(db, "firewall", "firewall.enabled", "pass", "on", AT_0730_PHX);
    const d = buildDigest(db, controlOf);
    expect(d.map((e) => e.control)).toEqual(["antivirus", "firewall", "updates", "backups", "physical", "wifi", "accounts", "least-privilege", "passwords", "two-factor", "transmission", "audit", "inventory"]);
    expect(d.find((e) => e.control === "firewall")).toMatchObject({ status: "pass", open: 0, detail: "1 check pass, last 2026-11-28T14:30Z" });
    expect(d.find((e) => e.control === "wifi")).toMatchObject({ status: "unwatched" });
    const n: Notification = { event: "digest", site: "Acme Phoenix", at: AT_0730_PHX, items: [], digest: d };
    expect(renderSubject(n)).toBe("[Gatehouse][DIGEST OK] Acme Phoenix: all watched controls pass");
    expect(renderText(n)).toContain("PASS      firewall         1 check pass");
  });

  it("shows failing controls with their open alerts (doors count for physical)", () => {
    const db = memDb();
    state(db, "firewall", "firewall.enabled", "fail", "firewall disabled", AT_0730_PHX);
    state(db, "patches", "patches.pending", "warn", "3 security updates pending", AT_0730_PHX);
    db.prepare("INSERT INTO alerts (key, source, rule, severity, state, message, opened_at) VALUES ('doors|doors.offline|lobby', 'doors', 'doors.offline', 'warning', 'firing', 'Lobby sensor offline', 0)").run();
    const d = buildDigest(db, controlOf);
    expect(d.find((e) => e.control === "physical")).toMatchObject({ status: "warn", open: 1, detail: "Lobby sensor offline" });
    expect(renderSubject({ event: "digest", site: "S", at: 0, items: [], digest: d })).toBe("[Gatehouse][DIGEST CRITICAL] S: 3 controls need attention (firewall, updates, physical)");
  });

  it("is queued once per local day at or after the configured time, and after a missed slot", () => {
    const db = memDb();
    const opts = { channel: "digest", at: "07:30", timezone: "America/Phoenix", site: "S", controlOf };
    expect(localDayTime(AT_0730_PHX, "America/Phoenix")).toEqual({ day: "2026-11-28", time: "07:30" });
    expect(enqueueDigestIfDue(db, { ...opts, now: AT_0730_PHX - 60_000 })).toBeUndefined();
    expect(enqueueDigestIfDue(db, { ...opts, now: AT_0730_PHX })).toBeTypeOf("number");
    expect(enqueueDigestIfDue(db, { ...opts, now: AT_0730_PHX + 60_000 })).toBeUndefined();
    expect(enqueueDigestIfDue(db, { ...opts, now: AT_0730_PHX + 10 * 3_600_000 })).toBeUndefined(); // 17:30 same day
    // Next day the daemon was down at 07:30 and comes back at 09:00: sent then.
    expect(enqueueDigestIfDue(db, { ...opts, now: AT_0730_PHX + 86_400_000 + 90 * 60_000 })).toBeTypeOf("number");
    const rows = outbox(db);
    expect(rows.map((r) => [r.event, r.channel, r.group_key])).toEqual([
      ["digest", "digest", null],
      ["digest", "digest", null],
    ]);
    expect(rows[0]!.message_id).toMatch(/^<digest-2026-11-28-[0-9a-f-]+@gatehouse>$/);
  });
});
