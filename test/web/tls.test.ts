/**
 * The console certificate is made in process (no `openssl` on a bare Debian box) as a proper leaf,
 * renewed before expiry, and served with AEAD-only TLS 1.2 suites: checked with real handshakes.
 */
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type ConnectionOptions } from "node:tls";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfigText } from "../../src/agent/config/load.js";
import { run } from "../../src/kit/exec.js";
import { openStore } from "../../src/agent/store/db.js";
import { startConsole, type ConsoleServer } from "../../src/web/server.js";
import { CERT_DAYS, certificateNames, ensureSelfSigned, renewalReason } from "../../src/web/tls.js";
import { missingTools } from "../helpers/require-tool.js";

const DAY = 86_400_000;
const tmp = () => mkdtempSync(join(tmpdir(), "gh-tls-"));

describe("the generated console certificate", () => {
  it("is a leaf: CA:FALSE, KeyUsage digitalSignature (critical), serverAuth, names for loopback, host and listen address, ≤ 398 days; key 0600", async () => {
    const dir = tmp();
    const now = new Date(Date.UTC(2026, 11, 1));
    const t = await ensureSelfSigned(dir, "192.0.2.7", { now, host: "frontdesk.clinic.example" });
    expect(t.created).toBe(true);
    expect(statSync(join(dir, "tls", "console.key")).mode & 0o777).toBe(0o600);
    const c = new X509Certificate(t.cert);
    expect(c.ca).toBe(false);
    expect(c.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]);
    const days = (Date.parse(c.validTo) - Date.parse(c.validFrom)) / DAY;
    expect(days).toBeLessThanOrEqual(398);
    expect(days).toBeGreaterThan(390);
    expect(c.subjectAltName?.split(", ").sort()).toEqual(["DNS:frontdesk.clinic.example", "DNS:localhost", "IP Address:0:0:0:0:0:0:0:1", "IP Address:127.0.0.1", "IP Address:192.0.2.7"].sort());
    expect(c.checkPrivateKey((await import("node:crypto")).createPrivateKey(t.key))).toBe(true);
    const p = new x509.X509Certificate(t.cert);
    const ku = p.getExtension(x509.KeyUsagesExtension)!;
    expect(ku.critical).toBe(true);
    expect(ku.usages).toBe(x509.KeyUsageFlags.digitalSignature);
    expect(p.getExtension(x509.BasicConstraintsExtension)?.critical).toBe(true);
  });

  it("reads right to openssl x509 -text (when openssl is there; CI requires it as a test tool)", async () => {
    if (missingTools("openssl").length > 0) return;
    const dir = tmp();
    const t = await ensureSelfSigned(dir, "0.0.0.0", { host: "box" });
    const text = (await run("openssl", ["x509", "-noout", "-text", "-in", t.certFile])).stdout;
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature\n/);
    expect(text).toMatch(/X509v3 Extended Key Usage:\s+TLS Web Server Authentication/);
    expect(text).toMatch(/DNS:localhost/);
    expect(text).not.toMatch(/IP Address:0\.0\.0\.0/);
  });

  it("is kept while good, renewed within 30 days of expiry, and replaced when an older one is not a leaf", async () => {
    const dir = tmp();
    const now = new Date(Date.UTC(2026, 11, 1));
    const first = await ensureSelfSigned(dir, "127.0.0.1", { now, host: "box" });
    const again = await ensureSelfSigned(dir, "127.0.0.1", { now: new Date(now.getTime() + 300 * DAY), host: "box" });
    expect(again.created).toBe(false);
    expect(again.renewed).toBeUndefined();
    expect(again.cert.equals(first.cert)).toBe(true);
    const late = await ensureSelfSigned(dir, "127.0.0.1", { now: new Date(now.getTime() + (CERT_DAYS - 29) * DAY), host: "box" });
    expect(late.renewed).toBe("expires_soon");
    expect(late.cert.equals(first.cert)).toBe(false);
    expect(statSync(join(dir, "tls", "console.key")).mode & 0o777).toBe(0o600);
    // A new host name is added at the next start.
    const moved = await ensureSelfSigned(dir, "127.0.0.1", { now: new Date(now.getTime() + (CERT_DAYS - 29) * DAY), host: "newname" });
    expect(moved.renewed).toBe("names_changed");

    // What the openssl-made certificate of earlier versions looked like: CA:TRUE, 825 days, no key usages.
    const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
    const keys = await crypto.subtle.generateKey(alg, true, ["sign", "verify"]);
    const old = await x509.X509CertificateGenerator.createSelfSigned({ name: "CN=Gatehouse console", notBefore: now, notAfter: new Date(now.getTime() + 825 * DAY), keys, signingAlgorithm: alg, extensions: [new x509.BasicConstraintsExtension(true, undefined, true)] });
    writeFileSync(join(dir, "tls", "console.crt"), old.toString("pem"));
    expect(renewalReason(readFileSync(join(dir, "tls", "console.crt")), now, "127.0.0.1", "box")).toBe("not_a_leaf");
    const fixed = await ensureSelfSigned(dir, "127.0.0.1", { now, host: "box" });
    expect(fixed.renewed).toBe("not_a_leaf");
    expect(new X509Certificate(fixed.cert).ca).toBe(false);
    // Garbage in the certificate file: replaced, not a crash.
    writeFileSync(join(dir, "tls", "console.crt"), "not a certificate\n");
    expect((await ensureSelfSigned(dir, "127.0.0.1", { now, host: "box" })).renewed).toBe("unreadable");
  });

  it("names only real names: a wildcard listen address and an odd host name add nothing", () => {
    expect(certificateNames("0.0.0.0", "bad name!")).toEqual({ dns: ["localhost"], ip: ["127.0.0.1", "::1"] });
    expect(certificateNames("::", "box")).toEqual({ dns: ["localhost", "box"], ip: ["127.0.0.1", "::1"] });
    expect(certificateNames("[fd00::5]", "box").ip).toContain("fd00::5");
    expect(certificateNames("console.clinic.example", "box").dns).toContain("console.clinic.example");
  });
});

describe("the console's TLS handshake", () => {
  let server: ConsoleServer | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.server.close(() => r()) : r()));
    server = undefined;
  });

  function handshake(port: number, o: ConnectionOptions): Promise<{ ok: true; protocol: string; cipher: string } | { ok: false; error: string }> {
    return new Promise((resolve) => {
      const s = connect({ host: "127.0.0.1", port, ...o }, () => {
        resolve({ ok: true, protocol: s.getProtocol() ?? "", cipher: s.getCipher().name });
        s.end();
      });
      s.on("error", (e: NodeJS.ErrnoException) => resolve({ ok: false, error: e.code ?? e.message }));
    });
  }

  it("verifies against its own certificate by name, offers TLS 1.3 and only AEAD suites with ECDHE in TLS 1.2", async () => {
    const dir = tmp();
    const config = parseConfigText(`site: T\ntimezone: UTC\ndata_dir: ${dir}\nconsole: { listen: "127.0.0.1:8443", tls: auto }\n`, join(dir, "gatehouse.yaml"));
    const db = openStore(dir);
    const log = { debug() {}, info() {}, warn() {}, error() {} };
    server = await startConsole({ ...config, console: { ...config.console, listen: { host: "127.0.0.1", port: 0 } } }, { db, log, version: "t", routes: [], onEnqueued() {} });
    const ca = readFileSync(join(dir, "tls", "console.crt"));
    const trusted = { ca, servername: "localhost", rejectUnauthorized: true };
    const v13 = await handshake(server.port, trusted);
    expect(v13).toMatchObject({ ok: true, protocol: "TLSv1.3" });
    const gcm = await handshake(server.port, { ...trusted, maxVersion: "TLSv1.2" });
    expect(gcm).toMatchObject({ ok: true, protocol: "TLSv1.2" });
    expect((gcm as { cipher: string }).cipher).toMatch(/^ECDHE-ECDSA-(AES\d+-GCM-SHA\d+|CHACHA20-POLY1305)$/);
    for (const cipher of ["ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA", "ECDHE-ECDSA-AES128-SHA"]) {
      expect(await handshake(server.port, { ...trusted, maxVersion: "TLSv1.2", ciphers: cipher }), cipher).toMatchObject({ ok: false });
    }
    expect(await handshake(server.port, { ...trusted, maxVersion: "TLSv1.1", minVersion: "TLSv1" })).toMatchObject({ ok: false });
    // The wrong name is refused by a verifying client: the SANs are what bind the name.
    expect(await handshake(server.port, { ...trusted, servername: "elsewhere.example" })).toMatchObject({ ok: false, error: "ERR_TLS_CERT_ALTNAME_INVALID" });
    db.close();
  });
});
