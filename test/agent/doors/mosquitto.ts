/**
 * A real mosquitto broker for tests: generated config in a temp dir, a random loopback port,
 * password file, optional TLS listener, persistence (so a restart keeps QoS 1 sessions).
 * Started through the exec module; stopped and removed by the test.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { run, spawnLines, type LineStream } from "../../../src/kit/exec.js";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection({ host: "127.0.0.1", port });
    c.once("connect", () => {
      c.destroy();
      resolve(true);
    });
    c.once("error", () => resolve(false));
  });
}

export interface Broker {
  dir: string;
  port: number;
  tlsPort: number | undefined;
  url: string;
  username: string;
  passwordFile: string;
  caFile: string | undefined;
  log: string[];
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the broker, removes its directory. */
  destroy(): Promise<void>;
}

export async function startBroker(opts: { tls?: boolean } = {}): Promise<Broker> {
  const dir = mkdtempSync(join(tmpdir(), "gh-mosquitto-"));
  const port = await freePort();
  const tlsPort = opts.tls ? await freePort() : undefined;
  const passwordFile = join(dir, "gatehouse.pass");
  writeFileSync(passwordFile, "s3cret-door-pass\n", { mode: 0o600 });
  writeFileSync(join(dir, "passwd"), "");
  await run("mosquitto_passwd", ["-b", join(dir, "passwd"), "gatehouse", "s3cret-door-pass"]);
  await run("mosquitto_passwd", ["-b", join(dir, "passwd"), "sensor", "sensor-pass"]);
  let caFile: string | undefined;
  let tlsConf = "";
  if (tlsPort) {
    caFile = join(dir, "ca.pem");
    const cnf = join(dir, "ext.cnf");
    writeFileSync(cnf, "subjectAltName=IP:127.0.0.1\n");
    await run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=Test CA", "-keyout", join(dir, "ca.key"), "-out", caFile]);
    await run("openssl", ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", join(dir, "server.key"), "-out", join(dir, "server.csr")]);
    await run("openssl", ["x509", "-req", "-in", join(dir, "server.csr"), "-CA", caFile, "-CAkey", join(dir, "ca.key"), "-CAcreateserial", "-days", "2", "-extfile", cnf, "-out", join(dir, "server.pem")]);
    tlsConf = `listener ${tlsPort} 127.0.0.1\ncafile ${caFile}\ncertfile ${join(dir, "server.pem")}\nkeyfile ${join(dir, "server.key")}\n`;
  }
  const conf = join(dir, "mosquitto.conf");
  writeFileSync(
    conf,
    [
      `user ${userInfo().username}`,
      "per_listener_settings false",
      "allow_anonymous false",
      `password_file ${join(dir, "passwd")}`,
      "persistence true",
      `persistence_location ${dir}/`,
      "autosave_interval 1",
      "log_dest stderr",
      "log_type error",
      "log_type warning",
      "log_type notice",
      "connection_messages true",
      `listener ${port} 127.0.0.1`,
      tlsConf,
    ].join("\n"),
  );
  let proc: LineStream | undefined;
  const log: string[] = [];
  const broker: Broker = {
    dir,
    port,
    tlsPort,
    url: `mqtt://127.0.0.1:${port}`,
    username: "gatehouse",
    passwordFile,
    caFile,
    log,
    async start() {
      proc = spawnLines("mosquitto", ["-c", conf], () => {}, { onStderr: (s) => log.push(s) });
      for (let i = 0; i < 200; i++) {
        if (await accepting(port)) return;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`mosquitto did not start on port ${port}: ${log.join("")}`);
    },
    async stop() {
      const p = proc;
      proc = undefined;
      if (!p) return;
      p.stop();
      await p.exited;
    },
    async destroy() {
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await broker.start();
  return broker;
}
