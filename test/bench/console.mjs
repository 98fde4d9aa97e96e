// Console: requests/s and p99 of the authenticated overview page and its fragment refresh (htmx,
// `HX-Request: true`) with wrk, beside monit's own status page in the same run. The user and its
// session are created directly in the data dir through the project's own store functions (the
// login flow with a password and TOTP code is the console's tests' business, not a benchmark's).
// GH_BENCH_BEFORE_DIST=DIR (another build's dist/, e.g. the base commit's): the same figures for
// that build too, in the same run, on its own data dir, before this build's.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  anchor,
  checksDone,
  cleanDir,
  distHas,
  fmt,
  freePort,
  importDist,
  QUICK,
  sleep,
  startGatehouse,
  startMonit,
  stop,
  tempDir,
  waitForHttp,
  waitQuiet,
  wrk,
  writeAllMonitorsConfig,
  writeMonitrc,
} from "./lib.mjs";

const SECONDS = QUICK ? 3 : 8;

/** Creates an admin and a session through the project's store; returns the cookie header or undefined. */
export async function seedSession(dataDir) {
  if (!distHas("web/auth/store.js") || !distHas("web/session.js")) return undefined;
  const { openStore } = await importDist("agent/store/db.js");
  const auth = await importDist("web/auth/store.js");
  const { SESSION_COOKIE } = await importDist("web/session.js");
  const db = openStore(dataDir);
  try {
    const now = Date.now();
    const existing = auth.userByName(db, "bench");
    const userId =
      existing?.id ??
      auth.insertUser(db, { username: "bench", role: "admin", passwordHash: "$argon2id$bench-not-a-real-hash", totpSecretSealed: "bench", totpLastStep: 0, createdBy: "bench", now });
    const cookie = auth.createSession(db, userId, now, "127.0.0.1", false);
    return `${SESSION_COOKIE}=${cookie}`;
  } finally {
    db.close();
  }
}

/**
 * Brings up `gatehouse serve` on `configFile`, waits for its first check cycle, seeds a session and
 * checks that the overview answers 200 with it. Returns {proc, base, cookie, authenticated}.
 */
export async function consoleUnderTest(configFile, dataDir, port, monitorCount, notes, { nodeArgs = [], cliPath } = {}) {
  const proc = startGatehouse(configFile, { env: { GATEHOUSE_LOG_LEVEL: "info" }, nodeArgs, ...(cliPath ? { cliPath } : {}) });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${base}/healthz`, 60_000, proc);
  } catch (e) {
    await stop(proc);
    throw new Error(`${e.message}\n${proc.stderrText().slice(-2000)}${proc.stdoutText().slice(-2000)}`);
  }
  const t0 = Date.now();
  while (monitorCount > 0 && checksDone(proc) < monitorCount && Date.now() - t0 < 120_000) await sleep(200);
  const cookie = await seedSession(dataDir);
  const headers = cookie ? { Cookie: cookie } : {};
  const anon = await fetch(`${base}/`, { redirect: "manual" });
  const anonBody = await anon.text();
  const loginRequired = anon.status !== 200 || /name="password"/.test(anonBody);
  const r = await fetch(`${base}/`, { headers, redirect: "manual" });
  const body = await r.text();
  const authenticated = Boolean(cookie) && loginRequired && r.status === 200 && !/name="password"/.test(body);
  if (!loginRequired) notes.push("- console: `/` answers without login in this build; the figures are for that page (the authenticated console was not wired into `serve` yet).");
  else if (cookie && !authenticated) notes.push(`- console: a seeded session did not open the overview (HTTP ${r.status}${r.headers.get("location") ? ` → ${r.headers.get("location")}` : ""}); the figures are for what \`/\` answers without login.`);
  else if (!cookie) notes.push("- console: this build has no console login yet (no src/web/auth); the figures are for the unauthenticated status page at `/`.");
  return { proc, base, cookie: authenticated ? cookie : undefined, authenticated, bytes: body.length };
}

/** One Gatehouse build under wrk: the overview page, then its fragment. `cliPath`: another build's cli.js. */
async function measureBuild(dir, notes, procs, cliPath) {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const { file, ids } = await writeAllMonitorsConfig(dir, { port });
  const gh = await consoleUnderTest(file, `${dir}/data`, port, ids.length, notes, { cliPath });
  procs.push(gh.proc);
  // The steady state, as the history bench measures it: not the start-up's catch-up work (the
  // first checks' evaluation, the audit walk, the first render of the overview's month).
  if ((await waitQuiet(gh.proc.pid, 60_000)) === undefined) notes.push("- console: the daemon was still busy 60 s after its first checks; measured anyway.");
  const headers = gh.cookie ? { Cookie: gh.cookie } : {};
  const overview = await wrk(`${gh.base}/`, { seconds: SECONDS, headers });
  const fragment = await wrk(`${gh.base}/`, { seconds: SECONDS, headers: { ...headers, "HX-Request": "true" } });
  await stop(gh.proc);
  return { overview, fragment, authenticated: gh.authenticated, bytes: gh.bytes };
}

export async function consoleBench(notes = []) {
  if (!anchor("wrk", notes)) return undefined;
  const dir = tempDir("console");
  const procs = [];
  try {
    const beforeDist = process.env.GH_BENCH_BEFORE_DIST;
    // Every monitor, at its default schedule (the start-up cycle finishes before wrk starts).
    const before = beforeDist ? await measureBuild(`${dir}/before`, notes, procs, join(beforeDist, "src/cli.js")) : undefined;
    const { overview, fragment, authenticated, bytes } = await measureBuild(dir, notes, procs);
    let monit;
    if (anchor("monit", notes)) {
      const monitPort = await freePort();
      const m = startMonit(writeMonitrc(dir, { port: monitPort, interval: 30 }));
      procs.push(m);
      await waitForHttp(`http://127.0.0.1:${monitPort}/`, 30_000, m);
      await sleep(1000);
      monit = await wrk(`http://127.0.0.1:${monitPort}/`, { seconds: SECONDS });
    }
    for (const [name, r] of [["overview", overview], ["fragment", fragment], ["overview before", before?.overview], ["fragment before", before?.fragment], ["monit", monit]]) {
      if (r && (r.non2xx > 0 || r.errors > 0)) notes.push(`- console ${name}: ${r.non2xx} non-2xx/3xx responses, ${r.errors} socket errors during wrk`);
    }
    return { overview, fragment, monit, before, authenticated, bytes, seconds: SECONDS };
  } finally {
    await Promise.all(procs.map((p) => stop(p)));
    cleanDir(dir);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const notes = [];
  const r = await consoleBench(notes);
  if (r) {
    const line = (n, x) => x && console.log(`${n}: ${fmt(x.rps, 0)} req/s, p50 ${fmt(x.p50Ms, 2)} ms, p99 ${fmt(x.p99Ms, 2)} ms`);
    line(`gatehouse overview (${r.authenticated ? "authenticated" : "no login"}, ${r.bytes} B)`, r.overview);
    line("gatehouse overview fragment (HX-Request)", r.fragment);
    if (r.before) {
      line(`before (${process.env.GH_BENCH_BEFORE_DIST}) overview (${r.before.authenticated ? "authenticated" : "no login"}, ${r.before.bytes} B)`, r.before.overview);
      line("before: overview fragment (HX-Request)", r.before.fragment);
    }
    line("monit status page", r.monit);
  }
  console.log(notes.join("\n"));
}
