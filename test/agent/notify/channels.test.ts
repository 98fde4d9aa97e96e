import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createHmac, timingSafeEqual } from "node:crypto";
import { createSocket } from "node:dgram";
import { rmSync } from "node:fs";
import { createServer as createHttp, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createTcp } from "node:net";
import { createServer as createTls } from "node:tls";
import { parseAlertsConfig } from "../../../src/agent/alerts/config.js";
import type { Notification } from "../../../src/agent/alerts/notification.js";
import { DeliveryError, type OutboxMessage } from "../../../src/agent/notify/channel.js";
import { buildChannels, routesOf } from "../../../src/agent/notify/channels.js";
import { heartbeatTick, lastHeartbeat, pingHeartbeat } from "../../../src/agent/notify/heartbeat.js";
import { formatSyslog, octetFrame, syslogChannel } from "../../../src/agent/notify/syslog.js";
import { signWebhook, webhookChannel, type WebhookPayload } from "../../../src/agent/notify/webhook.js";
import { memDb, MIN, T0 } from "../alerts/helpers.js";
import { freePort, makeCert, secretFile, type Cert } from "./peers.js";

let cert: Cert;
beforeAll(() => {
  cert = makeCert();
});
afterAll(() => rmSync(cert.dir, { recursive: true, force: true }));
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const notice: Notification = {
  event: "firing",
  site: "Acme Phoenix",
  at: T0,
  consoleUrl: "https://gatehouse.acme.local/",
  items: [
    { alertId: 3, severity: "critical", source: "firewall", rule: "firewall.disabled", subject: "", message: "firewall disabled", since: T0 - MIN, control: "firewall", change: { fact: "firewall.enabled", before: true, after: false } },
    { alertId: 4, severity: "warning", source: "doors", rule: "doors.held_open", subject: "back-door", message: 'Back door "held" ]open\\ \nfor 5m', since: T0, control: "physical", flaps: 3 },
  ],
};
const msg: OutboxMessage = { id: 9, messageId: "<abc@gatehouse>", notification: notice };
const signal = () => new AbortController().signal;

/** A local HTTP server; `handler` decides each answer. */
async function http(handler: (req: IncomingMessage, body: string, res: ServerResponse) => void) {
  const server = createHttp((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => handler(req, Buffer.concat(chunks).toString("utf8"), res));
  });
  const port = await new Promise<number>((r) => server.listen(0, "127.0.0.1", () => r((server.address() as { port: number }).port)));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return `http://127.0.0.1:${port}/hook/token-in-path`;
}

function webhookCfg(url: string, extra: Record<string, unknown> = {}) {
  return parseAlertsConfig({ webhook: [{ url, secret_file: secretFile(cert.dir, "hook.key", "hook-secret\n"), timeout: "1s", ...extra }] }).webhook![0]!;
}

describe("webhook channel", () => {
  it("POSTs JSON signed over timestamp.body, which a receiver verifies; 2xx accepts", async () => {
    const got: { ok: boolean; payload: WebhookPayload; headers: IncomingMessage["headers"] }[] = [];
    const url = await http((req, body, res) => {
      const ts = String(req.headers["x-gatehouse-timestamp"]);
      const sig = String(req.headers["x-gatehouse-signature"]);
      const want = `sha256=${createHmac("sha256", "hook-secret").update(`${ts}.${body}`).digest("hex")}`;
      const ok = sig.length === want.length && timingSafeEqual(Buffer.from(sig), Buffer.from(want)) && Math.abs(Date.now() / 1000 - Number(ts)) < 300;
      got.push({ ok, payload: JSON.parse(body) as WebhookPayload, headers: req.headers });
      res.writeHead(ok ? 204 : 401).end();
    });
    await webhookChannel(webhookCfg(url), { name: "webhook" }).send(msg, signal());
    expect(got).toHaveLength(1);
    expect(got[0]!.ok).toBe(true);
    expect(got[0]!.headers["content-type"]).toBe("application/json");
    expect(got[0]!.headers["x-gatehouse-message-id"]).toBe("<abc@gatehouse>");
    const p = got[0]!.payload;
    expect(p).toMatchObject({ version: 1, message_id: "<abc@gatehouse>", event: "firing", site: "Acme Phoenix", severity: "critical", at: "2026-11-28T12:00:00Z" });
    expect(p.items[0]).toMatchObject({ alert_id: 3, control: "firewall", change: { fact: "firewall.enabled", before: true, after: false } });
    expect(p.items[1]).toMatchObject({ flaps: 3, control: "physical" });
    expect(p.text.split("\n")[0]).toBe("[Gatehouse][CRITICAL] Acme Phoenix: 2 problems (firewall, doors)");
  });

  it("signature is HMAC-SHA256 of `timestamp.body` with the injected clock", async () => {
    let seen: { ts: string; sig: string; body: string } | undefined;
    const url = await http((req, body, res) => {
      seen = { ts: String(req.headers["x-gatehouse-timestamp"]), sig: String(req.headers["x-gatehouse-signature"]), body };
      res.writeHead(200).end("ok");
    });
    await webhookChannel(webhookCfg(url), { name: "webhook", now: () => 1_700_000_000_999 }).send(msg, signal());
    expect(seen!.ts).toBe("1700000000");
    expect(seen!.sig).toBe(signWebhook("hook-secret", "1700000000", seen!.body));
    expect(signWebhook("k", "1", "{}")).toBe(`sha256=${createHmac("sha256", "k").update("1.{}").digest("hex")}`);
  });

  it.each<[string, (res: ServerResponse) => void, RegExp]>([
    ["HTTP 500", (res) => res.writeHead(500).end("boom"), /^webhook failed: HTTP 500$/],
    ["HTTP 401", (res) => res.writeHead(401).end(), /^webhook failed: HTTP 401$/],
    ["a redirect (never followed)", (res) => res.writeHead(302, { location: "http://127.0.0.1:1/" }).end(), /^webhook failed: redirect refused$/],
    ["a reset connection", (res) => res.socket?.destroy(), /^webhook failed: (ECONNRESET|UND_ERR_SOCKET|TypeError)$/],
    ["no answer", () => undefined, /^webhook failed: no answer within 1 s$/],
  ])("refuses %s, without echoing the URL", async (_n, answer, re) => {
    const url = await http((_req, _body, res) => answer(res));
    const err = await webhookChannel(webhookCfg(url), { name: "webhook" })
      .send(msg, signal())
      .catch((e: Error) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect((err as Error).message).toMatch(re);
    expect((err as Error).message).not.toContain("token-in-path");
  });

  it("reads the URL from url_file when the URL is the secret; refuses a file without a URL", async () => {
    let hits = 0;
    const url = await http((_req, _b, res) => {
      hits++;
      res.writeHead(200).end();
    });
    const good = parseAlertsConfig({ webhook: [{ url_file: secretFile(cert.dir, "hook.url", `${url}\n`), secret_file: secretFile(cert.dir, "k2", "s") }] }).webhook![0]!;
    await webhookChannel(good, { name: "webhook" }).send(msg, signal());
    expect(hits).toBe(1);
    for (const garbage of ["not a url", "file:///etc/passwd"]) {
      const bad = parseAlertsConfig({ webhook: [{ url_file: secretFile(cert.dir, "bad.url", garbage), secret_file: secretFile(cert.dir, "k3", "s") }] }).webhook![0]!;
      const err = await webhookChannel(bad, { name: "webhook" })
        .send(msg, signal())
        .catch((e: Error) => e);
      expect((err as Error).message).toMatch(/^webhook URL file \S+bad\.url does not hold (a|an http:\/\/ or https:\/\/) URL$/);
      expect((err as Error).message).not.toContain(garbage);
    }
  });

  it("a refused connection is a delivery error", async () => {
    const port = await freePort();
    await expect(webhookChannel(webhookCfg(`http://127.0.0.1:${port}/`), { name: "webhook" }).send(msg, signal())).rejects.toThrow(/webhook failed: ECONNREFUSED/);
  });
});

function parse5424(line: string) {
  const m = /^<(\d+)>1 (\S+) (\S+) gatehouse (\d+) (\S+) (\[gatehouse@32473(?: [a-z]+="(?:[^"\\\]]|\\["\\\]])*")*\]) (.*)$/.exec(line);
  if (!m) throw new Error(`not RFC 5424: ${line}`);
  return { pri: Number(m[1]), ts: m[2], host: m[3], msgid: m[5], sd: m[6]!, msg: m[7]! };
}

describe("syslog", () => {
  it("formats RFC 5424 with escaped structured data and no newlines", () => {
    const [a, b] = formatSyslog(msg, { facility: "local0", host: "gw01", pid: 42 });
    const pa = parse5424(a!);
    expect(pa).toMatchObject({ pri: 16 * 8 + 2, ts: "2026-11-28T12:00:00.000Z", host: "gw01", msgid: "firing", msg: "critical: firewall: firewall disabled" });
    expect(pa.sd).toContain('msgid="<abc@gatehouse>"');
    expect(pa.sd).toContain('control="firewall"');
    const pb = parse5424(b!);
    expect(pb.pri).toBe(16 * 8 + 4);
    expect(pb.sd).toContain('subject="back-door"');
    expect(pb.msg).toBe('warning: doors: Back door "held" ]open\\ for 5m');
    expect(b).not.toMatch(/\n/);
    // Recoveries are notices; the facility is honoured.
    const [r] = formatSyslog({ ...msg, notification: { ...notice, event: "resolved" } }, { facility: "auth", host: "h", pid: 1 });
    expect(parse5424(r!).pri).toBe(4 * 8 + 5);
  });

  it("frames by octet counting (bytes, not characters)", () => {
    expect(octetFrame("héllo").toString("utf8")).toBe("6 héllo");
  });

  it("delivers over UDP to a local listener", async () => {
    const sock = createSocket("udp4");
    const lines: string[] = [];
    const port = await new Promise<number>((r) => sock.bind(0, "127.0.0.1", () => r(sock.address().port)));
    cleanups.push(() => new Promise<void>((r) => sock.close(() => r())));
    sock.on("message", (b) => lines.push(b.toString("utf8")));
    const cfg = parseAlertsConfig({ syslog: { transport: "udp", host: "127.0.0.1", port } }).syslog!;
    await syslogChannel(cfg).send(msg, signal());
    await expect.poll(() => lines.length).toBe(2);
    expect(lines.map((l) => parse5424(l).msg)).toEqual(["critical: firewall: firewall disabled", 'warning: doors: Back door "held" ]open\\ for 5m']);
  });

  /** Splits an RFC 6587 octet-counted stream into messages; throws on a bad frame. */
  function unframe(buf: Buffer): string[] {
    const out: string[] = [];
    let i = 0;
    while (i < buf.length) {
      const sp = buf.indexOf(0x20, i);
      const len = Number(buf.subarray(i, sp).toString("ascii"));
      if (!Number.isInteger(len) || len <= 0) throw new Error("bad frame");
      out.push(buf.subarray(sp + 1, sp + 1 + len).toString("utf8"));
      i = sp + 1 + len;
    }
    return out;
  }

  it.each(["tcp", "tls"] as const)("delivers over %s with octet-counting framing", async (transport) => {
    const streams: Buffer[] = [];
    const onConn = (s: import("node:net").Socket) => {
      const chunks: Buffer[] = [];
      s.on("data", (c: Buffer) => chunks.push(c));
      s.on("end", () => {
        streams.push(Buffer.concat(chunks));
        s.end();
      });
    };
    const server = transport === "tls" ? createTls({ key: cert.key, cert: cert.cert }, onConn) : createTcp(onConn);
    const port = await new Promise<number>((r) => server.listen(0, "127.0.0.1", () => r((server.address() as { port: number }).port)));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const cfg = parseAlertsConfig({ syslog: { transport, host: "127.0.0.1", port, ...(transport === "tls" ? { ca_file: cert.certFile } : {}) } }).syslog!;
    await syslogChannel(cfg).send(msg, signal());
    await expect.poll(() => streams.length).toBe(1);
    const lines = unframe(streams[0]!);
    expect(lines).toHaveLength(2);
    expect(parse5424(lines[0]!).msg).toBe("critical: firewall: firewall disabled");
  });

  it("TLS refuses an untrusted certificate", async () => {
    const server = createTls({ key: cert.key, cert: cert.cert }, (s) => s.on("error", () => undefined));
    const port = await new Promise<number>((r) => server.listen(0, "127.0.0.1", () => r((server.address() as { port: number }).port)));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const cfg = parseAlertsConfig({ syslog: { transport: "tls", host: "127.0.0.1", port } }).syslog!;
    await expect(syslogChannel(cfg).send(msg, signal())).rejects.toThrow(/syslog failed: .*(SELF_SIGNED|self-signed|certificate)/i);
  });

  it("TCP to a closed port is a delivery error", async () => {
    const port = await freePort();
    const cfg = parseAlertsConfig({ syslog: { transport: "tcp", host: "127.0.0.1", port } }).syslog!;
    await expect(syslogChannel(cfg).send(msg, signal())).rejects.toThrow("syslog failed: ECONNREFUSED");
  });
});

describe("heartbeat", () => {
  it("pings a local HTTP server when due, records the result, and reports failures", async () => {
    const hits: string[] = [];
    let status = 200;
    const url = await http((req, _b, res) => {
      hits.push(`${req.method} ${req.url}`);
      res.writeHead(status).end("OK");
    });
    const db = memDb();
    const cfg = parseAlertsConfig({ heartbeat: { url, every: "5m" } }).heartbeat!;
    expect(await heartbeatTick(db, cfg, T0)).toMatchObject({ ok: true, status: 200 });
    expect(await heartbeatTick(db, cfg, T0 + MIN)).toBeUndefined();
    expect(await heartbeatTick(db, cfg, T0 + 4 * MIN)).toBeUndefined();
    status = 503;
    expect(await heartbeatTick(db, cfg, T0 + 5 * MIN)).toMatchObject({ ok: false, error: "HTTP 503" });
    expect(lastHeartbeat(db)).toMatchObject({ at: T0 + 5 * MIN, ok: false });
    expect(hits).toEqual(["GET /hook/token-in-path", "GET /hook/token-in-path"]);
  });

  it("POST variant and an unreachable URL", async () => {
    const bodies: string[] = [];
    const url = await http((req, b, res) => {
      bodies.push(`${req.method} ${b}`);
      res.writeHead(200).end();
    });
    const post = parseAlertsConfig({ heartbeat: { url, method: "POST" } }).heartbeat!;
    expect(await pingHeartbeat(post, { now: T0 })).toMatchObject({ ok: true });
    expect(bodies).toEqual([`POST {"status":"up","at":"2026-11-28T12:00:00.000Z"}`]);
    const port = await freePort();
    const dead = parseAlertsConfig({ heartbeat: { url: `http://127.0.0.1:${port}/` } }).heartbeat!;
    expect(await pingHeartbeat(dead, { now: T0 })).toMatchObject({ ok: false, error: "ECONNREFUSED" });
    const missing = parseAlertsConfig({ heartbeat: { url_file: "/nonexistent/ping.url" } }).heartbeat!;
    expect(await pingHeartbeat(missing, { now: T0 })).toEqual({ at: T0, ok: false, error: "cannot read heartbeat URL file /nonexistent/ping.url: ENOENT" });
  });
});

describe("channel building and routes", () => {
  it("builds every configured channel; the digest takes no alert notices", () => {
    const c = parseAlertsConfig({
      email: [
        { name: "it", smtp: { host: "h" }, from: "g@example.org", to: ["it@example.org"], controls: ["firewall"] },
        { name: "office", smtp: { host: "h" }, from: "g@example.org", to: ["om@example.org"], controls: ["physical"], min_severity: "critical" },
      ],
      webhook: [{ url: "https://x.example/h", secret_file: "/k", min_severity: "info" }],
      syslog: { host: "siem" },
      digest: { at: "07:30" },
    });
    const chans = buildChannels(c);
    expect(chans.map((ch) => `${ch.kind}:${ch.name}`)).toEqual(["email:it", "email:office", "webhook:webhook", "syslog:syslog", "email:digest"]);
    expect(routesOf(chans)).toEqual([
      { channel: "it", minSeverity: "warning", controls: ["firewall"] },
      { channel: "office", minSeverity: "critical", controls: ["physical"] },
      { channel: "webhook", minSeverity: "info" },
      { channel: "syslog", minSeverity: "warning" },
    ]);
  });
});
