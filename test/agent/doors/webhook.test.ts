/** The webhook sub-app through app.request(): signatures, window, replays, size, garbage. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { recentDoorEvents } from "../../../src/agent/store/doors.js";
import { doorWebhookApp, loadWebhookSecrets, signDoorEvent } from "../../../src/agent/doors/webhook.js";
import { clock, engineFor, memoryDb, openAlerts, quiet } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "gh-webhook-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SECRET = "lobby-secret-0123456789abcdef";
writeFileSync(join(dir, "lobby.key"), `${SECRET}\n`, { mode: 0o600 });
writeFileSync(join(dir, "short.key"), "short\n", { mode: 0o600 });

function setup() {
  const db = memoryDb();
  const c = clock("2026-11-28T03:00:00Z"); // after hours
  const engine = engineFor(
    db,
    {
      business_hours: { "mon-fri": "07:00-19:00" },
      sensors: [
        { id: "lobby", name: "Lobby", input: { webhook: { secret_file: join(dir, "lobby.key") } } },
        { id: "server-room", input: { mqtt: { topic: "z/s" } } },
      ],
    },
    () => c.now,
  );
  const app = doorWebhookApp({ db, engine, log: quiet, now: () => c.now });
  const post = (body: string, opts: { id?: string; ts?: number; secret?: string; sig?: string; headers?: Record<string, string> } = {}) => {
    const ts = String(opts.ts ?? Math.floor(c.now / 1000));
    return app.request(`/api/doors/${opts.id ?? "lobby"}/events`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-gatehouse-timestamp": ts,
        "x-gatehouse-signature": opts.sig ?? signDoorEvent(opts.secret ?? SECRET, ts, opts.id ?? "lobby", body),
        ...opts.headers,
      },
      body,
    });
  };
  return { db, c, engine, app, post };
}

describe("door webhook", () => {
  it("good signature → 202, event recorded, after-hours alarm raised", async () => {
    const { db, post } = setup();
    const res = await post('{"id":"acs-1001","state":"open"}');
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ accepted: true, outcome: "alarm" });
    expect(recentDoorEvents(db)[0]).toMatchObject({ sensorId: "lobby", source: "webhook", state: "open" });
    expect(openAlerts(db).map((a) => a.rule)).toEqual(["doors.after_hours_open"]);
  });

  it("bad signature, wrong secret, missing or malformed headers → 401 with no detail, nothing recorded", async () => {
    const { db, post } = setup();
    const body = '{"id":"acs-1","state":"open"}';
    const cases = [
      await post(body, { secret: "another-secret-0123456789" }),
      await post(body, { sig: "sha256=" + "0".repeat(64) }),
      await post(body, { sig: "sha256=abc" }),
      await post(body, { sig: signDoorEvent(SECRET, "1", "lobby", body) }),
      await post(body, { sig: "" }),
      await post(body, { headers: { "x-gatehouse-timestamp": "soon" } }),
      await post(body.replace("open", "closed"), { sig: signDoorEvent(SECRET, String(Math.floor(Date.parse("2026-11-28T03:00:00Z") / 1000)), "lobby", body) }),
    ];
    for (const res of cases) {
      expect(res.status).toBe(401);
      expect(await res.text()).toBe("unauthorized");
    }
    expect(recentDoorEvents(db)).toEqual([]);
  });

  it("an unknown sensor or a sensor without a webhook input → the same 401", async () => {
    const { post } = setup();
    for (const id of ["nope", "server-room", "..%2F..%2Fetc"]) {
      const res = await post('{"id":"x","state":"open"}', { id });
      expect(res.status).toBe(401);
      expect(await res.text()).toBe("unauthorized");
    }
  });

  it("unknown sensor and bad signature log the same line, at most once a minute with the count in between (issue 18 item 7)", async () => {
    const { db, c, engine } = setup();
    const lines: { obj: Record<string, unknown>; msg?: string }[] = [];
    const log = { ...quiet, warn: (obj: unknown, msg?: string) => void lines.push({ obj: obj as Record<string, unknown>, msg }) };
    const app = doorWebhookApp({ db, engine, log, now: () => c.now });
    const send = (id: string) =>
      app.request(`/api/doors/${id}/events`, { method: "POST", headers: { "x-gatehouse-timestamp": String(Math.floor(c.now / 1000)), "x-gatehouse-signature": `sha256=${"0".repeat(64)}` }, body: "{}" });
    await send("nope");
    c.advance(61_000);
    await send("lobby");
    expect(lines.map((l) => l.msg)).toEqual([lines[0]!.msg, lines[0]!.msg]);
    expect(Object.keys(lines[0]!.obj).sort()).toEqual(Object.keys(lines[1]!.obj).sort());
    for (let i = 0; i < 100; i++) expect((await send(i % 2 ? "lobby" : `x${i}`)).status).toBe(401);
    expect(lines).toHaveLength(2);
    c.advance(60_000);
    await send("lobby");
    expect(lines).toHaveLength(3);
    expect(lines[2]!.obj).toMatchObject({ refused_since_last_line: 100 });
  });

  it("timestamps more than five minutes away (either way) → 401; inside the window → accepted", async () => {
    const { c, post } = setup();
    const now = Math.floor(c.now / 1000);
    expect((await post('{"id":"a","state":"open"}', { ts: now - 301 })).status).toBe(401);
    expect((await post('{"id":"b","state":"open"}', { ts: now + 301 })).status).toBe(401);
    expect((await post('{"id":"c","state":"open"}', { ts: now - 299 })).status).toBe(202);
    expect((await post('{"id":"d","state":"closed"}', { ts: now + 299 })).status).toBe(202);
  });

  it("a replayed event id → 409, recorded once", async () => {
    const { db, c, post } = setup();
    const body = '{"id":"acs-7","state":"open"}';
    expect((await post(body)).status).toBe(202);
    expect((await post(body)).status).toBe(409);
    c.advance(60_000); // re-signed later with a fresh timestamp: still the same event id
    expect((await post(body)).status).toBe(409);
    expect(recentDoorEvents(db)).toHaveLength(1);
  });

  it("oversized body → 413 (declared or streamed), nothing recorded", async () => {
    const { db, app, post, c } = setup();
    const big = JSON.stringify({ id: "big", state: "open", pad: "x".repeat(9000) });
    expect((await post(big)).status).toBe(413);
    // No content-length: a stream that keeps going.
    const ts = String(Math.floor(c.now / 1000));
    const stream = new ReadableStream<Uint8Array>({
      start(ctl) {
        for (let i = 0; i < 20; i++) ctl.enqueue(new Uint8Array(1024).fill(0x61));
        ctl.close();
      },
    });
    const res = await app.request("/api/doors/lobby/events", {
      method: "POST",
      headers: { "x-gatehouse-timestamp": ts, "x-gatehouse-signature": "sha256=" + "0".repeat(64) },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(recentDoorEvents(db)).toEqual([]);
  });

  it("signed garbage bodies → 400 with a reason, counted as malformed, never 500", async () => {
    const { db, engine, post } = setup();
    const bodies = ["", "not json", "[]", '{"state":"open"}', '{"id":"a","state":"ajar"}', '{"id":"a","tamper":"yes"}', "\u0000\u0001", '{"id":"a"}'];
    for (const b of bodies) {
      const res = await post(b);
      expect(res.status).toBe(400);
      expect(await res.json()).toHaveProperty("error");
    }
    const bin = new Uint8Array([0xff, 0xfe, 0xfd]);
    const ts = String(Math.floor(Date.parse("2026-11-28T03:00:00Z") / 1000));
    const { app } = { app: doorWebhookApp({ db, engine, log: quiet, now: () => Date.parse("2026-11-28T03:00:00Z") }) };
    const res = await app.request("/api/doors/lobby/events", { method: "POST", headers: { "x-gatehouse-timestamp": ts, "x-gatehouse-signature": signDoorEvent(SECRET, ts, "lobby", bin) }, body: bin });
    expect(res.status).toBe(400);
    expect(engine.stats().malformed).toBe(bodies.length + 1);
    expect(recentDoorEvents(db)).toEqual([]);
  });

  it("other methods and paths are not handled by the sub-app", async () => {
    const { app } = setup();
    expect((await app.request("/api/doors/lobby/events", { method: "GET" })).status).toBe(404);
    expect((await app.request("/api/doors/lobby", { method: "POST" })).status).toBe(404);
  });

  it("an event signed for another door is refused (the sensor id is signed)", async () => {
    const { db, c, post } = setup();
    const body = JSON.stringify({ id: "evt-cross-door", state: "open" });
    const ts = String(Math.floor(c.now / 1000));
    const res = await post(body, { sig: signDoorEvent(SECRET, ts, "back-door", body) });
    expect(res.status).toBe(401);
    expect(recentDoorEvents(db)).toHaveLength(0);
    // The same event signed for this door is accepted: the refusal was the id, nothing else.
    expect((await post(body)).status).toBe(202);
  });

  it("secrets: unreadable or short secret files are refused at start, naming the sensor", () => {
    const db = memoryDb();
    const e1 = engineFor(db, { sensors: [{ id: "lobby", input: { webhook: { secret_file: join(dir, "missing.key") } } }] });
    expect(() => loadWebhookSecrets(e1)).toThrow(/doors sensor lobby: cannot read webhook secret_file .*missing.key: ENOENT/);
    const e2 = engineFor(memoryDb(), { sensors: [{ id: "lobby", input: { webhook: { secret_file: join(dir, "short.key") } } }] });
    expect(() => loadWebhookSecrets(e2)).toThrow(/shorter than 16 bytes/);
  });
});
