/**
 * Issue 16: a QoS 1 door message redelivered after a crash was stored twice (the evidence log
 * over-counted). With a real mosquitto and the built input in a child process that SIGKILLs
 * itself right after storing a message and before acknowledging it, the broker resends it with
 * DUP set to the restarted input: it must be recognised and stored once.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { openDatabase } from "../../../src/agent/store/db.js";
import { canRun } from "../../helpers/require-tool.js";
import { startBroker, type Broker } from "./mosquitto.js";

const child = join(import.meta.dirname, "children/mqtt-crash.mjs");
const built = join(import.meta.dirname, "../../../dist/src/agent/doors/mqtt.js");

describe.skipIf(!canRun({ tools: ["mosquitto", "mosquitto_passwd"] }))("door events: each stored once when the broker redelivers", () => {
  let broker: Broker;
  let dir: string;
  beforeAll(async () => {
    broker = await startBroker();
    dir = mkdtempSync(join(tmpdir(), "gh-redelivery-"));
  });
  afterAll(async () => {
    await broker?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  function start(mode: "crash" | "run"): { p: ChildProcess; out: string[]; exited: Promise<NodeJS.Signals | number | null> } {
    const p = spawn(process.execPath, [child, join(dir, "data"), broker.url, broker.passwordFile, "gh-redelivery", mode], { stdio: ["ignore", "pipe", "inherit"] });
    const out: string[] = [];
    p.stdout!.on("data", (b: Buffer) => out.push(...b.toString().split("\n").filter(Boolean)));
    const exited = new Promise<NodeJS.Signals | number | null>((r) => p.once("exit", (code, sig) => r(sig ?? code)));
    return { p, out, exited };
  }

  it("SIGKILL between storing and PUBACK: the redelivered message is not stored again", async () => {
    if (!existsSync(built)) throw new Error(`needs the build (${built}): run npm run build first`);
    const pub = await mqtt.connectAsync(broker.url, { username: "sensor", password: "sensor-pass" });
    try {
      const first = start("crash");
      let dead = false;
      void first.exited.then(() => (dead = true));
      // Publish distinct messages until the first one stored kills the input (before its ack).
      let n = 0;
      while (!dead && n < 200) {
        await pub.publishAsync("z2m/closet", JSON.stringify({ contact: n % 2 === 0, linkquality: n }), { qos: 1 });
        n++;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await first.exited).toBe("SIGKILL");

      const second = start("run");
      await vi.waitFor(() => expect(second.out).toContain("duplicate"), { timeout: 20_000, interval: 50 });
      second.p.kill("SIGTERM");
      await second.exited;

      const db = openDatabase(join(dir, "data", "gatehouse.db"));
      const twice = db.prepare("SELECT payload_sha256, count(*) AS n FROM door_events GROUP BY payload_sha256 HAVING count(*) > 1").all();
      const stored = (db.prepare("SELECT count(*) AS n FROM door_events").get() as { n: number }).n;
      db.close();
      expect(twice).toEqual([]);
      expect(stored).toBe(second.out.filter((l) => l === "stored").length + 1); // + the one stored before the crash
      console.log(`published ${n}, stored ${stored}, redelivered duplicates recognised ${second.out.filter((l) => l === "duplicate").length}`);
    } finally {
      await pub.endAsync();
    }
  });
});
