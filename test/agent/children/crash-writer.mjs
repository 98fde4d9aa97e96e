// Child process for the crash test: writes observations, alerts and outbox rows in the same
// transactions the runner uses, and prints each outbox id once its transaction committed.
import { openStore } from "../../../dist/src/agent/store/db.js";
import { insertObservation } from "../../../dist/src/agent/store/observations.js";
import { record } from "../../../dist/src/agent/findings/record.js";

const db = openStore(process.argv[2]);
const routes = [{ channel: "email", minSeverity: "info" }];
for (let i = 0; ; i++) {
  const bad = i % 2 === 0;
  const now = Date.now();
  const findings = [{ rule: "crash.rule", kind: "policy", status: bad ? "fail" : "pass", message: `run ${i}`, facts: [] }];
  let ids = [];
  db.transaction(() => {
    insertObservation(db, { monitor: "crash", startedAt: now, durationMs: 1, status: bad ? "fail" : "pass", outcome: "ok", evidence: "x".repeat(2000), facts: { "crash.items": [String(i)] }, findings });
    ids = record(db, { site: "crash", routes, now, policy: { renotifyAfterMs: 0, flapWindowMs: 0, groupWaitMs: 0 } }, "crash", findings, { complete: true });
  })();
  for (const id of ids) process.stdout.write(`${id}\n`);
}
