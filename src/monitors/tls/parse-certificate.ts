/**
 * Pure reading of X.509 certificates (PEM text or a peer certificate from a handshake) into
 * the few things the transmission control cares about.
 */
import { X509Certificate } from "node:crypto";
import { ProbeError } from "../monitor.js";
import { wholeDays } from "../../kit/format.js";

export interface CertificateInfo {
  subject: string;
  issuer: string;
  /** DNS names and IP addresses of subjectAltName, as `DNS:x` / `IP Address:y`. */
  altNames: string[];
  /** ISO 8601 UTC. */
  notBefore: string;
  notAfter: string;
  /** Issued by itself and signed by its own key. */
  selfSigned: boolean;
  /** SHA-256 fingerprint, colon-separated hex. */
  fingerprint256: string;
}

const PEM = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/** The one-line form of a distinguished name: node prints one `key=value` per line. */
function dn(text: string): string {
  return text.split("\n").filter(Boolean).join(", ");
}

/** Describes a certificate already decoded by node (from a file or a TLS peer). */
export function describeCertificate(cert: X509Certificate): CertificateInfo {
  const notBefore = Date.parse(cert.validFrom);
  const notAfter = Date.parse(cert.validTo);
  if (!Number.isFinite(notBefore) || !Number.isFinite(notAfter)) throw new ProbeError("certificate has unreadable validity dates");
  let selfSigned = false;
  try {
    selfSigned = cert.checkIssued(cert) && cert.verify(cert.publicKey);
  } catch {
    selfSigned = false;
  }
  return {
    subject: dn(cert.subject),
    issuer: dn(cert.issuer),
    altNames: (cert.subjectAltName ?? "").split(/,\s*/).filter(Boolean),
    notBefore: new Date(notBefore).toISOString(),
    notAfter: new Date(notAfter).toISOString(),
    selfSigned,
    fingerprint256: cert.fingerprint256,
  };
}

/** Parses the first certificate of a PEM file (a leaf followed by its chain is common). */
export function parseCertificatePem(text: string): CertificateInfo {
  const block = PEM.exec(text)?.[0];
  if (!block) throw new ProbeError("no PEM certificate found (expected -----BEGIN CERTIFICATE-----)");
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(block);
  } catch (e) {
    throw new ProbeError(`not a valid certificate: ${(e as Error).message}`);
  }
  return describeCertificate(cert);
}

/** Whole days from `now` until `notAfter`; negative once expired. */
export function daysLeft(notAfter: string, now: Date): number {
  return wholeDays(Date.parse(notAfter) - now.getTime());
}
