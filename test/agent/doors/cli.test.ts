/** `gatehouse doors`, `doors simulate`, `doors onsite` through the CLI dispatcher on a temp config. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../../src/commands/index.js";
import { localTime } from "../../../src/kit/time.js";
import { openStore } from "../../../src/agent/store/db.js";
import { verifyAudit } from "../../../src/agent/audit.js";

const dir = mkdtempSync(join(tmpdir(), "gh-doors-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, "lobby.key"), "0123456789abcdef0123\n", { mode: 0o600 });
const config = join(dir, "gatehouse.yaml");
writeFileSync(
  config,
  `site: "Acme Answering"
timezone: America/New_York
data_dir: ${join(dir, "data")}
doors:
  business_hours: { mon-fri: "07:00-19:00" }
  sensors:
    - { id: closet, name: "Wiring closet", policy: always, input: { webhook: { secret_file: ${join(dir, "lobby.key")} } } }
    - { id: lobby, name: "Lobby", input: { webhook: { secret_file: ${join(dir, "lobby.key")} } } }
`,
);

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main([...argv, "--config", config], { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("gatehouse doors CLI", () => {
  it("lists sensors (unknown state at first)", async () => {
    const r = await cli("doors");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ID\s+NAME\s+INPUT\s+STATE/m);
    expect(r.out).toMatch(/^closet\s+Wiring closet\s+webhook\s+unknown/m);
  });

  it("simulate open on an always-alarm door raises the alarm; list shows it; closed resolves; audited", async () => {
    const open = await cli("doors", "simulate", "closet", "open");
    expect(open).toMatchObject({ code: 0 });
    expect(open.out).toMatch(/closet: open — ALARM raised/);
    const list = await cli("doors", "--json");
    const parsed = JSON.parse(list.out);
    expect(parsed.sensors.find((s: { id: string }) => s.id === "closet")).toMatchObject({ state: "open", alerts: ["doors.restricted_open (critical)"] });
    const closed = await cli("doors", "simulate", "closet", "closed");
    expect(closed.out).toMatch(/closet: closed — closed/);
    const db = openStore(join(dir, "data"));
    try {
      expect((db.prepare("SELECT action, target FROM audit WHERE action = 'doors.simulate'").all() as unknown[]).length).toBe(2);
      expect(db.prepare("SELECT source, state FROM door_events ORDER BY id").all()).toEqual([
        { source: "simulate", state: "open" },
        { source: "simulate", state: "closed" },
      ]);
    } finally {
      db.close();
    }
  });

  it("simulate refuses unknown sensors and bad states with usage errors", async () => {
    expect(await cli("doors", "simulate", "attic", "open")).toMatchObject({ code: 3, err: expect.stringMatching(/unknown door sensor "attic"; configured: closet, lobby/) });
    expect(await cli("doors", "simulate", "closet", "ajar")).toMatchObject({ code: 3, err: expect.stringMatching(/usage: gatehouse doors simulate/) });
    expect(await cli("doors", "frobnicate")).toMatchObject({ code: 3 });
  });

  it("onsite: declares (audited), shows in the list, cancels; refuses bad input", async () => {
    const later = localTime(Date.now() + 2 * 3_600_000, "America/New_York");
    const hhmm = `${String(Math.floor(later.minutes / 60)).padStart(2, "0")}:${String(later.minutes % 60).padStart(2, "0")}`;
    const r = await cli("doors", "onsite", "--until", hhmm, "--by", "Maria Lopez", "--reason", "month-end billing");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/on site until .* Maria Lopez — month-end billing \[#1\]/);
    expect((await cli("doors")).out).toMatch(/on site until .*Maria Lopez/);
    expect(await cli("doors", "onsite", "--until", "9pm", "--by", "M", "--reason", "x")).toMatchObject({ code: 3, err: expect.stringMatching(/expected a time like 21:30/) });
    expect(await cli("doors", "onsite", "--until", hhmm)).toMatchObject({ code: 3, err: expect.stringMatching(/--until, --by and --reason are required/) });
    expect(await cli("doors", "onsite", "--cancel", "1")).toMatchObject({ code: 0, out: "on-site declaration #1 cancelled" });
    expect(await cli("doors", "onsite", "--cancel", "1")).toMatchObject({ code: 1 });
    const db = openStore(join(dir, "data"));
    try {
      expect((db.prepare("SELECT action FROM audit WHERE action LIKE 'doors.onsite.%' ORDER BY id").all() as Array<{ action: string }>).map((a) => a.action)).toEqual([
        "doors.onsite.declare",
        "doors.onsite.cancel",
      ]);
      expect(verifyAudit(db)).toMatchObject({ ok: true });
    } finally {
      db.close();
    }
  });
});
