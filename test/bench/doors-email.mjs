// Door opened (MQTT publish) → alert email accepted by a local SMTP server, end to end through a
// real `gatehouse serve` (door engine, alert engine, outbox, delivery worker, nodemailer), with a
// mosquitto broker and an smtp-server on random loopback ports. `alerts.flap_window: 0` and
// `group_wait: 0` so every opening gets its own email at once (the default group_wait of 30 s
// would add up to 30 s by design). Anchor: the bare MQTT publish → subscriber round trip through the
// same broker, same run. N = GH_BENCH_DOOR_EMAILS (default 200; 30 with GH_BENCH_QUICK=1).
import { writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import mqtt from "mqtt";
import { SMTPServer } from "smtp-server";
import { anchor, cleanDir, fmt, freePort, importDist, percentile, QUICK, sleep, start, startGatehouse, stop, tempDir, waitForHttp } from "./lib.mjs";

const N = Number(process.env.GH_BENCH_DOOR_EMAILS ?? (QUICK ? 30 : 200));
const TOPIC = "zigbee2mqtt/server_room_door";

export async function doorsEmail(notes = []) {
  const mosq = anchor("mosquitto", notes);
  if (!mosq) return undefined;
  const dir = tempDir("door-email");
  const procs = [];
  let smtp;
  const clients = [];
  try {
    const [mqttPort, smtpPort, port] = await Promise.all([freePort(), freePort(), freePort()]);
    writeFileSync(join(dir, "mosquitto.conf"), [`user ${userInfo().username}`, "allow_anonymous true", "log_dest none", `listener ${mqttPort} 127.0.0.1`, ""].join("\n"));
    procs.push(start(mosq, ["-c", join(dir, "mosquitto.conf")]));

    // SMTP server: records when each message is accepted (end of DATA, before the 250 reply).
    const mails = [];
    let waiter;
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS", "AUTH"],
      logger: false,
      onData(stream, _session, cb) {
        let body = "";
        stream.on("data", (d) => (body += d));
        stream.on("end", () => {
          const m = { at: performance.now(), resolved: /^Subject:.*resolved/im.test(body) };
          mails.push(m);
          waiter?.(m);
          cb();
        });
      },
    });
    await new Promise((r) => smtp.listen(smtpPort, "127.0.0.1", r));

    const { MONITORS } = await importDist("monitors/index.js");
    const cfg = join(dir, "gatehouse.yaml");
    writeFileSync(
      cfg,
      [
        'site: "Bench"',
        "timezone: UTC",
        `data_dir: ${join(dir, "data")}`,
        `console: { listen: "127.0.0.1:${port}", tls: off }`,
        "monitors:",
        ...MONITORS.map((m) => `  ${m.id}: { enabled: false }`),
        `mqtt: { url: "mqtt://127.0.0.1:${mqttPort}", client_id: gatehouse-bench }`,
        "doors:",
        "  sensors:",
        `    - { id: server-room, name: "Server room", policy: always, input: { mqtt: { topic: "${TOPIC}" } } }`,
        "alerts:",
        "  flap_window: \"0\"",
        "  group_wait: \"0\"",
        `  email: { smtp: { host: 127.0.0.1, port: ${smtpPort}, require_tls: false }, from: "gatehouse@bench.local", to: ["it@bench.local"] }`,
        "",
      ].join("\n"),
    );
    const gh = startGatehouse(cfg, { env: { GATEHOUSE_LOG_LEVEL: "warn" } });
    procs.push(gh);
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, 60_000, gh).catch((e) => {
      throw new Error(`${e.message}: ${gh.stderrText().slice(-800)} ${gh.stdoutText().slice(-800)}`);
    });
    await sleep(1500); // the door input subscribes

    const connect = (id) =>
      new Promise((resolve, reject) => {
        const c = mqtt.connect(`mqtt://127.0.0.1:${mqttPort}`, { clientId: id, reconnectPeriod: 200 });
        clients.push(c);
        c.once("connect", () => resolve(c));
        c.once("error", reject);
      });
    const pub = await connect("bench-pub");

    // Anchor: bare MQTT round trip through the same broker.
    const sub = await connect("bench-sub");
    await sub.subscribeAsync("bench/anchor", { qos: 1 });
    let onAnchor;
    sub.on("message", () => onAnchor?.());
    const mqttLat = [];
    for (let i = 0; i < N; i++) {
      const got = new Promise((r) => (onAnchor = r));
      const t0 = performance.now();
      await Promise.all([pub.publishAsync("bench/anchor", `{"contact":false,"seq":${i}}`, { qos: 1 }), got]);
      mqttLat.push(performance.now() - t0);
    }

    const nextMail = (pred, ms) =>
      new Promise((resolve) => {
        const t = setTimeout(() => ((waiter = undefined), resolve(undefined)), ms);
        waiter = (m) => {
          if (!pred(m)) return;
          clearTimeout(t);
          waiter = undefined;
          resolve(m);
        };
      });
    const lat = [];
    let missed = 0;
    for (let i = 0; i < N; i++) {
      const firing = nextMail((m) => !m.resolved, 15_000);
      const t0 = performance.now();
      await pub.publishAsync(TOPIC, JSON.stringify({ contact: false, battery: 90, seq: i }), { qos: 1 });
      const m = await firing;
      if (m) lat.push(m.at - t0);
      else missed++;
      const resolved = nextMail((x) => x.resolved, 5_000);
      await pub.publishAsync(TOPIC, JSON.stringify({ contact: true, battery: 90, seq: i }), { qos: 1 });
      await resolved;
    }
    if (missed) notes.push(`- doors → email: ${missed} of ${N} openings got no email within 15 s.`);
    return { n: N, emails: mails.length, missed, p50: percentile(lat, 50), p99: percentile(lat, 99), mqttP50: percentile(mqttLat, 50), mqttP99: percentile(mqttLat, 99) };
  } finally {
    for (const c of clients) c.end(true);
    await Promise.all(procs.map((p) => stop(p)));
    if (smtp) await new Promise((r) => smtp.close(r));
    cleanDir(dir);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const notes = [];
  const r = await doorsEmail(notes);
  if (r) console.log(`door → email accepted (${r.n} openings, ${r.emails} emails): p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms; bare MQTT round trip p50 ${fmt(r.mqttP50, 2)} ms, p99 ${fmt(r.mqttP99, 2)} ms`);
  console.log(notes.join("\n"));
}
