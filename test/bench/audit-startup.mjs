// Start-up of `gatehouse serve` on a data dir holding a million audit rows (issue 17): spawn →
// /healthz on the first start (no verification checkpoint yet) and on a restart of the same data
// dir, and the slowest /healthz answer over the seconds after each start (the chain is verified in
// the background meanwhile: a slow answer there means it ran on the event loop's critical path).
//
//   node test/bench/audit-startup.mjs                 # the build in dist/
//   GH_BENCH_DIST=/tmp/other-dist node test/bench/audit-startup.mjs
//   GH_AUDIT_ROWS=200000 node test/bench/audit-startup.mjs
//
// Not part of `npm run bench`: a focused figure for the audit checkpoint; seeding takes about a minute.
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { cleanDir, freePort, importDist, sleep, startGatehouse, stop, tempDir, waitForHttp, writeAllMonitorsConfig } from "./lib.mjs";

const ROWS = Number(process.env.GH_AUDIT_ROWS ?? 1_000_000);
const WATCH_MS = Number(process.env.GH_AUDIT_WATCH_MS ?? 30_000);
const BATCH = 10_000;

async function seed(dataDir) {
  const { openStore } = await importDist("agent/store/db.js");
  const { appendAudit } = await importDist("agent/audit.js");
  const db = openStore(dataDir);
  db.pragma("synchronous = OFF");
  const t0 = Date.now() - ROWS * 30_000;
  for (let i = 0; i < ROWS; i += BATCH) {
    db.transaction(() => {
      for (let j = i; j < Math.min(ROWS, i + BATCH); j++) {
        appendAudit(db, { at: t0 + j * 30_000, actor: `user:staff${j % 7}`, action: "session.login", target: `alert:${j % 5000}`, detail: { note: j % 10 === 0 ? "checked" : "" }, address: `192.0.2.${(j % 200) + 1}` });
      }
    })();
  }
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.close();
}

/** One start: ms to /healthz, then the slowest /healthz answer while watching. */
async function startOnce(file, base) {
  const t0 = Date.now();
  const proc = startGatehouse(file, { env: { GATEHOUSE_LOG_LEVEL: "warn" } });
  try {
    await waitForHttp(`${base}/healthz`, 120_000, proc);
    const startupMs = Date.now() - t0;
    let worst = 0;
    const end = Date.now() + WATCH_MS;
    while (Date.now() < end) {
      const s = Date.now();
      await (await fetch(`${base}/healthz`)).arrayBuffer();
      worst = Math.max(worst, Date.now() - s);
      await sleep(100);
    }
    return { startupMs, worstHealthzMs: worst };
  } finally {
    await stop(proc);
  }
}

const dir = tempDir("audit-startup");
try {
  const template = join(dir, "template");
  mkdirSync(template, { recursive: true });
  const s = Date.now();
  await seed(template);
  console.log(`seeded ${ROWS} audit rows in ${((Date.now() - s) / 1000).toFixed(1)} s`);
  const port = await freePort();
  const { file } = await writeAllMonitorsConfig(dir, { port });
  const data = join(dir, "data");
  mkdirSync(data, { recursive: true });
  for (const f of ["gatehouse.db", "gatehouse.db-wal", "gatehouse.db-shm"]) if (existsSync(join(template, f))) copyFileSync(join(template, f), join(data, f));
  const base = `http://127.0.0.1:${port}`;
  const first = await startOnce(file, base);
  const again = await startOnce(file, base);
  console.log(`| start | spawn → /healthz | slowest /healthz in the ${WATCH_MS / 1000} s after |`);
  console.log("|---|---|---|");
  console.log(`| first start, ${ROWS} audit rows | ${first.startupMs} ms | ${first.worstHealthzMs} ms |`);
  console.log(`| restart, same data dir | ${again.startupMs} ms | ${again.worstHealthzMs} ms |`);
} finally {
  cleanDir(dir);
}
