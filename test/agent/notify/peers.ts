/**
 * Real peers for channel tests, on random loopback ports: an SMTP server (smtp-server) that
 * records what it accepted, a TCP server that accepts and never answers, a self-signed
 * certificate made with openssl, and helpers to read what arrived.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SMTPServer, type SMTPServerOptions } from "smtp-server";

export interface Received {
  messageId: string;
  subject: string;
  from: string;
  to: string[];
  raw: string;
  secure: boolean;
  user: string | undefined;
}

export interface SmtpPeer {
  port: number;
  received: Received[];
  /** Number of sessions that got as far as AUTH or MAIL FROM. */
  authAttempts: number;
  close(): Promise<void>;
}

export interface Cert {
  dir: string;
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
}

/** A self-signed certificate for localhost and 127.0.0.1 (EC P-256: fast to make). */
export function makeCert(): Cert {
  const dir = mkdtempSync(join(tmpdir(), "gatehouse-cert-"));
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", keyFile, "-out", certFile, "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
    { stdio: "ignore" },
  );
  return { dir, certFile, keyFile, cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8") };
}

/** Writes a secret file with mode 0600 and returns its path. */
export function secretFile(dir: string, name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content, { mode: 0o600 });
  return p;
}

export function header(raw: string, name: string): string {
  const m = new RegExp(`^${name}:[ \\t]*(.*(?:\\r?\\n[ \\t].*)*)`, "mi").exec(raw);
  return m ? m[1]!.replace(/\r?\n[ \t]+/g, " ").trim() : "";
}

export interface SmtpOptions {
  port?: number;
  secure?: boolean;
  cert?: Cert;
  /** Offer no STARTTLS (a plaintext-only server). */
  plaintextOnly?: boolean;
  /** Require AUTH with this user/password. */
  auth?: { user: string; pass: string };
  /** Answer 250 to DATA only after this promise settles (to widen a kill window). */
  beforeAccept?: () => Promise<void>;
}

/** Starts an SMTP server on 127.0.0.1 (port 0 = random) that records each accepted message. */
export async function startSmtp(o: SmtpOptions = {}): Promise<SmtpPeer> {
  const received: Received[] = [];
  let authAttempts = 0;
  const opts: SMTPServerOptions = {
    secure: o.secure ?? false,
    ...(o.cert ? { key: o.cert.key, cert: o.cert.cert } : {}),
    disabledCommands: [...(o.plaintextOnly ? ["STARTTLS"] : []), ...(o.auth ? [] : ["AUTH"])],
    authOptional: !o.auth,
    logger: false,
    onAuth(auth, _session, cb) {
      authAttempts++;
      if (o.auth && auth.username === o.auth.user && auth.password === o.auth.pass) cb(null, { user: auth.username });
      else cb(Object.assign(new Error("Authentication credentials invalid"), { responseCode: 535 }));
    },
    onMailFrom(_a, _s, cb) {
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        const done = () => {
          received.push({
            messageId: header(raw, "Message-ID"),
            subject: header(raw, "Subject"),
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            to: session.envelope.rcptTo.map((r) => r.address),
            raw,
            secure: session.secure,
            user: session.user as string | undefined,
          });
          cb();
        };
        if (o.beforeAccept) o.beforeAccept().then(done, done);
        else done();
      });
    },
  };
  const server = new SMTPServer(opts);
  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port ?? 0, "127.0.0.1", () => resolve((server.server.address() as { port: number }).port));
  });
  return {
    port,
    received,
    get authAttempts() {
      return authAttempts;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** A TCP server that accepts connections and never says a word. */
export async function startSilent(): Promise<{ port: number; connections: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((s) => {
    connections++;
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => undefined);
  });
  const port = await new Promise<number>((r) => server.listen(0, "127.0.0.1", () => r((server.address() as { port: number }).port)));
  return {
    port,
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A port that was free a moment ago (nothing listens on it now). */
export async function freePort(): Promise<number> {
  const s = createServer();
  const port = await new Promise<number>((r) => s.listen(0, "127.0.0.1", () => r((s.address() as { port: number }).port)));
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function decodeQp(s: string): string {
  const bytes: number[] = [];
  const flat = s.replace(/=\r?\n/g, "");
  for (let i = 0; i < flat.length; i++) {
    if (flat[i] === "=" && /^[0-9A-F]{2}$/.test(flat.slice(i + 1, i + 3))) {
      bytes.push(parseInt(flat.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(flat[i]!, "utf8"));
  }
  return Buffer.from(bytes).toString("utf8");
}

/** The decoded text/plain and text/html parts of a multipart/alternative message. */
export function bodyParts(raw: string): { text: string; html: string } {
  const out = { text: "", html: "" };
  // Split on the message's own boundary: a body line may start with "--" too (a command option).
  const boundary = /boundary="?([^";\r\n]+)"?/i.exec(raw)?.[1];
  const parts = boundary ? raw.split(new RegExp(`\\r?\\n--${boundary.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?:--)?\\r?\\n`)) : raw.split(/\r?\n--[^\r\n]+\r?\n/);
  for (const part of parts) {
    const m = /^Content-Type: text\/(plain|html);[^\r\n]*\r?\n(?:Content-Transfer-Encoding: ([^\r\n]+)\r?\n)?\r?\n([\s\S]*)$/i.exec(part);
    if (!m) continue;
    const body = m[2]?.toLowerCase() === "quoted-printable" ? decodeQp(m[3]!) : m[2]?.toLowerCase() === "base64" ? Buffer.from(m[3]!, "base64").toString("utf8") : m[3]!;
    out[m[1]!.toLowerCase() === "plain" ? "text" : "html"] = body.replace(/\r?\n--[^\r\n]*--\s*$/, "");
  }
  return out;
}
