/**
 * Syslog for a customer's SIEM: RFC 5424 messages over UDP (RFC 5426, one per datagram), TCP
 * (RFC 6587 octet-counting framing) or TLS (RFC 5425, same framing). One message per alert in
 * the notice, so each is a separate SIEM event. Accepted = every datagram sent / every byte
 * written and the connection closed cleanly.
 */
import { createSocket } from "node:dgram";
import { hostname } from "node:os";
import { connect as netConnect, isIP, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { SyslogConfig, SyslogFacility } from "../alerts/config.js";
import { SYSLOG_FACILITIES } from "../alerts/config.js";
import type { Notification } from "../alerts/notification.js";
import { DeliveryError, type Channel, type OutboxMessage } from "./channel.js";
import { oneLine } from "./render.js";
import { readSecret } from "./secret.js";

/** RFC 5424 facility numbers, in SYSLOG_FACILITIES order (kern = 0 … local7 = 23). */
const FACILITY_CODE: Record<SyslogFacility, number> = Object.fromEntries(
  SYSLOG_FACILITIES.map((f, i) => [f, i < 12 ? i : i + 4]),
) as Record<SyslogFacility, number>;

/** RFC 5424 severity: crit 2, warning 4, notice 5 (recoveries), info 6. */
function syslogSeverity(event: Notification["event"], severity: string): number {
  if (event === "resolved") return 5;
  if (event === "test" || event === "digest") return 6;
  return severity === "critical" ? 2 : severity === "warning" ? 4 : 6;
}

/** Escapes an SD-PARAM value (RFC 5424 §6.3.3): `"`, `\` and `]`. Newlines collapse to spaces. */
function sdValue(v: string): string {
  return oneLine(v, 480).replace(/[\\"\]]/g, (c) => `\\${c}`);
}

/** PRINTUSASCII only, 1–max chars, "-" when empty (header fields). */
function headerField(v: string, max: number): string {
  const s = v.replace(/[^\x21-\x7e]/g, "").slice(0, max);
  return s || "-";
}

/** 32473 is the private enterprise number reserved for examples (RFC 5612); ours has none. */
const SD_ID = "gatehouse@32473";

/** The RFC 5424 lines for one message (one per item, or per control for a digest). */
export function formatSyslog(msg: OutboxMessage, opts: { facility: SyslogFacility; host?: string; pid?: number; now?: number }): string[] {
  const n = msg.notification;
  const ts = new Date(opts.now ?? n.at).toISOString();
  const head = (sev: number) =>
    `<${FACILITY_CODE[opts.facility] * 8 + sev}>1 ${ts} ${headerField(opts.host ?? hostname(), 255)} gatehouse ${headerField(String(opts.pid ?? process.pid), 128)} ${headerField(n.event, 32)}`;
  const sd = (params: Record<string, string | number | undefined>) =>
    `[${SD_ID}${Object.entries(params)
      .filter(([, v]) => v !== undefined && v !== "")
      .map(([k, v]) => ` ${k}="${sdValue(String(v))}"`)
      .join("")}]`;
  if (n.event === "digest") {
    return (n.digest ?? []).map((d) => `${head(6)} ${sd({ msgid: msg.messageId, site: n.site, control: d.control, status: d.status, open: d.open })} ${oneLine(`${d.control}: ${d.status} ${d.detail}`, 1024)}`);
  }
  return n.items.map((i, idx) => {
    const text = `${n.event === "resolved" ? "resolved" : i.severity}: ${i.source}: ${i.message}`;
    return `${head(syslogSeverity(n.event, i.severity))} ${sd({
      msgid: msg.messageId,
      item: idx,
      site: n.site,
      alert: i.alertId ?? undefined,
      severity: i.severity,
      source: i.source,
      control: i.control,
      rule: i.rule,
      subject: i.subject,
      since: new Date(i.since).toISOString(),
      flaps: i.flaps,
    })} ${oneLine(text, 1024)}`;
  });
}

/** RFC 6587 octet counting: `LEN SP MSG`, LEN in bytes. */
export function octetFrame(line: string): Buffer {
  const body = Buffer.from(line, "utf8");
  return Buffer.concat([Buffer.from(`${body.length} `, "ascii"), body]);
}

/** Limits a datagram to what every receiver must accept (RFC 5426: 2048 octets is safe). */
function datagram(line: string): Buffer {
  const b = Buffer.from(line, "utf8");
  return b.length <= 2048 ? b : b.subarray(0, 2048);
}

async function sendUdp(c: SyslogConfig, lines: string[], signal: AbortSignal): Promise<void> {
  const sock = createSocket(isIP(c.host) === 6 ? "udp6" : "udp4");
  try {
    for (const l of lines) {
      if (signal.aborted) throw new DeliveryError("syslog failed: aborted");
      await new Promise<void>((resolve, reject) => sock.send(datagram(l), c.port, c.host, (e) => (e ? reject(e) : resolve())));
    }
  } finally {
    sock.close();
  }
}

async function sendStream(c: SyslogConfig, lines: string[], signal: AbortSignal, ca: string | undefined): Promise<void> {
  const sock: Socket =
    c.transport === "tls"
      ? tlsConnect({ host: c.host, port: c.port, servername: isIP(c.host) ? undefined : c.host, minVersion: "TLSv1.2", ...(ca ? { ca } : {}) })
      : netConnect({ host: c.host, port: c.port });
  await new Promise<void>((resolve, reject) => {
    const fail = (e: Error) => {
      sock.destroy();
      reject(e);
    };
    const onAbort = () => fail(new Error("aborted"));
    signal.addEventListener("abort", onAbort, { once: true });
    sock.setTimeout(c.timeout, () => fail(new Error(`no progress within ${Math.round(c.timeout / 1000)} s`)));
    sock.once("error", fail);
    sock.once(c.transport === "tls" ? "secureConnect" : "connect", () => {
      sock.end(Buffer.concat(lines.map(octetFrame)));
    });
    // 'finish' = every byte handed to the kernel and our FIN sent: the TCP write is done.
    sock.once("finish", () => {
      signal.removeEventListener("abort", onAbort);
      sock.setTimeout(0);
      sock.destroySoon?.();
      resolve();
    });
  });
}

/** The syslog channel. */
export function syslogChannel(c: SyslogConfig, opts: { name?: string; host?: string } = {}): Channel {
  let ca: string | undefined;
  return {
    name: opts.name ?? "syslog",
    kind: "syslog",
    minSeverity: c.min_severity,
    ...(c.controls ? { controls: c.controls } : {}),
    routed: true,
    async send(msg, signal) {
      if (c.ca_file) ca ??= readSecret(c.ca_file, "syslog CA file");
      const lines = formatSyslog(msg, { facility: c.facility, ...(opts.host ? { host: opts.host } : {}) });
      if (lines.length === 0) return;
      try {
        if (c.transport === "udp") await sendUdp(c, lines, signal);
        else await sendStream(c, lines, signal, ca);
      } catch (e) {
        if (e instanceof DeliveryError) throw e;
        const err = e as NodeJS.ErrnoException;
        throw new DeliveryError(`syslog failed: ${err.code ?? err.message}`);
      }
    },
  };
}
