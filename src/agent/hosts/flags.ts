/**
 * The osquery flags file Gatehouse generates for a computer: where the server is, the console
 * certificate pinned as the only trusted one, the enroll secret's path, the endpoints and the
 * tls plugins. Pure: the same inputs give the same file.
 */
import type { HostPlatform } from "./queries.js";

export interface FlagsInput {
  /** host:port osqueryd connects to; must be a name in the console certificate. */
  tlsHostname: string;
  platform: HostPlatform;
  endpoints: { enroll: string; config: string; distributedRead: string; distributedWrite: string; logger: string };
}

/** Where the installer puts the pinned certificate and the secret on each platform. */
export const INSTALL_PATHS: Record<HostPlatform, { dir: string; cert: string; secret: string; flags: string }> = {
  windows: {
    dir: "C:\\Program Files\\osquery",
    cert: "C:\\Program Files\\osquery\\gatehouse.pem",
    secret: "C:\\Program Files\\osquery\\gatehouse.secret",
    flags: "C:\\Program Files\\osquery\\osquery.flags",
  },
  darwin: { dir: "/var/osquery", cert: "/var/osquery/gatehouse.pem", secret: "/var/osquery/gatehouse.secret", flags: "/var/osquery/osquery.flags" },
  linux: { dir: "/etc/osquery", cert: "/etc/osquery/gatehouse.pem", secret: "/etc/osquery/gatehouse.secret", flags: "/etc/osquery/osquery.flags" },
};

/** A host:port osqueryd can use, or undefined when it would be empty or carry a scheme or path. */
export function tlsHostnameOf(url: string | undefined, listen: { host: string; port: number }): string | undefined {
  if (url) {
    const u = new URL(url);
    return `${u.hostname}:${u.port || (u.protocol === "https:" ? "443" : "80")}`;
  }
  if (listen.host === "0.0.0.0" || listen.host === "::") return undefined;
  return listen.host.includes(":") ? `[${listen.host}]:${listen.port}` : `${listen.host}:${listen.port}`;
}

/** The flags file text (one flag per line, as osqueryd's --flagfile reads it). */
export function osqueryFlags(i: FlagsInput): string {
  const p = INSTALL_PATHS[i.platform];
  return [
    `# osquery flags for Gatehouse (${i.platform}); install as ${p.flags}`,
    `--tls_hostname=${i.tlsHostname}`,
    `--tls_server_certs=${p.cert}`,
    `--enroll_secret_path=${p.secret}`,
    `--host_identifier=uuid`,
    `--enroll_tls_endpoint=${i.endpoints.enroll}`,
    `--config_plugin=tls`,
    `--config_tls_endpoint=${i.endpoints.config}`,
    `--config_tls_refresh=3600`,
    `--logger_plugin=tls`,
    `--logger_tls_endpoint=${i.endpoints.logger}`,
    `--logger_tls_period=10`,
    `--disable_distributed=false`,
    `--distributed_plugin=tls`,
    `--distributed_interval=60`,
    `--distributed_tls_read_endpoint=${i.endpoints.distributedRead}`,
    `--distributed_tls_write_endpoint=${i.endpoints.distributedWrite}`,
    "",
  ].join("\n");
}
