/**
 * Config of the tls monitor: the TLS endpoints this office depends on (the secure-messaging
 * gateway, the console) and local certificate files to watch for expiry.
 */
import { z } from "zod";
import { ConfigError, type ConfigIssue } from "../../kit/config-errors.js";
import { duration, hostPort, parseWith } from "../../kit/config-schema.js";

export const TLS_VERSIONS = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"] as const;
export type TlsVersion = (typeof TLS_VERSIONS)[number];

export interface Endpoint {
  /** `host:port` as configured: the stable name in fact keys and findings. */
  address: string;
  host: string;
  port: number;
  /** SNI and the name the certificate must match (defaults to the host unless it is an IP). */
  servername?: string;
}

export interface TlsConfig {
  endpoints: Endpoint[];
  warnDays: number;
  caFile?: string;
  minVersion: Extract<TlsVersion, "TLSv1.2" | "TLSv1.3">;
  certFiles: string[];
  timeoutMs: number;
}

const absolute = () => z.string().refine((s) => s.startsWith("/"), { message: "expected an absolute path" });

const schema = z.strictObject({
  endpoints: z
    .array(z.union([hostPort(), z.strictObject({ address: hostPort(), servername: z.string().regex(/^[A-Za-z0-9.-]+$/).optional() })]))
    .default([]),
  warn_days: z.number().int().min(0).default(21),
  ca_file: absolute().optional(),
  min_version: z.enum(["TLSv1.2", "TLSv1.3"]).default("TLSv1.2"),
  cert_files: z.array(absolute()).default([]),
  timeout: duration().default(10_000),
});

function splitHostPort(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(":");
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ""), port: Number(address.slice(i + 1)) };
}

/** Validates `monitors.tls`; absent means nothing to check (the probe says NotApplicable). */
export function parseTlsConfig(raw: unknown): TlsConfig {
  const c = parseWith(schema, raw ?? {});
  const endpoints = c.endpoints.map((e): Endpoint => {
    const address = typeof e === "string" ? e : e.address;
    const { host, port } = splitHostPort(address);
    const servername = typeof e === "string" ? undefined : e.servername;
    return { address, host, port, ...(servername ? { servername } : {}) };
  });
  const seen = new Set<string>();
  const issues: ConfigIssue[] = [];
  endpoints.forEach((e, i) => {
    if (e.port < 1 || e.port > 65535) issues.push({ path: ["endpoints", i], message: `port ${e.port} is out of range 1-65535` });
    if (seen.has(e.address)) issues.push({ path: ["endpoints", i], message: `duplicate endpoint "${e.address}"` });
    seen.add(e.address);
  });
  if (issues.length > 0) throw new ConfigError(issues);
  return {
    endpoints,
    warnDays: c.warn_days,
    ...(c.ca_file ? { caFile: c.ca_file } : {}),
    minVersion: c.min_version,
    certFiles: c.cert_files,
    timeoutMs: c.timeout,
  };
}
