/**
 * The computers page (osquery hosts, rolled-up checks, enrolment instructions), the generated
 * osquery flags file and the console certificate to pin. Read-only: every signed-in role may look.
 */
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";
import type { GatehouseConfig } from "../../agent/config/load.js";
import { INSTALL_PATHS, osqueryFlags, tlsHostnameOf } from "../../agent/hosts/flags.js";
import { HOST_CHECKS } from "../../agent/controls/host-checks.js";
import type { HostPlatform } from "../../agent/hosts/queries.js";
import { forgetHost } from "../../agent/hosts/record.js";
import { rollup } from "../../agent/hosts/rollup.js";
import { hostFindings, listHosts } from "../../agent/store/hosts.js";
import type { Ctx } from "../context.js";
import { respond } from "../render.js";
import { idParam } from "../forms.js";
import { hostAlertContext, OSQUERY_ENDPOINTS } from "./osquery.js";
import type { Routes } from "./table.js";
import { ComputersLive, ComputersPage, type ComputerRow, type EnrolmentView } from "../../../views/pages/computers.js";

const PLATFORMS: { platform: HostPlatform; label: string }[] = [
  { platform: "windows", label: "Windows" },
  { platform: "darwin", label: "macOS" },
  { platform: "linux", label: "Linux" },
];

/** The certificate the console serves (what osquery pins), or undefined with TLS off. */
function consoleCertFile(config: GatehouseConfig): string | undefined {
  const tls = config.console.tls;
  if (tls === "off") return undefined;
  return tls === "auto" ? join(config.dataDir, "tls", "console.crt") : tls.cert;
}

function readCert(config: GatehouseConfig): { pem: string; x509: X509Certificate } | undefined {
  const file = consoleCertFile(config);
  if (!file) return undefined;
  try {
    const pem = readFileSync(file, "utf8");
    return { pem, x509: new X509Certificate(pem) };
  } catch {
    return undefined;
  }
}

/** Whether the certificate names the host osqueryd will check it against (`host:port`, IPv6 bracketed). */
function certNames(x509: X509Certificate, tlsHostname: string): boolean {
  const host = tlsHostname.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  return isIP(host) !== 0 ? x509.checkIP(host) !== undefined : x509.checkHost(host) !== undefined;
}

const flagsFor = (config: GatehouseConfig, platform: HostPlatform) =>
  osqueryFlags({ tlsHostname: tlsHostnameOf(config.console.publicUrl, config.console.listen) ?? "gatehouse.example:8443", platform, endpoints: OSQUERY_ENDPOINTS });

function enrolment(config: GatehouseConfig): EnrolmentView | undefined {
  if (!config.hosts) return undefined;
  const tlsHostname = tlsHostnameOf(config.console.publicUrl, config.console.listen);
  const cert = readCert(config);
  return {
    tlsHostname,
    certFingerprint: cert?.x509.fingerprint256,
    certExpires: cert ? Date.parse(cert.x509.validTo) : undefined,
    certMismatch: cert && tlsHostname && !certNames(cert.x509, tlsHostname) ? tlsHostname.replace(/:\d+$/, "") : undefined,
    secretFile: config.hosts.enrollSecretFile,
    flags: PLATFORMS.map((p) => ({ platform: p.platform, label: p.label, dir: INSTALL_PATHS[p.platform].dir, text: flagsFor(config, p.platform) })),
  };
}

/** Registers /computers, /computers/osquery.flags, /computers/gatehouse.pem and forgetting a computer (admin). */
export function computerRoutes(r: Routes): void {
  r.add({ method: "GET", path: "/computers", access: "viewer" }, (c: Ctx) => {
    const web = c.var.web;
    const auth = c.var.auth!;
    const { lines, checks } = rollup(listHosts(web.db), hostFindings(web.db));
    const computers: ComputerRow[] = lines.map((l) => ({
      id: l.host.id,
      name: l.host.hostname || l.host.hostIdentifier,
      platform: l.host.platform ?? "",
      os: [l.host.osName, l.host.osVersion].filter(Boolean).join(" "),
      osqueryVersion: l.host.osqueryVersion,
      lastSeenAt: l.host.lastSeenAt,
      enrolledAt: l.host.enrolledAt,
      status: l.status,
      checks: HOST_CHECKS.map((k) => ({ rule: k.rule, status: l.checks[k.rule]?.status ?? "unknown", message: (l.checks[k.rule]?.message ?? "not judged yet").replace(/^[^:]*: /, "") })),
    }));
    const live = {
      tz: web.config.timezone,
      canForget: auth.user.role === "admin",
      checks: HOST_CHECKS.map((k) => ({ rule: k.rule, title: k.title })),
      rollup: checks.map((k) => ({ rule: k.rule, summary: k.summary, pass: k.pass, warn: k.warn, fail: k.fail, unknown: k.unknown })),
      computers,
    };
    return respond(c, {
      page: () => (
        <ComputersPage
          site={web.config.site}
          viewer={{ username: auth.user.username, role: auth.user.role }}
          enabled={web.config.hosts !== undefined}
          enrolment={enrolment(web.config)}
          notice={c.req.query("forgotten") ? "The computer was forgotten; its alerts are resolved and its node key no longer works." : undefined}
          {...live}
        />
      ),
      fragment: () => <ComputersLive {...live} />,
    });
  });

  r.add({ method: "GET", path: "/computers/osquery.flags", access: "viewer" }, (c: Ctx) => {
    const config = c.var.web.config;
    const platform = PLATFORMS.find((p) => p.platform === c.req.query("platform"))?.platform;
    if (!config.hosts || !platform) return c.text("Unknown platform: use windows, darwin or linux (and enable hosts in the configuration).", 404);
    c.header("Content-Disposition", 'attachment; filename="osquery.flags"');
    return c.text(flagsFor(config, platform));
  });

  r.add({ method: "GET", path: "/computers/gatehouse.pem", access: "viewer" }, (c: Ctx) => {
    const cert = readCert(c.var.web.config);
    if (!cert) return c.text("The console certificate cannot be read (TLS off, or the file is missing).", 404);
    c.header("Content-Disposition", 'attachment; filename="gatehouse.pem"');
    return c.body(cert.pem, 200, { "Content-Type": "application/x-pem-file" });
  });

  r.add({ method: "POST", path: "/computers/:id/forget", access: "admin" }, (c: Ctx) => {
    const web = c.var.web;
    const id = idParam(c.req.param("id"));
    const done = id === undefined ? undefined : forgetHost(web.db, hostAlertContext(web), id, { actor: `user:${c.var.auth!.user.username}`, address: c.var.address });
    if (!done) return c.text("No such computer.", 404);
    if (done.outboxIds.length > 0) web.onEnqueued();
    return c.redirect("/computers?forgotten=1", 303);
  });
}
