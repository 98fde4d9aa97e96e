/**
 * Pure policy of the tls monitor: one finding per rule and endpoint (`subject` = host:port)
 * or certificate file (`subject` = path).
 */
import type { Facts, PolicyContext, PolicyFinding, Status } from "../monitor.js";
import type { TlsConfig } from "./config.js";
import { wholeDays } from "../../kit/format.js";

/** `tls.endpoint.<host:port>.<field>`; the field is always the last dot-separated part. */
export function endpointFact(address: string, field: string): string {
  return `tls.endpoint.${address}.${field}`;
}
/** `tls.cert.<absolute path>.<field>`. */
export function certFact(path: string, field: string): string {
  return `tls.cert.${path}.${field}`;
}

const CHAIN_ADVICE: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: "the certificate is self-signed, so clients cannot tell it from an impostor's: install one from a CA (or set ca_file to your private CA)",
  SELF_SIGNED_CERT_IN_CHAIN: "the chain ends in a self-signed CA nobody here trusts: install a certificate from a public CA, or set ca_file to that CA",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the server does not send its intermediate certificate(s), or the issuer is unknown: install the full chain on the server",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "the issuing CA is not trusted here: install the full chain on the server, or set ca_file",
  CERT_REVOKED: "the certificate was revoked: replace it",
};

const PROTOCOL_RANK: Record<string, number> = { SSLv2: 0, SSLv3: 1, TLSv1: 2, "TLSv1.1": 3, "TLSv1.2": 4, "TLSv1.3": 5 };

/** Whether `got` is older than `min`; a name we do not know counts as too old, never as fine. */
function older(got: string, min: string): boolean {
  const g = PROTOCOL_RANK[got];
  return g === undefined || g < PROTOCOL_RANK[min]!;
}

function expiryFinding(rule: string, subject: string, notAfter: unknown, notBefore: unknown, warnDays: number, now: Date, keys: string[]): PolicyFinding {
  const after = typeof notAfter === "string" ? Date.parse(notAfter) : NaN;
  const before = typeof notBefore === "string" ? Date.parse(notBefore) : NaN;
  const day = notAfter ? String(notAfter).slice(0, 10) : "?";
  const days = wholeDays(after - now.getTime());
  const [status, message]: [Status, string] = !Number.isFinite(after)
    ? ["unknown", `No expiry date known for ${subject}`]
    : Number.isFinite(before) && before > now.getTime()
      ? ["fail", `The certificate of ${subject} is not valid until ${String(notBefore).slice(0, 10)}: check the server's clock or the certificate`]
      : after <= now.getTime()
        ? ["fail", `The certificate of ${subject} expired on ${day} (${wholeDays(now.getTime() - after)} days ago): renew it now, clients are refusing or warning`]
        : days < warnDays
          ? ["warn", `The certificate of ${subject} expires in ${days} days (${day}): renew it before then`]
          : ["pass", `The certificate of ${subject} is valid for ${days} more days (until ${day})`];
  return { rule, status, message, facts: keys, subject };
}

/** Turns the probe's facts into findings for every endpoint and certificate file. */
export function tlsPolicy(facts: Facts, config: TlsConfig, ctx: PolicyContext): PolicyFinding[] {
  const out: PolicyFinding[] = [];
  for (const ep of config.endpoints) {
    const f = (field: string) => facts[endpointFact(ep.address, field)];
    const keys = (...fields: string[]) => fields.map((x) => endpointFact(ep.address, x));
    const subject = ep.address;
    const outcome = f("outcome");
    const error = String(f("error") ?? "");
    if (outcome === "connect_failed") {
      out.push({
        rule: "tls.reachable",
        status: "unknown",
        message: `Cannot connect to ${subject} (${error}), so its TLS cannot be checked: is the service up and the address right?`,
        facts: keys("outcome", "error"),
        subject,
      });
      continue;
    }
    if (outcome === "handshake_failed") {
      out.push({
        rule: "tls.handshake",
        status: "fail",
        message: `${subject} accepts connections but no TLS handshake succeeded (${error}): it may speak no TLS, or only protocols and ciphers too old to offer`,
        facts: keys("outcome", "error"),
        subject,
      });
      continue;
    }
    if (outcome !== "ok") {
      out.push({ rule: "tls.reachable", status: "unknown", message: `${subject} was not checked (${error || "no facts for it"})`, facts: keys("outcome", "error"), subject });
      continue;
    }
    out.push({ rule: "tls.reachable", status: "pass", message: `${subject} answers TLS`, facts: keys("outcome"), subject });
    out.push(expiryFinding("tls.expiry", subject, f("not_after"), f("not_before"), config.warnDays, ctx.now, keys("not_after", "days_left")));

    const chainError = f("chain_error");
    // Expiry has its own rule and message; the chain rule reports everything else.
    const chainProblem = typeof chainError === "string" && !["CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID"].includes(chainError) ? chainError : null;
    out.push({
      rule: "tls.chain",
      status: chainProblem ? "fail" : "pass",
      message: chainProblem
        ? `The certificate chain of ${subject} is not trusted (${chainProblem}): ${CHAIN_ADVICE[chainProblem] ?? "check the chain the server sends"}`
        : `The certificate chain of ${subject} is trusted`,
      facts: keys("chain_error", "self_signed"),
      subject,
    });

    const hostnameError = f("hostname_error");
    out.push({
      rule: "tls.hostname",
      status: typeof hostnameError === "string" ? "fail" : "pass",
      message:
        typeof hostnameError === "string"
          ? `The certificate of ${subject} is for another name (${hostnameError}): install a certificate for ${ep.servername ?? ep.host}`
          : `The certificate of ${subject} matches ${ep.servername ?? ep.host}`,
      facts: keys("hostname_error", "alt_names"),
      subject,
    });

    const protocol = String(f("protocol") ?? "unknown");
    const weak = older(protocol, config.minVersion);
    out.push({
      rule: "tls.protocol",
      status: weak ? "fail" : "pass",
      message: weak
        ? `${subject} negotiated ${protocol}, older than min_version ${config.minVersion}: enable TLS 1.2 or newer on the server and disable older protocols`
        : `${subject} negotiated ${protocol}`,
      facts: keys("protocol"),
      subject,
    });
  }

  for (const path of config.certFiles) {
    const f = (field: string) => facts[certFact(path, field)];
    const keys = (...fields: string[]) => fields.map((x) => certFact(path, x));
    const error = f("error");
    if (typeof error === "string") {
      out.push({ rule: "tls.cert_file", status: "unknown", message: `Cannot read certificate ${path} (${error}): fix the path or its permissions`, facts: keys("error"), subject: path });
      continue;
    }
    out.push(expiryFinding("tls.cert_file", path, f("not_after"), f("not_before"), config.warnDays, ctx.now, keys("not_after", "days_left")));
  }
  return out;
}
