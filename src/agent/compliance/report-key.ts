/**
 * The box's report-signing key: Ed25519 (node:crypto), made on first use, kept in the data dir
 * (`report-key.pem`, mode 0600, owned like the data dir so the daemon and root's CLI share
 * it). A report is signed with it, and its fingerprint — SHA-256 of the public key's DER, what
 * `openssl pkey -pubin -outform DER | sha256sum` prints — is printed in every report, so a
 * printed copy names the key that vouches for it.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";
import { chownSync, existsSync, linkSync, readFileSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** File name of the private key inside the data dir. */
export const REPORT_KEY_FILE = "report-key.pem";

/** A loaded signing key. */
export interface ReportKey {
  privateKey: KeyObject;
  publicKeyPem: string;
  /** `sha256:` + hex of the public key's SubjectPublicKeyInfo DER. */
  fingerprint: string;
}

/** The fingerprint of a public key (PEM or KeyObject). */
export function keyFingerprint(publicKey: string | KeyObject): string {
  const key = typeof publicKey !== "string" && publicKey.type === "public" ? publicKey : createPublicKey(publicKey);
  const der = key.export({ type: "spki", format: "der" });
  return `sha256:${createHash("sha256").update(der).digest("hex")}`;
}

function fromPrivatePem(pem: string): ReportKey {
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== "ed25519") throw new Error("the report key is not an Ed25519 key");
  const pub = createPublicKey(privateKey);
  return { privateKey, publicKeyPem: pub.export({ type: "spki", format: "pem" }).toString(), fingerprint: keyFingerprint(pub) };
}

/**
 * Loads `dataDir/report-key.pem`, creating it (0600, exclusive, so two processes never make two
 * keys) when absent. Created by root, it is handed to the data dir's owner.
 */
export function loadOrCreateReportKey(dataDir: string): ReportKey {
  const file = join(dataDir, REPORT_KEY_FILE);
  if (!existsSync(file)) {
    const { privateKey } = generateKeyPairSync("ed25519");
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, privateKey.export({ type: "pkcs8", format: "pem" }).toString(), { mode: 0o600, flag: "wx" });
    try {
      if (process.getuid?.() === 0) {
        const owner = statSync(dataDir);
        chownSync(tmp, owner.uid, owner.gid);
      }
      linkSync(tmp, file); // fails if another process made it first: theirs wins
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    } finally {
      unlinkSync(tmp);
    }
  }
  return fromPrivatePem(readFileSync(file, "utf8"));
}

/** Ed25519 signature (64 bytes) of `data` by the key. */
export function signReport(key: ReportKey, data: string | Buffer): Buffer {
  return sign(null, Buffer.from(data), key.privateKey);
}

/** Whether `signature` is the key's signature of `data`; false for any malformed input. */
export function verifyReportSignature(publicKeyPem: string, data: string | Buffer, signature: Buffer): boolean {
  try {
    return verify(null, Buffer.from(data), createPublicKey(publicKeyPem), signature);
  } catch {
    return false;
  }
}
