/**
 * The console's TLS material and its sealing key, kept in the data dir. The self-signed
 * certificate is made in process (@peculiar/x509 over Node's WebCrypto: no `openssl` binary on the
 * box) as a leaf: CA:FALSE, digitalSignature, serverAuth, names for loopback, this host and the
 * listen address, 397 days (the CA/Browser Forum's 398-day ceiling), renewed at start within 30
 * days of expiry or when an older certificate is not such a leaf. The private key is written into
 * a private temp folder, 0600, then moved in place: it is never readable by others, not even for
 * an instant.
 */
import { randomBytes, webcrypto, X509Certificate } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { hostname } from "node:os";
import { join } from "node:path";

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
}

export const CONSOLE_KEY_FILE = "console.key";

/** Validity of a generated certificate (≤ 398 days, the longest browsers accept for a leaf). */
export const CERT_DAYS = 397;
/** A generated certificate this close to expiry is renewed at start. */
export const RENEW_BEFORE_DAYS = 30;
const DAY_MS = 86_400_000;

/**
 * TLS settings of the console: TLS 1.2 only with forward-secret AEAD suites (ECDHE with AES-GCM
 * or ChaCha20-Poly1305; no CBC, no RSA key exchange), TLS 1.3 with its own (all AEAD) suites.
 */
export const CONSOLE_TLS_OPTIONS = {
  minVersion: "TLSv1.2",
  ciphers: [
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
  ].join(":"),
  honorCipherOrder: true,
} as const;

/** The 32-byte key that seals TOTP secrets; created (0600) on first use. */
export function loadOrCreateConsoleKey(dataDir: string): Buffer {
  const file = join(dataDir, CONSOLE_KEY_FILE);
  if (existsSync(file)) {
    // Tightened like the TLS key: a restore or a hand copy may have left it readable by others.
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    const key = Buffer.from(readFileSync(file, "utf8").trim(), "base64");
    if (key.length !== 32) throw new Error(`${file} is not a 32-byte base64 key; restore it from backup (without it second factors cannot be checked)`);
    return key;
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  writeFileSync(file, `${key.toString("base64")}\n`, { mode: 0o600, flag: "wx" });
  return key;
}

/** Names the certificate is valid for: loopback, this host's name, and the listen address when it is a specific one. */
export function certificateNames(listenHost: string, host = hostname()): { dns: string[]; ip: string[] } {
  const dns = new Set(["localhost"]);
  const ip = new Set(["127.0.0.1", "::1"]);
  if (/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/.test(host)) dns.add(host.toLowerCase());
  const listen = listenHost.replace(/^\[|\]$/g, "");
  if (isIP(listen) !== 0) {
    if (listen !== "0.0.0.0" && listen !== "::") ip.add(listen);
  } else if (/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/.test(listen)) dns.add(listen.toLowerCase());
  return { dns: [...dns], ip: [...ip] };
}

/** Why a certificate found in the data dir must be replaced, or undefined when it can stay. */
export function renewalReason(certPem: Buffer | string, now: Date, listenHost: string, host = hostname()): string | undefined {
  let c: X509Certificate;
  try {
    c = new X509Certificate(certPem);
  } catch {
    return "unreadable";
  }
  const to = Date.parse(c.validTo);
  if (!(to - now.getTime() > RENEW_BEFORE_DAYS * DAY_MS)) return "expires_soon";
  if (c.ca) return "not_a_leaf";
  if (to - Date.parse(c.validFrom) > 398 * DAY_MS) return "too_long";
  if (!(c.keyUsage ?? []).includes("1.3.6.1.5.5.7.3.1")) return "no_server_auth";
  const names = certificateNames(listenHost, host);
  const san = c.subjectAltName ?? "";
  const missing = [...names.dns.map((d) => `DNS:${d}`), ...names.ip.map((i) => `IP Address:${ipText(i)}`)].find((n) => !san.split(", ").includes(n));
  return missing ? "names_changed" : undefined;
}

/** How Node prints an IP in subjectAltName (IPv6 in full upper-case form). */
function ipText(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  const [head = "", tail] = ip.split("::");
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t];
  return groups.map((g) => parseInt(g, 16).toString(16).toUpperCase()).join(":");
}

/** A new ECDSA P-256 key and its self-signed leaf certificate, both PEM. */
export async function makeLeafCertificate(names: { dns: string[]; ip: string[] }, now: Date): Promise<{ certPem: string; keyPem: string }> {
  // Loaded only when a certificate is made (once a year), not at every start: it is 3 MiB of code.
  // tsyringe, under @peculiar/x509, needs the Reflect metadata polyfill loaded first.
  await import("reflect-metadata");
  const x509 = await import("@peculiar/x509");
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"]);
  // Node's WebCrypto is the standard one; the library types it with the DOM's names.
  const crypto = webcrypto as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[1];
  type Keys = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]["keys"];
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f; // a positive serial number
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serial.toString("hex"),
      name: "CN=Gatehouse console",
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + CERT_DAYS * DAY_MS),
      signingAlgorithm: alg,
      keys: keys as unknown as Keys,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
        new x509.SubjectAlternativeNameExtension([...names.dns.map((value) => ({ type: "dns" as const, value })), ...names.ip.map((value) => ({ type: "ip" as const, value }))], false),
        await x509.SubjectKeyIdentifierExtension.create((keys as unknown as Keys).publicKey!, false, crypto),
      ],
    },
    crypto,
  );
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n?$/, "\n")}-----END PRIVATE KEY-----\n`;
  return { certPem: cert.toString("pem"), keyPem };
}

/**
 * The self-signed certificate in `<dataDir>/tls`, made on first call and renewed when it is near
 * expiry or not a proper leaf (`renewed` then says why).
 */
export async function ensureSelfSigned(
  dataDir: string,
  listenHost: string,
  opts: { now?: Date; host?: string } = {},
): Promise<TlsMaterial & { created: boolean; renewed?: string; certFile: string }> {
  const now = opts.now ?? new Date();
  const host = opts.host ?? hostname();
  const dir = join(dataDir, "tls");
  const certFile = join(dir, "console.crt");
  const keyFile = join(dir, "console.key");
  const present = existsSync(certFile) && existsSync(keyFile);
  const reason = present ? renewalReason(readFileSync(certFile), now, listenHost, host) : undefined;
  if (!present || reason) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { certPem, keyPem } = await makeLeafCertificate(certificateNames(listenHost, host), now);
    const tmp = mkdtempSync(join(dir, ".new-"));
    try {
      const k = join(tmp, "console.key");
      const c = join(tmp, "console.crt");
      writeFileSync(k, keyPem, { mode: 0o600, flag: "wx" });
      writeFileSync(c, certPem, { mode: 0o644, flag: "wx" });
      chmodSync(k, 0o600);
      chmodSync(c, 0o644);
      renameSync(k, keyFile);
      renameSync(c, certFile);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  if ((statSync(keyFile).mode & 0o077) !== 0) chmodSync(keyFile, 0o600);
  return { cert: readFileSync(certFile), key: readFileSync(keyFile), created: !present, ...(reason ? { renewed: reason } : {}), certFile };
}

/** Reads a configured certificate and key. */
export function readConfiguredTls(files: { cert: string; key: string }): TlsMaterial {
  return { cert: readFileSync(files.cert), key: readFileSync(files.key) };
}
