// Scale of history: a data dir seeded with a year of checks every minute for every monitor, a
// million door events and a million audit rows, then: database size and bytes per stored
// observation, start-up time, overview, monitor history and audit page p99 (wrk, with an admin
// session), and retention pruning time (pruneObservations at the default 90 days). Every figure is
// measured beside the same Gatehouse on an empty data dir, in the same run, both consoles up at
// once and wrk alternating between them. The "empty" data dir holds one page of each (30 minutes of
// checks, 500 audit rows), so both consoles render the same rows: the ratio is scale, not page size.
//
// Seeding goes through the project's own store functions, one transaction per batch, statements
// prepared once: observations through appendObservation (the row writer insertObservation uses;
// each monitor's last minute goes through insertObservation itself, so finding state is what the
// daemon would have left), door events through insertDoorEvent, audit rows through appendAudit
// (a valid hash chain). The data is realistic in the way that matters for storage: each monitor's
// facts change a few times a day (a daily value at 06:00, a warning hour at 14:00) and repeat
// every other minute.
//
// GH_BENCH_HISTORY_DAYS (default 365; 30 with GH_BENCH_QUICK=1) scales the observations; door
// events and audit rows scale with it (a million each for a year).
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { consoleUnderTest } from "./console.mjs";
import { anchor, checksDone, cleanDir, dbBytes, distHas, fmt, freePort, importDist, QUICK, sleep, stop, storageByTable, tempDir, waitQuiet, wrk, writeAllMonitorsConfig } from "./lib.mjs";

const DAYS = Number(process.env.GH_BENCH_HISTORY_DAYS ?? (QUICK ? 30 : 365));
const MINUTES = DAYS * 1440;
const DOOR_EVENTS = Math.round((1_000_000 * DAYS) / 365);
const AUDIT_ROWS = Math.round((1_000_000 * DAYS) / 365);
const RETENTION_DAYS = 90;
const WRK_S = QUICK ? 2 : 4;
const BATCH = 10_000;

/**
 * What monitor `id` found on day `day`, plain or during its daily warning hour: a dozen facts (one
 * changes daily), a list fact, two findings and a few lines of evidence, serialized once.
 */
function dayResult(id, day, warn) {
  const facts = {
    [`${id}.enabled`]: true,
    [`${id}.version`]: "5.4.2-1+deb12u1",
    [`${id}.checked_items`]: 1200 + (day % 11),
    [`${id}.last_change_day`]: day,
    [`${id}.items`]: ["alpha", "bravo", "charlie", "delta", ...(day % 3 === 0 ? ["echo"] : [])],
    [`${id}.sha256`]: "9f2c1e0b7a5d4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3",
  };
  for (let k = 0; k < 6; k++) facts[`${id}.fact_${k}`] = k % 2 ? 1000 + k : `value-${k}`;
  const findings = [
    { rule: `${id}.baseline`, kind: "drift", status: "pass", message: "matches the approved baseline", facts: [`${id}.sha256`] },
    { rule: `${id}.policy`, kind: "policy", status: warn ? "warn" : "pass", message: warn ? `${id}: 3 items out of policy for the last hour` : "within policy", facts: [`${id}.items`] },
  ];
  const evidence = `$ ${id}-probe --summary\n${id}: ${facts[`${id}.checked_items`]} items checked, version ${facts[`${id}.version`]}\n${warn ? "3 items out of policy: bravo, charlie, delta\n" : "all items within policy\n"}`;
  return { status: warn ? "warn" : "pass", outcome: "ok", error: null, evidence, factsJson: JSON.stringify(facts), findingsJson: JSON.stringify(findings) };
}

/** The observation of monitor `id` at minute `t` of the seeded period (`t0` its first minute, ms). */
function makeObservations(t0) {
  const cache = new Map();
  return (id, idx, t) => {
    const m = t % 1440;
    const day = Math.floor(t / 1440) - (m < 360 ? 1 : 0); // the daily value changes at 06:00
    const warn = m >= 840 && m < 900; // 14:00–15:00 every day
    const key = `${id}|${day}|${warn}`;
    let r = cache.get(key);
    if (!r) cache.set(key, (r = dayResult(id, day, warn)));
    return { monitor: id, startedAt: t0 + t * 60_000, durationMs: 30 + ((t * 7 + idx * 13) % 50), ...r };
  };
}

const AUDIT_ACTIONS = ["session.login", "session.logout", "alert.ack", "baseline.approve", "register.add", "audit.export"];

export async function seed(dataDir, ids, notes) {
  const { openStore } = await importDist("agent/store/db.js");
  const { appendObservation } = await importDist("agent/store/observation-log.js");
  const { insertObservation } = await importDist("agent/store/observations.js");
  const { writeFindingState } = await importDist("agent/store/findings.js");
  const { appendAudit } = await importDist("agent/audit.js");
  const db = openStore(dataDir);
  // Seeding is not what is measured: skip the fsync per commit on this connection only.
  db.pragma("synchronous = OFF");
  const now = Math.floor(Date.now() / 60_000) * 60_000;
  const t0 = now - MINUTES * 60_000;
  const at = makeObservations(t0);
  const timed = (f) => {
    const s = Date.now();
    f();
    return Date.now() - s;
  };
  const minutesPerBatch = Math.max(1, Math.floor(BATCH / ids.length));
  const obsMs = timed(() => {
    for (let i = 0; i < MINUTES - 1; i += minutesPerBatch) {
      db.transaction(() => {
        for (let t = i; t < Math.min(MINUTES - 1, i + minutesPerBatch); t++) ids.forEach((id, idx) => appendObservation(db, at(id, idx, t)));
      })();
    }
    // The last minute as the daemon writes it: finding state and remembered list items too.
    db.transaction(() => {
      ids.forEach((id, idx) => {
        const o = at(id, idx, MINUTES - 1);
        insertObservation(db, { ...o, error: undefined, facts: JSON.parse(o.factsJson), findings: JSON.parse(o.findingsJson) });
        writeFindingState(db, id, JSON.parse(o.findingsJson), o.startedAt, true);
      });
    })();
  });

  let doorMs = 0;
  let doorEvents = 0;
  if (distHas("agent/store/doors.js")) {
    const { insertDoorEvent, payloadDigest } = await importDist("agent/store/doors.js");
    const sensors = ["server-room", "back-door", "lobby"];
    const step = Math.floor((MINUTES * 60_000) / DOOR_EVENTS);
    const digest = payloadDigest('{"contact":false}');
    doorMs = timed(() => {
      for (let i = 0; i < DOOR_EVENTS; i += BATCH) {
        db.transaction(() => {
          for (let j = i; j < Math.min(DOOR_EVENTS, i + BATCH); j++) {
            insertDoorEvent(db, { sensorId: sensors[j % 3], source: "mqtt", receivedAt: t0 + j * step, payloadSha256: digest, state: j % 2 ? "closed" : "open", online: true, tamper: null, battery: 90, batteryLow: false, initial: false, outcome: j % 2 ? "no_change" : "business_hours" });
          }
        })();
      }
    });
    doorEvents = DOOR_EVENTS;
  } else notes.push("- history: no door store in this build; door events not seeded.");

  const auditStep = Math.floor((MINUTES * 60_000) / AUDIT_ROWS);
  const auditMs = timed(() => {
    for (let i = 0; i < AUDIT_ROWS; i += BATCH) {
      db.transaction(() => {
        for (let j = i; j < Math.min(AUDIT_ROWS, i + BATCH); j++) {
          appendAudit(db, { at: t0 + j * auditStep, actor: `user:staff${j % 7}`, action: AUDIT_ACTIONS[j % AUDIT_ACTIONS.length], target: `alert:${j % 5000}`, detail: { note: j % 10 === 0 ? "checked with the on-call tech" : "" }, address: `192.0.2.${(j % 200) + 1}` });
        }
      })();
    }
  });
  db.pragma("wal_checkpoint(TRUNCATE)");
  const storage = storageByTable(db);
  db.close();
  return { observations: MINUTES * ids.length, doorEvents, auditRows: AUDIT_ROWS, obsMs, doorMs, auditMs, storage };
}

/** One page's worth of rows: the audit page shows 500, a monitor's page its last 30 checks. */
const AUDIT_PAGE_ROWS = 500;
const HISTORY_PAGE_ROWS = 30;

/**
 * Fills an empty data dir with exactly one page of each (the last 30 minutes of checks, 500 audit
 * rows), so the empty and the seeded consoles render the same rows and the ratio is scale alone.
 */
export async function seedOnePage(dataDir, ids) {
  const { openStore } = await importDist("agent/store/db.js");
  const { insertObservation } = await importDist("agent/store/observations.js");
  const { writeFindingState } = await importDist("agent/store/findings.js");
  const { appendAudit } = await importDist("agent/audit.js");
  const db = openStore(dataDir);
  const now = Math.floor(Date.now() / 60_000) * 60_000;
  const at = makeObservations(now - HISTORY_PAGE_ROWS * 60_000);
  db.transaction(() => {
    for (let t = 0; t < HISTORY_PAGE_ROWS; t++) {
      ids.forEach((id, idx) => {
        const o = at(id, idx, t);
        insertObservation(db, { ...o, error: undefined, facts: JSON.parse(o.factsJson), findings: JSON.parse(o.findingsJson) });
        writeFindingState(db, id, JSON.parse(o.findingsJson), o.startedAt, true);
      });
    }
    for (let j = 0; j < AUDIT_PAGE_ROWS; j++) appendAudit(db, { at: now - (AUDIT_PAGE_ROWS - j) * 1000, actor: `user:staff${j % 7}`, action: AUDIT_ACTIONS[j % AUDIT_ACTIONS.length], target: `alert:${j}`, detail: { note: "" }, address: "192.0.2.1" });
  })();
  db.close();
}

/** Polls the audit page until the background chain walk has verified `rows` entries; ms waited. */
async function auditVerified(base, headers, rows) {
  const t0 = Date.now();
  while (Date.now() - t0 < 300_000) {
    const r = await fetch(`${base}/audit`, { headers, redirect: "manual" });
    const m = /Hash chain intact \(([\d,]+) entries\)/.exec(await r.text());
    if (r.status !== 200) return undefined;
    if (m && Number(m[1].replace(/,/g, "")) >= rows) return Date.now() - t0;
    await sleep(250);
  }
  return undefined;
}

/**
 * Starts `serve` on a data dir: start-up (spawn → /healthz), then waits for the start-up checks,
 * the audit chain's verification and the process to fall quiet. Returns the running console.
 */
export async function startAndSettle(dir, ids, auditRows, notes) {
  const port = await freePort();
  const { file } = await writeAllMonitorsConfig(dir, { port });
  const t0 = Date.now();
  const gh = await consoleUnderTest(file, join(dir, "data"), port, 0, notes);
  const startupMs = Date.now() - t0;
  try {
    // The page figures are the steady state; the catch-up after start-up is reported on its own.
    while (checksDone(gh.proc) < ids.length && Date.now() - t0 < 180_000) await sleep(200);
    const headers = gh.cookie ? { Cookie: gh.cookie } : {};
    const auditCatchUpMs = await auditVerified(gh.base, headers, auditRows);
    const quiet = await waitQuiet(gh.proc.pid);
    if (quiet === undefined) notes.push("- history: a console was still busy 180 s after start-up; pages measured anyway.");
    return { gh, headers, startupMs, auditCatchUpMs, settleMs: quiet === undefined ? NaN : Date.now() - t0 - startupMs };
  } catch (e) {
    await stop(gh.proc);
    throw e;
  }
}

/** Page p99 under wrk: the lower of ROUNDS runs, so one load spike on the shared box does not decide. */
const ROUNDS = 2;

/**
 * The overview, a monitor's history and the audit page under wrk on both consoles, alternating
 * empty and seeded runs page by page so both see the same load on the shared machine.
 */
export async function measurePages(consoles, historyId, notes) {
  const out = consoles.map(() => ({}));
  for (const [key, path] of [["overview", "/"], ["history", `/monitors/${historyId}`], ["audit", "/audit"]]) {
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, c] of consoles.entries()) {
        const r = await fetch(`${c.gh.base}${path}`, { headers: c.headers, redirect: "manual" });
        const bytes = (await r.arrayBuffer()).byteLength;
        if (r.status !== 200) {
          notes.push(`- history: ${path} answered HTTP ${r.status}; no figure for it.`);
          continue;
        }
        const w = await wrk(`${c.gh.base}${path}`, { seconds: WRK_S, headers: c.headers });
        if (!out[i][key] || w.p99Ms < out[i][key].p99Ms) out[i][key] = { bytes, ...w };
      }
    }
  }
  return out;
}

/** Prunes at the default retention on a stopped data dir; {pruned, ms, bytesAfter}. */
async function prune(dataDir) {
  const { openStore } = await importDist("agent/store/db.js");
  const { pruneObservations } = await importDist("agent/store/observations.js");
  const db = openStore(dataDir);
  try {
    const t0 = Date.now();
    const pruned = pruneObservations(db, Date.now() - RETENTION_DAYS * 86_400_000);
    return { pruned, ms: Date.now() - t0 };
  } finally {
    db.close();
  }
}

export async function historyBench(notes = []) {
  if (!anchor("wrk", notes)) return undefined;
  if (!distHas("agent/store/observation-log.js")) {
    notes.push("- history: this build has no observation log (migration 007); not measured.");
    return undefined;
  }
  const emptyDir = tempDir("hist-empty");
  const fullDir = tempDir("hist-full");
  try {
    // Config first so the seeded monitors are the configured ones.
    const { ids } = await writeAllMonitorsConfig(fullDir, { port: 1 });
    process.env.GATEHOUSE_LOG_LEVEL = "info";
    const seeded = await seed(join(fullDir, "data"), ids, notes);
    const sizeBytes = dbBytes(join(fullDir, "data"));
    const historyId = ids[0];
    await seedOnePage(join(emptyDir, "data"), ids);
    const consoles = [];
    let empty;
    let full;
    try {
      consoles.push(await startAndSettle(emptyDir, ids, AUDIT_PAGE_ROWS, notes));
      consoles.push(await startAndSettle(fullDir, ids, seeded.auditRows, notes));
      const [e, f] = await measurePages(consoles, historyId, notes);
      empty = { ...consoles[0], gh: undefined, ...e };
      full = { ...consoles[1], gh: undefined, ...f };
    } finally {
      for (const c of consoles) await stop(c.gh.proc);
    }
    const emptyBytes = dbBytes(join(emptyDir, "data"));
    const emptyPrune = await prune(join(emptyDir, "data"));
    const fullPrune = await prune(join(fullDir, "data"));
    return { ...seeded, days: DAYS, monitors: ids.length, sizeBytes, emptyBytes, empty, full, emptyPrune, fullPrune };
  } finally {
    if (process.env.GH_BENCH_KEEP === "1") notes.push(`- history: data dirs kept (GH_BENCH_KEEP=1): ${emptyDir} ${fullDir}`);
    else {
      cleanDir(emptyDir);
      cleanDir(fullDir);
    }
  }
}

/** The figures as lines of text, for a run of this file alone. */
export function historySummary(r) {
  const n = (x) => x.toLocaleString("en");
  const s = r.storage;
  const p = (k, label) => {
    const e = r.empty[k];
    const f = r.full[k];
    return f ? `${label} p99: ${fmt(f.p99Ms, 2)} ms (empty ${fmt(e?.p99Ms, 2)} ms, ${fmt(f.p99Ms / e?.p99Ms, 2)}x); ${fmt(f.rps, 0)} req/s; page ${n(f.bytes)} B (empty ${n(e?.bytes ?? 0)} B)` : `${label}: not measured`;
  };
  return [
    `seeded ${n(r.observations)} observations (${r.monitors} monitors × ${r.days} days per minute) in ${fmt(r.obsMs / 1000)} s, ${n(r.doorEvents)} door events in ${fmt(r.doorMs / 1000)} s, ${n(r.auditRows)} audit rows in ${fmt(r.auditMs / 1000)} s`,
    `database: ${fmt(r.sizeBytes / 2 ** 20)} MiB (empty ${fmt(r.emptyBytes / 2 ** 20, 2)} MiB); observations ${fmt(s.observations / 2 ** 20)} MiB = ${fmt(s.observations / r.observations)} B/observation (${n(s.results)} distinct results), door events ${fmt(s.doors / 2 ** 20)} MiB, audit ${fmt(s.audit / 2 ** 20)} MiB`,
    `start-up: ${r.full.startupMs} ms (empty ${r.empty.startupMs} ms); audit chain verified ${fmt((r.full.auditCatchUpMs ?? NaN) / 1000)} s after, quiet ${fmt(r.full.settleMs / 1000)} s after (empty ${fmt(r.empty.settleMs / 1000)} s)`,
    p("overview", "overview"),
    p("history", "monitor history page"),
    p("audit", "audit page"),
    `prune (${RETENTION_DAYS} d): ${n(r.fullPrune.pruned)} rows in ${fmt(r.fullPrune.ms / 1000, 2)} s (empty: ${r.emptyPrune.pruned} rows in ${r.emptyPrune.ms} ms)`,
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const notes = [];
  const r = await historyBench(notes);
  if (r) console.log(historySummary(r).join("\n"));
  console.log(notes.join("\n"));
}
