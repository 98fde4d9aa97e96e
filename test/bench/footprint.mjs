// Footprint: resident memory of `gatehouse serve` on the demo config after warm-up, beside a
// bare hono + better-sqlite3 process measured in the same run. Prints figures and a ratio.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cpuMs, freePort, rssKiB, sleep, start, waitForHttp } from "./lib.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));

async function measure(name, launch, { warmRequests = 50, settleMs = 5000 } = {}) {
  const port = await freePort();
  const proc = launch(port);
  try {
    await waitForHttp(`http://127.0.0.1:${port}/healthz`);
    for (let i = 0; i < warmRequests; i++) await (await fetch(`http://127.0.0.1:${port}/`)).text();
    await sleep(settleMs);
    const samples = [];
    for (let i = 0; i < 5; i++) {
      samples.push(rssKiB(proc.pid));
      await sleep(200);
    }
    return { name, rssKiB: Math.max(...samples), cpuMs: cpuMs(proc.pid) };
  } catch (e) {
    throw new Error(`${name}: ${e.message}\n${proc.stderrText()}`);
  } finally {
    proc.kill("SIGTERM");
  }
}

export async function footprint() {
  const dir = mkdtempSync(join(tmpdir(), "gh-bench-fp-"));
  const demo = readFileSync(join(root, "demo/gatehouse.yaml"), "utf8");
  const gh = await measure("gatehouse serve (demo config)", (port) => {
    writeFileSync(join(dir, "gatehouse.yaml"), demo.replace(/listen: "127\.0\.0\.1:\d+"/, `listen: "127.0.0.1:${port}"`));
    return start(process.execPath, [join(root, "dist/src/cli.js"), "serve", "--config", join(dir, "gatehouse.yaml")], { env: { ...process.env, GATEHOUSE_LOG_LEVEL: "warn" } });
  });
  const bare = await measure("bare hono + better-sqlite3", (port) => start(process.execPath, [join(root, "test/bench/anchors/bare-hono-sqlite.mjs"), String(port)]));
  return { gh, bare };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { gh, bare } = await footprint();
  console.log(`${gh.name}: RSS ${(gh.rssKiB / 1024).toFixed(1)} MiB`);
  console.log(`${bare.name}: RSS ${(bare.rssKiB / 1024).toFixed(1)} MiB`);
  console.log(`ratio: ${(gh.rssKiB / bare.rssKiB).toFixed(2)}x (goal ≤ 1.3x)`);
}
