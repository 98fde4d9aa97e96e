#!/usr/bin/env node
// The outside world of the installed box, for the field suite: a real SMTP server (smtp-server,
// STARTTLS with a test certificate) and an MQTT client that plays a zigbee2mqtt door sensor. It
// runs inside the container's network namespace (nsenter --net) with the host's node, next to a
// mosquitto broker started the same way.
//
//   node peer.mjs --smtp-port N --cert FILE --key FILE --mqtt-url URL
// Reads commands as JSON lines on stdin: {"door":"open"|"closed","topic":T} publishes a contact
// report (QoS 1); {"smtp":"down"|"up"} stops or restarts the SMTP listener. Writes JSON lines:
// {"event":"ready"}, {"event":"published","at":ms,"state":…}, {"event":"mail","at":ms,"to":[…],
// "subject":…,"messageId":…,"text":…}, {"event":"smtp","state":…}.
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { SMTPServer } from "smtp-server";
import mqtt from "mqtt";

const { values } = parseArgs({ options: { "smtp-port": { type: "string" }, cert: { type: "string" }, key: { type: "string" }, "mqtt-url": { type: "string" } } });
const port = Number(values["smtp-port"]);
const say = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

function header(raw, name) {
  const m = new RegExp(`^${name}:\\s*(.*(?:\\r?\\n[ \\t].*)*)`, "im").exec(raw);
  return m ? m[1].replace(/\r?\n[ \t]+/g, " ").trim() : "";
}

let server;
function startSmtp() {
  return new Promise((resolve, reject) => {
    server = new SMTPServer({
      secure: false,
      key: readFileSync(values.key),
      cert: readFileSync(values.cert),
      authOptional: true,
      disabledCommands: ["AUTH"],
      logger: false,
      onData(stream, session, cb) {
        const chunks = [];
        stream.on("data", (c) => chunks.push(c));
        stream.on("end", () => {
          const raw = Buffer.concat(chunks).toString("utf8");
          say({
            event: "mail",
            at: Date.now(),
            to: session.envelope.rcptTo.map((r) => r.address),
            subject: header(raw, "Subject"),
            messageId: header(raw, "Message-ID"),
            text: raw.slice(0, 20_000),
          });
          cb();
        });
      },
    });
    server.on("error", (e) => say({ event: "error", message: String(e) }));
    server.listen(port, "127.0.0.1", resolve).once("error", reject);
  });
}

await startSmtp();
const client = mqtt.connect(values["mqtt-url"], { clientId: `field-sensor-${process.pid}`, reconnectPeriod: 200 });
await new Promise((resolve, reject) => {
  client.once("connect", resolve);
  client.once("error", reject);
});
say({ event: "ready" });

for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const cmd = JSON.parse(line);
  if (cmd.door) {
    const payload = JSON.stringify({ contact: cmd.door === "closed", battery: 90, linkquality: 120 });
    const at = Date.now();
    await client.publishAsync(cmd.topic, payload, { qos: 1 });
    say({ event: "published", at, state: cmd.door });
  } else if (cmd.smtp === "down") {
    await new Promise((r) => server.close(r));
    say({ event: "smtp", state: "down" });
  } else if (cmd.smtp === "up") {
    await startSmtp();
    say({ event: "smtp", state: "up" });
  }
}
await client.endAsync();
server.close();
