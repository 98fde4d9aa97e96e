/**
 * Random tokens and their stored form. Session ids, link tokens and recovery codes are 128 bits
 * or more of randomness, so sha256 is a sufficient one-way store (no salt or slow hash needed).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

/** 128-bit random token, base64url (22 characters). */
export function newToken(bytes = 16): string {
  return randomBytes(bytes).toString("base64url");
}

/** What is stored instead of a token. */
export function tokenHash(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/**
 * Seals a secret (a TOTP key) with AES-256-GCM under the console key, which lives in a file of its
 * own (mode 0600) so that a copy of the database alone does not give away second factors.
 */
export function seal(key: Buffer, plaintext: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", key, iv);
  const body = Buffer.concat([c.update(plaintext, "utf8"), c.final()]);
  return `v1.${iv.toString("base64url")}.${body.toString("base64url")}.${c.getAuthTag().toString("base64url")}`;
}

/** Opens a sealed secret; throws when the key is wrong or the value was altered. */
export function unseal(key: Buffer, sealed: string): string {
  const [v, iv, body, tag] = sealed.split(".");
  if (v !== "v1" || !iv || body === undefined || !tag) throw new Error("malformed sealed value");
  const d = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
  d.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([d.update(Buffer.from(body, "base64url")), d.final()]).toString("utf8");
}
