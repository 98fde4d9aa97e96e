/**
 * tls monitor (control: transmission): for each configured endpoint, one observing TLS
 * handshake (expiry, chain, hostname, protocol); for each local certificate file, its expiry.
 */
import { defineMonitor, NotApplicable, type FactValue, type Facts, type ProbeContext } from "../monitor.js";
import { parseTlsConfig, type Endpoint, type TlsConfig } from "./config.js";
import { handshake } from "./handshake.js";
import { daysLeft, parseCertificatePem, type CertificateInfo } from "./parse-certificate.js";
import { certFact, endpointFact, tlsPolicy } from "./policy.js";

/** What a local certificate file says, for the console's own certificate and the like. */
export interface CertificateFileReport extends CertificateInfo {
  path: string;
  daysLeft: number;
}

/**
 * Reads and describes a local PEM certificate (the console's own). Throws ProbeError for a
 * file without a readable certificate; fs errors pass through with their code.
 */
export async function inspectCertificateFile(path: string, now: Date, read: (p: string) => Promise<string>): Promise<CertificateFileReport> {
  const info = parseCertificatePem(await read(path));
  return { ...info, path, daysLeft: daysLeft(info.notAfter, now) };
}

const errText = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));

async function observeEndpoint(ctx: ProbeContext, config: TlsConfig, ep: Endpoint, ca: string | undefined): Promise<{ facts: Record<string, FactValue>; evidence: string }> {
  const r = await handshake({
    host: ep.host,
    port: ep.port,
    ...(ep.servername ? { servername: ep.servername } : {}),
    ...(ca ? { ca } : {}),
    timeoutMs: config.timeoutMs,
    signal: ctx.signal,
  });
  if (r.outcome !== "ok") {
    return { facts: { outcome: r.outcome, error: r.error }, evidence: `${ep.address}: ${r.outcome}: ${r.error}` };
  }
  const c = r.certificate;
  return {
    facts: {
      outcome: "ok",
      error: null,
      protocol: r.protocol,
      cipher: r.cipher,
      subject: c.subject,
      issuer: c.issuer,
      alt_names: c.altNames,
      not_before: c.notBefore,
      not_after: c.notAfter,
      days_left: daysLeft(c.notAfter, ctx.now()),
      self_signed: c.selfSigned,
      chain_error: r.chainError,
      hostname_error: r.hostnameError,
      fingerprint256: c.fingerprint256,
    },
    evidence: `${ep.address}: ${r.protocol} ${r.cipher}; subject ${c.subject}; issuer ${c.issuer}; until ${c.notAfter}; chain ${r.chainError ?? "ok"}; hostname ${r.hostnameError ?? "ok"}`,
  };
}

async function probe(ctx: ProbeContext, config: TlsConfig): Promise<{ facts: Facts; evidence: string }> {
  if (config.endpoints.length === 0 && config.certFiles.length === 0) {
    throw new NotApplicable("no TLS endpoints or certificate files configured");
  }
  const facts: Facts = {
    "tls.endpoints": config.endpoints.map((e) => e.address),
    "tls.cert_files": config.certFiles,
  };
  const evidence: string[] = [];
  let ca: string | undefined;
  let caError: string | undefined;
  if (config.caFile) {
    try {
      ca = await ctx.readFile(config.caFile);
    } catch (e) {
      caError = `cannot read ca_file ${config.caFile} (${errText(e)})`;
    }
  }
  for (const ep of config.endpoints) {
    if (caError) {
      // Checking against the wrong trust store would give a misleading verdict: report instead.
      for (const [k, v] of Object.entries({ outcome: "not_checked", error: caError })) facts[endpointFact(ep.address, k)] = v;
      evidence.push(`${ep.address}: ${caError}`);
      continue;
    }
    const o = await observeEndpoint(ctx, config, ep, ca);
    for (const [k, v] of Object.entries(o.facts)) facts[endpointFact(ep.address, k)] = v;
    evidence.push(o.evidence);
  }
  for (const path of config.certFiles) {
    try {
      const r = await inspectCertificateFile(path, ctx.now(), (p) => ctx.readFile(p));
      Object.assign(facts, {
        [certFact(path, "error")]: null,
        [certFact(path, "subject")]: r.subject,
        [certFact(path, "issuer")]: r.issuer,
        [certFact(path, "not_before")]: r.notBefore,
        [certFact(path, "not_after")]: r.notAfter,
        [certFact(path, "days_left")]: r.daysLeft,
        [certFact(path, "self_signed")]: r.selfSigned,
        [certFact(path, "fingerprint256")]: r.fingerprint256,
      });
      evidence.push(`${path}: subject ${r.subject}; until ${r.notAfter}`);
    } catch (e) {
      facts[certFact(path, "error")] = errText(e);
      evidence.push(`${path}: ${errText(e)}`);
    }
  }
  return { facts, evidence: evidence.join("\n").slice(0, 4000) };
}

/** The tls monitor definition. */
export const tls = defineMonitor<TlsConfig>({
  id: "tls",
  title: "TLS endpoints and certificates",
  control: "transmission",
  defaultSchedule: "13 */4 * * *",
  starter: '# tls:       { endpoints: ["messaging.example.org:443"], warn_days: 21, cert_files: [] }',
  enabledByDefault: true,
  parseConfig: parseTlsConfig,
  probe,
  policy: tlsPolicy,
  baselineFacts: [],
});
