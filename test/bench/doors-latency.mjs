// Door latency and burst benchmark (not part of npm test). Run after `npm run build`:
//   node test/bench/doors-latency.mjs            (GH_BENCH_QUICK=1 for 100 / 1,000 events)
//
// 1. Latency: N door openings published (QoS 1) to a real mosquitto on a random loopback port;
//    time from publish to the moment the alert's outbox row is committed (the engine's
//    onEnqueued callback fires right after the transaction), p50 / p99. Each opening is followed
//    by a closing (which resolves the alert) so every opening raises a fresh alert.
//    Anchor, same run: the bare MQTT round trip publish → subscriber receives, through the
//    same broker, same client library, no engine and no database.
// 2. Burst: M events published as fast as the client can, then counted in door_events: none
//    may be lost. The broker's per-client queue is raised (max_queued_messages 0 = unlimited);
//    with mosquitto's default of 1000, a burst larger than that can be dropped by the broker
//    before Gatehouse sees it — the README says to raise it.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { freePort, importDist, QUICK } from "./lib.mjs";

const N = QUICK ? 100 : 1000;
const BURST = QUICK ? 1000 : 10_000;
const TOPIC = "zigbee2mqtt/server_room_door";

const { spawnLines } = await importDist("kit/exec.js");
const { openStore } = await importDist("agent/store/db.js");
const { parseDoorsConfig, parseMqttConfig } = await importDist("agent/doors/config.js");
const { DoorEngine } = await importDist("agent/doors/engine.js");
const { MqttDoorInput } = await importDist("agent/doors/mqtt.js");

const dir = mkdtempSync(join(tmpdir(), "gh-doors-bench-"));
const port = await freePort();
writeFileSync(
  join(dir, "mosquitto.conf"),
  [`user ${userInfo().username}`, "allow_anonymous true", "max_queued_messages 0", "max_inflight_messages 100", "log_dest none", `listener ${port} 127.0.0.1`].join("\n"),
);
const broker = spawnLines("mosquitto", ["-c", join(dir, "mosquitto.conf")], () => {});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
for (let i = 0; ; i++) {
  const up = await new Promise((r) => {
    const c = createConnection({ host: "127.0.0.1", port });
    c.once("connect", () => (c.destroy(), r(true)));
    c.once("error", () => r(false));
  });
  if (up) break;
  if (i > 200) throw new Error("mosquitto did not start");
  await sleep(25);
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * (s.length - 1)))];
};
const fmt = (ms) => `${ms.toFixed(2)} ms`;
const connect = (id) =>
  new Promise((resolve, reject) => {
    const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, { clientId: id, reconnectPeriod: 200 });
    c.once("connect", () => resolve(c));
    c.once("error", reject);
  });

try {
  // --- anchor: bare MQTT round trip
  const pub = await connect("bench-pub");
  const sub = await connect("bench-sub");
  await sub.subscribeAsync("bench/anchor", { qos: 1 });
  let onAnchor;
  sub.on("message", () => onAnchor?.());
  const anchor = [];
  for (let i = 0; i < N; i++) {
    const got = new Promise((r) => (onAnchor = r));
    const t0 = performance.now();
    await Promise.all([pub.publishAsync("bench/anchor", `{"contact":false,"seq":${i}}`, { qos: 1 }), got]);
    anchor.push(performance.now() - t0);
  }
  await sub.endAsync();

  // --- Gatehouse: publish → outbox row committed
  const db = openStore(join(dir, "data")); // a file database: WAL, synchronous=FULL, as in production

  // Second anchor: one durable commit of one small row on the same disk and settings, the floor
  // under any event that is recorded before it is acknowledged.
  db.exec("CREATE TABLE bench_anchor (id INTEGER PRIMARY KEY, v TEXT)");
  const ins = db.prepare("INSERT INTO bench_anchor (v) VALUES (?)");
  const commitLat = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    db.transaction(() => ins.run(`row ${i}`))();
    commitLat.push(performance.now() - t);
  }
  let onOutbox;
  const engine = new DoorEngine({
    db,
    doors: parseDoorsConfig({ sensors: [{ id: "server-room", name: "Server room", policy: "always", input: { mqtt: { topic: TOPIC } } }] }),
    timezone: "America/New_York",
    site: "bench",
    routes: [{ channel: "email", minSeverity: "warning" }],
    // No flap damping, so every opening raises a new alert (the worst case for the write path).
    policy: { renotifyAfterMs: 4 * 3_600_000, flapWindowMs: 0, groupWaitMs: 0 },
    log: { debug() {}, info() {}, warn() {}, error() {} },
    onEnqueued: () => onOutbox?.(),
  });
  const input = new MqttDoorInput({
    config: parseMqttConfig({ url: `mqtt://127.0.0.1:${port}`, client_id: "gatehouse-bench" }),
    sensors: [...engine.sensors.values()],
    engine,
    log: { debug() {}, info() {}, warn() {}, error() {} },
  });
  input.start();
  while (!input.connected) await sleep(10);
  await sleep(200);

  const openLat = [];
  const closeLat = [];
  for (let i = 0; i < N; i++) {
    for (const [contact, into] of [
      [false, openLat],
      [true, closeLat],
    ]) {
      const queued = new Promise((r) => (onOutbox = r));
      const t0 = performance.now();
      await Promise.all([pub.publishAsync(TOPIC, JSON.stringify({ contact, battery: 90, linkquality: 100, seq: i }), { qos: 1 }), queued]);
      into.push(performance.now() - t0);
    }
  }
  onOutbox = undefined;
  const alerts = db.prepare("SELECT count(*) AS n FROM alerts WHERE source = 'doors'").get().n;
  const firingRows = db.prepare("SELECT count(*) AS n FROM outbox WHERE event = 'firing'").get().n;

  // --- burst
  const before = db.prepare("SELECT count(*) AS n FROM door_events").get().n;
  const t0 = performance.now();
  const sends = [];
  for (let i = 0; i < BURST; i++) sends.push(pub.publishAsync(TOPIC, JSON.stringify({ contact: i % 2 === 1, seq: `burst-${i}` }), { qos: 1 }));
  await Promise.all(sends);
  const published = performance.now() - t0;
  let got = 0;
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    got = db.prepare("SELECT count(*) AS n FROM door_events").get().n - before;
    if (got >= BURST) break;
    await sleep(50);
  }
  const done = performance.now() - t0;
  const distinct = db.prepare("SELECT count(DISTINCT payload_sha256) AS n FROM door_events WHERE id > ?").get(before).n;

  await input.stop();
  await pub.endAsync();
  db.close();

  console.log(`doors latency, ${N} openings (mosquitto ${port}, Node ${process.version})`);
  console.log(`  anchor: MQTT publish → subscriber       p50 ${fmt(pct(anchor, 0.5))}  p99 ${fmt(pct(anchor, 0.99))}`);
  console.log(`  anchor: one durable SQLite commit        p50 ${fmt(pct(commitLat, 0.5))}  p99 ${fmt(pct(commitLat, 0.99))}`);
  console.log(`  gatehouse: publish → alert outbox row   p50 ${fmt(pct(openLat, 0.5))}  p99 ${fmt(pct(openLat, 0.99))}  max ${fmt(Math.max(...openLat))}`);
  console.log(`  gatehouse: publish → resolve outbox row p50 ${fmt(pct(closeLat, 0.5))}  p99 ${fmt(pct(closeLat, 0.99))}`);
  console.log(`  alerts raised ${alerts}, firing outbox rows ${firingRows}`);
  console.log(`doors burst, ${BURST} events`);
  console.log(`  published in ${fmt(published)}; all recorded after ${fmt(done)} (${Math.round((got / done) * 1000)} events/s)`);
  console.log(`  recorded ${got} of ${BURST} (distinct payloads ${distinct}); lost ${BURST - got}`);
  if (got !== BURST || distinct !== BURST) process.exitCode = 1;
} finally {
  broker.stop();
  const exited = await Promise.race([broker.exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 10_000).unref())]);
  if (!exited) console.error(`mosquitto did not stop within 10 s; remove it by hand (config ${join(dir, "mosquitto.conf")})`);
  else rmSync(dir, { recursive: true, force: true });
}
