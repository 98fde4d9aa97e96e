/**
 * TOTP (RFC 6238: SHA-1, 6 digits, 30 s) with one step of skew, and each code accepted once:
 * the caller stores the step returned and passes it back as `lastStep`.
 */
import { createHmac } from "node:crypto";
import { Secret, TOTP } from "otpauth";

export const TOTP_PERIOD = 30;

/** A new random secret (160 bits, base32). */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/**
 * The TOTP secret offered by a one-time link, derived from the link token and the console key:
 * showing the enrollment page (a GET) then stores nothing, yet page, QR code and form post agree.
 * Only the holder of the link can know it; once enrolled the secret is sealed into the user row.
 */
export function enrollmentTotpSecret(consoleKey: Buffer, token: string): string {
  const mac = createHmac("sha256", consoleKey).update("gatehouse-enroll-totp\0").update(token).digest();
  const bytes = new Uint8Array(20);
  bytes.set(mac.subarray(0, 20));
  return new Secret({ buffer: bytes.buffer }).base32;
}

function totp(secret: string, label = "", issuer = "Gatehouse"): TOTP {
  return new TOTP({ issuer, label, algorithm: "SHA1", digits: 6, period: TOTP_PERIOD, secret: Secret.fromBase32(secret) });
}

/** The otpauth:// URI an authenticator app reads from the QR code. */
export function totpUri(secret: string, username: string, issuer: string): string {
  return totp(secret, username, issuer).toString();
}

/** The QR code of the URI as an SVG document (served from a route, never inlined). */
export async function totpQrSvg(uri: string): Promise<string> {
  // Loaded on first enrollment only: the QR library is not needed the rest of the daemon's life.
  const { default: QRCode } = await import("qrcode");
  return QRCode.toString(uri, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
}

export type TotpCheck = { ok: true; step: number } | { ok: false; reason: "invalid" | "replayed" };

/** Checks a code at time `now` (ms). A code for a step at or before `lastStep` is a replay. */
export function checkTotp(secret: string, code: string, now: number, lastStep: number): TotpCheck {
  const token = code.replace(/\s+/g, "");
  if (!/^\d{6}$/.test(token)) return { ok: false, reason: "invalid" };
  const delta = totp(secret).validate({ token, timestamp: now, window: 1 });
  if (delta === null) return { ok: false, reason: "invalid" };
  const step = Math.floor(now / 1000 / TOTP_PERIOD) + delta;
  if (step <= lastStep) return { ok: false, reason: "replayed" };
  return { ok: true, step };
}

/** The code for time `now` (ms); used by the CLI-free tests and the browser tests. */
export function totpCode(secret: string, now: number): string {
  return totp(secret).generate({ timestamp: now });
}
