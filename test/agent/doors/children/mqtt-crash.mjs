// Child process for the redelivery test: the built MQTT door input and engine on <dataDir>,
// client id <clientId>, one sensor on topic z2m/closet. With "crash", the process SIGKILLs
// itself right after the first message is stored — before mqtt.js sends the PUBACK — which is
// the crash the broker answers by resending the message with DUP set.
import { parseDoorsConfig, parseMqttConfig } from "../../../../dist/src/agent/doors/config.js";
import { DoorEngine } from "../../../../dist/src/agent/doors/engine.js";
import { MqttDoorInput } from "../../../../dist/src/agent/doors/mqtt.js";
import { openStore } from "../../../../dist/src/agent/store/db.js";

const [dataDir, url, passwordFile, clientId, mode] = process.argv.slice(2);
const db = openStore(dataDir);
const log = { debug() {}, info() {}, warn() {}, error() {} };
const doors = parseDoorsConfig({ sensors: [{ id: "closet", name: "Wiring closet", policy: "always", input: { mqtt: { topic: "z2m/closet" } } }] });
const engine = new DoorEngine({ db, doors, timezone: "UTC", site: "Acme", routes: [], log, policy: { renotifyAfterMs: 0, flapWindowMs: 0, groupWaitMs: 0 } });
const wrapped = {
  handle(ev) {
    const r = engine.handle(ev);
    if (mode === "crash") process.kill(process.pid, "SIGKILL");
    process.stdout.write(`${r ? "stored" : "duplicate"}\n`);
    return r;
  },
  refuse: (...a) => engine.refuse(...a),
  inputStatus: (...a) => engine.inputStatus(...a),
};
const input = new MqttDoorInput({ config: parseMqttConfig({ url, username: "gatehouse", password_file: passwordFile, client_id: clientId }), sensors: doors.sensors, engine: wrapped, log });
input.start();
process.stdout.write("started\n");
process.on("SIGTERM", () => void input.stop().then(() => (db.close(), process.exit(0))));
