// Child process for the SIGKILL delivery test: the built delivery worker sending the outbox of
// <dataDir> to a plaintext SMTP server on 127.0.0.1:<port>, polling often, until killed.
import { openStore } from "../../../../dist/src/agent/store/db.js";
import { parseAlertsConfig } from "../../../../dist/src/agent/alerts/config.js";
import { emailChannel } from "../../../../dist/src/agent/notify/email.js";
import { DeliveryWorker } from "../../../../dist/src/agent/notify/worker.js";

const [dataDir, port] = process.argv.slice(2);
const db = openStore(dataDir);
const cfg = parseAlertsConfig({ email: { smtp: { host: "127.0.0.1", port: Number(port), require_tls: false, greeting_timeout: "2s", connection_timeout: "2s" }, from: "g@example.org", to: ["it@example.org"] } }).email[0];
const log = { debug() {}, info() {}, warn() {}, error() {} };
// random() = 0 → the shortest backoff, so a retry after the restart is not delayed for long.
const worker = new DeliveryWorker(db, { channels: [emailChannel(cfg, { name: "email" })], log, pollMs: 50, random: () => 0 });
worker.start();
process.stdout.write("started\n");
