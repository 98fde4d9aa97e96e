// Scale of history: a data dir seeded with a year of checks every minute for every monitor (through
// the project's own insertObservation, in batched transactions) plus a million door events (through
// insertDoorEvent), then: database size, start-up time, overview and history page p99 (wrk, with a
// session), and retention pruning time (pruneObservations at the default 90 days). The anchor is the
// same Gatehouse on an empty data dir, measured in the same run.
//
// Seeding is time-boxed (GH_BENCH_SEED_BUDGET_S, default 75 s; 20 s with GH_BENCH_QUICK=1): when a
// year for every monitor does not fit, fewer monitors are seeded and the report says so.
import { statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { consoleUnderTest } from "./console.mjs";
import { anchor, cleanDir, distHas, fmt, freePort, importDist, QUICK, stop, tempDir, wrk, writeAllMonitorsConfig } from "./lib.mjs";

const MINUTES_PER_YEAR = 365 * 24 * 60;
const DOOR_EVENTS = 1_000_000;
const BUDGET_MS = Number(process.env.GH_BENCH_SEED_BUDGET_S ?? (QUICK ? 20 : 75)) * 1000;
const WRK_S = QUICK ? 2 : 5;
const BATCH = 10_000;

/** A plausible observation of monitor `id`: a dozen facts, a list fact, two findings, short evidence. */
function synthetic(id, startedAt, i) {
  const facts = {};
  for (let k = 0; k < 10; k++) facts[`${id}.fact_${k}`] = k % 3 === 0 ? true : k % 3 === 1 ? 1000 + k : `value-${k}`;
  facts[`${id}.items`] = ["alpha", "bravo", "charlie", "delta"];
  facts[`${id}.sha256`] = "9f2c1e0b7a5d4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3";
  const bad = i % 1440 === 0; // one warning a day
  return {
    monitor: id,
    startedAt,
    durationMs: 40 + (i % 17),
    status: bad ? "warn" : "pass",
    outcome: "ok",
    evidence: `${id} probe evidence line 1\n${id} probe evidence line 2 with some detail about the host\n`,
    facts,
    findings: [
      { rule: `${id}.baseline`, kind: "drift", status: "pass", message: "matches the approved baseline", facts: [`${id}.sha256`] },
      { rule: `${id}.policy`, kind: "policy", status: bad ? "warn" : "pass", message: bad ? "something drifted for a minute" : "ok", facts: [`${id}.fact_0`] },
    ],
  };
}

async function seed(dataDir, ids, notes) {
  const { openStore } = await importDist("agent/store/db.js");
  const { insertObservation } = await importDist("agent/store/observations.js");
  const db = openStore(dataDir);
  // Seeding is not what is measured: skip the fsync per commit on this connection only.
  db.pragma("synchronous = OFF");
  const now = Date.now();
  const yearStart = now - MINUTES_PER_YEAR * 60_000;
  const insertRange = (id, from, to) =>
    db.transaction(() => {
      for (let i = from; i < to; i++) insertObservation(db, synthetic(id, yearStart + i * 60_000, i));
    })();
  const t0 = Date.now();
  // Rate from the first batch of the first monitor decides how many monitors fit the budget.
  insertRange(ids[0], 0, BATCH);
  const perRowMs = (Date.now() - t0) / BATCH;
  const doorBudget = distHas("agent/doors/store.js") ? 0.2 : 0;
  const fit = Math.floor((BUDGET_MS * (1 - doorBudget)) / (perRowMs * MINUTES_PER_YEAR));
  const nMonitors = Math.max(1, Math.min(ids.length, fit));
  const rowsPerMonitor = fit >= 1 ? MINUTES_PER_YEAR : Math.max(BATCH, Math.floor((BUDGET_MS * (1 - doorBudget)) / perRowMs));
  for (let m = 0; m < nMonitors; m++) {
    for (let i = m === 0 ? BATCH : 0; i < rowsPerMonitor; i += BATCH) insertRange(ids[m], i, Math.min(rowsPerMonitor, i + BATCH));
  }
  const observations = nMonitors * rowsPerMonitor;
  const seedObsMs = Date.now() - t0;
  if (nMonitors < ids.length || rowsPerMonitor < MINUTES_PER_YEAR) {
    notes.push(
      `- history: seeding ran at ${fmt(1000 / perRowMs, 0)} observations/s; a year for all ${ids.length} monitors (${(ids.length * MINUTES_PER_YEAR).toLocaleString("en")} rows) would take ~${fmt((perRowMs * ids.length * MINUTES_PER_YEAR) / 60_000)} min, so ${nMonitors} monitor(s) × ${rowsPerMonitor.toLocaleString("en")} minutes were seeded; database size and prune time scale linearly with rows (extrapolated figure in the table).`,
    );
  }
  db.pragma("wal_checkpoint(TRUNCATE)");
  const obsBytes = dbBytes(dataDir);
  let doorEvents = 0;
  let seedDoorMs = 0;
  if (doorBudget > 0) {
    const { insertDoorEvent, payloadDigest } = await importDist("agent/doors/store.js");
    const t1 = Date.now();
    const sensors = ["server-room", "back-door", "lobby"];
    const step = Math.floor((MINUTES_PER_YEAR * 60_000) / DOOR_EVENTS);
    const digest = payloadDigest('{"contact":false}');
    const doorDeadline = t1 + BUDGET_MS * doorBudget + 10_000;
    for (let i = 0; i < DOOR_EVENTS && Date.now() < doorDeadline; i += BATCH) {
      db.transaction(() => {
        for (let j = i; j < Math.min(DOOR_EVENTS, i + BATCH); j++) {
          insertDoorEvent(db, { sensorId: sensors[j % 3], source: "mqtt", receivedAt: yearStart + j * step, payloadSha256: digest, state: j % 2 ? "closed" : "open", online: true, tamper: null, battery: 90, batteryLow: false, initial: false, outcome: j % 2 ? "no_change" : "business_hours" });
        }
      })();
      doorEvents = Math.min(DOOR_EVENTS, i + BATCH);
    }
    seedDoorMs = Date.now() - t1;
    if (doorEvents < DOOR_EVENTS) notes.push(`- history: ${doorEvents.toLocaleString("en")} of ${DOOR_EVENTS.toLocaleString("en")} door events seeded within the time box.`);
  } else notes.push("- history: no door store in this build; door events not seeded.");
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.close();
  return { nMonitors, rowsPerMonitor, observations, doorEvents, seedObsMs, seedDoorMs, perRowMs, obsBytes, doorBytes: dbBytes(dataDir) - obsBytes };
}

const dbBytes = (dataDir) => ["gatehouse.db", "gatehouse.db-wal"].reduce((a, f) => a + (statSync(join(dataDir, f), { throwIfNoEntry: false })?.size ?? 0), 0);

/** Start-up (spawn → /healthz), then overview and history page under wrk, on one data dir. */
async function serveAndMeasure(dir, ids, historyId, notes) {
  const port = await freePort();
  const { file } = await writeAllMonitorsConfig(dir, { port });
  const t0 = Date.now();
  const gh = await consoleUnderTest(file, join(dir, "data"), port, 0, notes);
  const startupMs = Date.now() - t0;
  try {
    // Let the start-up check cycle finish before loading the pages.
    const { checksDone, sleep } = await import("./lib.mjs");
    const t1 = Date.now();
    while (checksDone(gh.proc) < ids.length && Date.now() - t1 < 120_000) await sleep(200);
    const headers = gh.cookie ? { Cookie: gh.cookie } : {};
    const overview = await wrk(`${gh.base}/`, { seconds: WRK_S, headers });
    const hr = await fetch(`${gh.base}/monitors/${historyId}`, { headers, redirect: "manual" });
    await hr.arrayBuffer();
    const history = hr.status === 200 ? await wrk(`${gh.base}/monitors/${historyId}`, { seconds: WRK_S, headers }) : undefined;
    if (!history) notes.push(`- history: /monitors/${historyId} answered HTTP ${hr.status} in this build; no history page figure.`);
    return { startupMs, overview, history };
  } finally {
    await stop(gh.proc);
  }
}

export async function historyBench(notes = []) {
  if (!anchor("wrk", notes)) return undefined;
  const emptyDir = tempDir("hist-empty");
  const fullDir = tempDir("hist-full");
  try {
    // Config first so the seeded monitors are the configured ones; start-up checks use the gatehouse log.
    const { ids } = await writeAllMonitorsConfig(fullDir, { port: 1 });
    // Run with the info log so "check done" lines are counted by serveAndMeasure.
    process.env.GATEHOUSE_LOG_LEVEL = "info";
    const seeded = await seed(join(fullDir, "data"), ids, notes);
    const sizeBytes = dbBytes(join(fullDir, "data"));
    const historyId = ids[0];
    const empty = await serveAndMeasure(emptyDir, ids, historyId, notes);
    const full = await serveAndMeasure(fullDir, ids, historyId, notes);

    // Retention: the default 90 days, on the seeded database (the daemon is stopped).
    const { openStore } = await importDist("agent/store/db.js");
    const { pruneObservations } = await importDist("agent/store/observations.js");
    const db = openStore(join(fullDir, "data"));
    const t0 = Date.now();
    const pruned = pruneObservations(db, Date.now() - 90 * 86_400_000);
    const pruneMs = Date.now() - t0;
    db.close();
    return { ...seeded, monitors: ids.length, sizeBytes, empty, full, pruned, pruneMs };
  } finally {
    cleanDir(emptyDir);
    cleanDir(fullDir);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const notes = [];
  const r = await historyBench(notes);
  if (r) {
    console.log(`seeded ${r.observations.toLocaleString("en")} observations (${r.nMonitors}/${r.monitors} monitors × ${r.rowsPerMonitor} min) in ${fmt(r.seedObsMs / 1000)} s, ${r.doorEvents.toLocaleString("en")} door events in ${fmt(r.seedDoorMs / 1000)} s`);
    console.log(`database: ${fmt(r.sizeBytes / 2 ** 20)} MiB`);
    console.log(`start-up: ${r.full.startupMs} ms (empty data dir ${r.empty.startupMs} ms)`);
    console.log(`overview p99: ${fmt(r.full.overview.p99Ms, 2)} ms (empty ${fmt(r.empty.overview.p99Ms, 2)} ms); ${fmt(r.full.overview.rps, 0)} req/s`);
    if (r.full.history) console.log(`history page p99: ${fmt(r.full.history.p99Ms, 2)} ms (empty ${fmt(r.empty.history?.p99Ms, 2)} ms)`);
    console.log(`prune (90 d): ${r.pruned.toLocaleString("en")} rows in ${fmt(r.pruneMs / 1000, 2)} s`);
  }
  console.log(notes.join("\n"));
}
