/**
 * The console's TLS material and its sealing key, kept in the data dir. A self-signed ECDSA
 * certificate is made on first start with the `openssl` binary through the one exec module (no
 * shell); the private key is written into a private temp folder, set to 0600, then moved in place
 * so it is never readable by others, not even for an instant.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { run, type RunFn } from "../agent/exec.js";

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
}

export const CONSOLE_KEY_FILE = "console.key";

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

/** Subject alternative names for the self-signed certificate: loopback, this host's name, and the listen address. */
function altNames(listenHost: string): string {
  const names = new Set(["DNS:localhost", "IP:127.0.0.1", "IP:::1"]);
  const h = hostname();
  if (/^[A-Za-z0-9.-]+$/.test(h)) names.add(`DNS:${h}`);
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(listenHost) && listenHost !== "0.0.0.0") names.add(`IP:${listenHost}`);
  return [...names].join(",");
}

/** The self-signed certificate in `<dataDir>/tls`, made on first call. */
export async function ensureSelfSigned(dataDir: string, listenHost: string, exec: RunFn = run): Promise<TlsMaterial & { created: boolean; certFile: string }> {
  const dir = join(dataDir, "tls");
  const certFile = join(dir, "console.crt");
  const keyFile = join(dir, "console.key");
  let created = false;
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = mkdtempSync(join(dir, ".new-"));
    try {
      const k = join(tmp, "console.key");
      const c = join(tmp, "console.crt");
      await exec(
        "openssl",
        ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-sha256", "-days", "825", "-nodes", "-keyout", k, "-out", c, "-subj", "/CN=Gatehouse console", "-addext", `subjectAltName=${altNames(listenHost)}`],
        { timeoutMs: 30_000 },
      );
      chmodSync(k, 0o600);
      chmodSync(c, 0o644);
      renameSync(k, keyFile);
      renameSync(c, certFile);
      created = true;
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  if ((statSync(keyFile).mode & 0o077) !== 0) chmodSync(keyFile, 0o600);
  return { cert: readFileSync(certFile), key: readFileSync(keyFile), created, certFile };
}

/** Reads a configured certificate and key. */
export function readConfiguredTls(files: { cert: string; key: string }): TlsMaterial {
  return { cert: readFileSync(files.cert), key: readFileSync(files.key) };
}
