/**
 * Local TLS servers on random loopback ports with certificates made by the real openssl CLI,
 * probed by the real handshake code. Nothing leaves 127.0.0.1.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type SecureVersion, type Server } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tls } from "../../../src/monitors/tls/index.js";
import { NotApplicable, type PolicyFinding } from "../../../src/monitors/monitor.js";
import { replayRun } from "../../helpers/replay-run.js";
import { testProbeContext } from "../../helpers/probe-context.js";
import { canRun } from "../../helpers/require-tool.js";
import { TestPki, type KeyPair } from "./pki.js";

const DAY = 86_400_000;
const NAME = "messaging.acme-answering.test";
const SAN = `DNS:${NAME},IP:127.0.0.1`;

describe.skipIf(!canRun({ tools: ["openssl"] }))("tls endpoints (real handshakes on loopback)", () => {
  let dir: string;
  let pki: TestPki;
  const servers: (Server | NetServer)[] = [];
  const sockets: Socket[] = [];

  async function serve(kp: KeyPair, opts: { min?: SecureVersion; max?: SecureVersion; ciphers?: string } = {}): Promise<string> {
    const server = createServer({
      key: kp.key,
      cert: kp.cert,
      ...(opts.min ? { minVersion: opts.min } : {}),
      ...(opts.max ? { maxVersion: opts.max } : {}),
      ...(opts.ciphers ? { ciphers: opts.ciphers } : {}),
    });
    server.on("tlsClientError", () => {});
    server.on("connection", (s) => sockets.push(s));
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return `127.0.0.1:${(server.address() as { port: number }).port}`;
  }

  async function check(endpoints: unknown[], more: Record<string, unknown> = {}) {
    const config = tls.parseConfig({ endpoints, ca_file: pki.ca.certPath, ...more });
    const obs = await tls.probe(testProbeContext({ run: replayRun([]) }), config);
    const findings = tls.policy(obs.facts, config, { now: new Date(), firstSeen: () => undefined });
    return { facts: obs.facts, findings, evidence: obs.evidence };
  }
  const status = (fs: PolicyFinding[], subject: string) =>
    Object.fromEntries(fs.filter((f) => f.subject === subject).map((f) => [f.rule, f.status]));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "gh-tls-"));
    pki = await TestPki.create(dir);
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    rmSync(dir, { recursive: true, force: true });
  });

  it("valid certificate from the CA in ca_file → every rule passes", async () => {
    const now = Date.now();
    const addr = await serve(await pki.leaf(SAN, new Date(now - DAY), new Date(now + 200 * DAY)));
    const { facts, findings } = await check([{ address: addr, servername: NAME }]);
    expect(status(findings, addr)).toEqual({
      "tls.reachable": "pass",
      "tls.expiry": "pass",
      "tls.chain": "pass",
      "tls.hostname": "pass",
      "tls.protocol": "pass",
    });
    expect(facts[`tls.endpoint.${addr}.protocol`]).toBe("TLSv1.3");
    expect(facts[`tls.endpoint.${addr}.days_left`]).toBe(199);
    expect(facts[`tls.endpoint.${addr}.issuer`]).toBe("CN=Gatehouse Test CA");
    expect(facts["tls.endpoints"]).toEqual([addr]);
  });

  it("the same server without ca_file → chain fails against the bundled roots", async () => {
    const now = Date.now();
    const addr = await serve(await pki.leaf(SAN, new Date(now - DAY), new Date(now + 200 * DAY)));
    const config = tls.parseConfig({ endpoints: [{ address: addr, servername: NAME }] });
    const obs = await tls.probe(testProbeContext({ run: replayRun([]) }), config);
    const f = tls.policy(obs.facts, config, { now: new Date(), firstSeen: () => undefined }).find((x) => x.rule === "tls.chain")!;
    expect(f).toMatchObject({ status: "fail", message: expect.stringMatching(/UNABLE_TO_VERIFY_LEAF_SIGNATURE/) });
  });

  it("expiring within warn_days → warn; expired → fail with the date", async () => {
    const now = Date.now();
    const soon = await serve(await pki.leaf(SAN, new Date(now - 300 * DAY), new Date(now + 10 * DAY + 3_600_000)));
    const gone = await serve(await pki.leaf(SAN, new Date(now - 400 * DAY), new Date(now - 35 * DAY)));
    const { findings } = await check([
      { address: soon, servername: NAME },
      { address: gone, servername: NAME },
    ]);
    expect(findings.find((f) => f.subject === soon && f.rule === "tls.expiry")).toMatchObject({
      status: "warn",
      message: expect.stringMatching(/expires in 10 days/),
    });
    expect(findings.find((f) => f.subject === gone && f.rule === "tls.expiry")).toMatchObject({
      status: "fail",
      message: expect.stringMatching(/expired on .* \(35 days ago\)/),
    });
    // Expiry is reported once, by its own rule, not again as a chain failure.
    expect(status(findings, gone)["tls.chain"]).toBe("pass");
  });

  it("certificate for another host → hostname fails", async () => {
    const now = Date.now();
    const addr = await serve(await pki.leaf("DNS:portal.other-clinic.test", new Date(now - DAY), new Date(now + 100 * DAY)));
    const { findings } = await check([{ address: addr, servername: NAME }]);
    expect(status(findings, addr)).toMatchObject({ "tls.hostname": "fail", "tls.chain": "pass" });
    expect(findings.find((f) => f.rule === "tls.hostname")!.message).toMatch(/portal\.other-clinic\.test/);
  });

  it("self-signed → chain fails with advice", async () => {
    const addr = await serve(await pki.selfSigned(SAN));
    const { facts, findings } = await check([{ address: addr, servername: NAME }]);
    expect(facts[`tls.endpoint.${addr}.self_signed`]).toBe(true);
    expect(findings.find((f) => f.rule === "tls.chain")).toMatchObject({
      status: "fail",
      message: expect.stringMatching(/DEPTH_ZERO_SELF_SIGNED_CERT.*self-signed/),
    });
  });

  it("a server that only speaks TLS 1.0 → the handshake still succeeds (to observe it) and protocol fails", async () => {
    const now = Date.now();
    const kp = await pki.leaf(SAN, new Date(now - DAY), new Date(now + 100 * DAY));
    // Node 20's OpenSSL 3 still serves TLS 1.0 at security level 0; if a future runtime refuses,
    // this line throws and says so rather than the test passing on a different path.
    const addr = await serve(kp, { min: "TLSv1", max: "TLSv1", ciphers: "DEFAULT:@SECLEVEL=0" });
    const { facts, findings } = await check([{ address: addr, servername: NAME }]);
    expect(facts[`tls.endpoint.${addr}.outcome`]).toBe("ok");
    expect(facts[`tls.endpoint.${addr}.protocol`]).toBe("TLSv1");
    expect(findings.find((f) => f.rule === "tls.protocol")).toMatchObject({
      status: "fail",
      message: expect.stringMatching(/negotiated TLSv1, older than min_version TLSv1\.2/),
    });
    expect(status(findings, addr)["tls.chain"]).toBe("pass");
  });

  it("a server offering only a cipher the client never offers → handshake fails clearly", async () => {
    const now = Date.now();
    const kp = await pki.leaf(SAN, new Date(now - DAY), new Date(now + 100 * DAY));
    // A cipher list the client never offers, so no handshake can complete.
    const addr = await serve(kp, { min: "TLSv1", max: "TLSv1", ciphers: "NULL-SHA:@SECLEVEL=0" });
    const { findings } = await check([{ address: addr, servername: NAME }]);
    expect(findings).toEqual([
      expect.objectContaining({ rule: "tls.handshake", status: "fail", message: expect.stringMatching(/no TLS handshake succeeded \(.+\)/) }),
    ]);
  });

  it("min_version TLSv1.3 fails a TLS 1.2-only server", async () => {
    const now = Date.now();
    const addr = await serve(await pki.leaf(SAN, new Date(now - DAY), new Date(now + 100 * DAY)), { max: "TLSv1.2" });
    const { findings } = await check([{ address: addr, servername: NAME }], { min_version: "TLSv1.3" });
    expect(status(findings, addr)["tls.protocol"]).toBe("fail");
  });

  it("connection refused → unknown; plain-text server → handshake fail; silent server → handshake fail after the timeout", async () => {
    const closed = createNetServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const refused = `127.0.0.1:${(closed.address() as { port: number }).port}`;
    await new Promise((r) => closed.close(r));

    const http = createNetServer((s) => {
      sockets.push(s);
      s.end("HTTP/1.0 400 Bad Request\r\n\r\n");
    });
    const silent = createNetServer((s) => sockets.push(s));
    servers.push(http, silent);
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const plain = `127.0.0.1:${(http.address() as { port: number }).port}`;
    const mute = `127.0.0.1:${(silent.address() as { port: number }).port}`;

    const { findings } = await check([refused, plain, mute], { timeout: "1s" });
    expect(findings.find((f) => f.subject === refused)).toMatchObject({
      rule: "tls.reachable",
      status: "unknown",
      message: expect.stringMatching(/Cannot connect to .* \(connect ECONNREFUSED/),
    });
    expect(findings.find((f) => f.subject === plain)).toMatchObject({ rule: "tls.handshake", status: "fail" });
    expect(findings.find((f) => f.subject === plain)!.message).toMatch(/wrong version number|WRONG_VERSION|EPROTO|ECONNRESET|socket disconnected/i);
    expect(findings.find((f) => f.subject === mute)).toMatchObject({ rule: "tls.handshake", status: "fail", message: expect.stringMatching(/no answer within 1000 ms/) });
  });

  it("local certificate files: the console's own cert, expiring, and a missing one", async () => {
    const now = Date.now();
    const soon = await pki.leaf(SAN, new Date(now - DAY), new Date(now + 5 * DAY + 3_600_000));
    const self = await pki.selfSigned("DNS:gatehouse.local");
    const missing = join(dir, "nope.pem");
    const config = tls.parseConfig({ cert_files: [soon.certPath, self.certPath, missing] });
    const obs = await tls.probe(testProbeContext({ run: replayRun([]) }), config);
    const findings = tls.policy(obs.facts, config, { now: new Date(), firstSeen: () => undefined });
    expect(findings.map((f) => [f.subject, f.status])).toEqual([
      [soon.certPath, "warn"],
      [self.certPath, "pass"],
      [missing, "unknown"],
    ]);
    expect(findings[2]!.message).toMatch(/Cannot read certificate .*nope\.pem \(ENOENT\)/);
  });

  it("an unreadable ca_file is reported, not silently replaced by other roots", async () => {
    const { findings } = await check(["127.0.0.1:9"], { ca_file: join(dir, "missing-ca.pem") });
    expect(findings).toEqual([expect.objectContaining({ rule: "tls.reachable", status: "unknown", message: expect.stringMatching(/cannot read ca_file/) })]);
  });
});

describe("nothing configured", () => {
  it("is NotApplicable", async () => {
    await expect(tls.probe(testProbeContext({ run: replayRun([]) }), tls.parseConfig(undefined))).rejects.toBeInstanceOf(NotApplicable);
  });
});
