/**
 * A real SMTP peer for tests (the smtp-server package) on a random loopback port, with
 * STARTTLS using a certificate generated for the test. Collects every accepted message.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SMTPServer } from "smtp-server";
import { run } from "../../src/kit/exec.js";

export interface Received {
  from: string;
  to: string[];
  raw: string;
  subject: string;
  messageId: string;
}

/** Generates a self-signed certificate for 127.0.0.1/localhost; returns file paths. */
export async function makeCert(): Promise<{ dir: string; cert: string; key: string }> {
  const dir = mkdtempSync(join(tmpdir(), "gh-cert-"));
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  await run("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
  ]);
  return { dir, cert, key };
}

/** Decodes RFC 2047 encoded-words (=?UTF-8?Q?…?= / ?B?) in a header value. */
export function decodeHeader(v: string): string {
  return v
    .replace(/\?=\s+=\?/g, "?==?")
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_m, _cs: string, enc: string, text: string) => {
      if (enc.toUpperCase() === "B") return Buffer.from(text, "base64").toString("utf8");
      const bytes = text.replace(/_/g, " ").replace(/=([0-9A-Fa-f]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16)));
      return Buffer.from(bytes, "latin1").toString("utf8");
    });
}

export class TestSmtp {
  readonly received: Received[] = [];
  private server: SMTPServer | undefined;
  port = 0;

  constructor(private readonly tls: { cert: string; key: string }, private readonly opts: { auth?: { user: string; pass: string } } = {}) {}

  /** Starts listening (on `port`, or a random one the first time). */
  async start(port = this.port): Promise<void> {
    const auth = this.opts.auth;
    this.server = new SMTPServer({
      secure: false,
      key: readFileSync(this.tls.key),
      cert: readFileSync(this.tls.cert),
      authOptional: !auth,
      ...(auth ? {} : { disabledCommands: ["AUTH"] }),
      logger: false,
      onAuth(a, _s, cb) {
        if (auth && a.username === auth.user && a.password === auth.pass) cb(null, { user: a.username });
        else cb(Object.assign(new Error("535 authentication failed"), { responseCode: 535 }));
      },
      onData: (stream, session, cb) => {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          const raw = Buffer.concat(chunks).toString("utf8");
          const header = (name: string) => new RegExp(`^${name}: (.*(?:\\r?\\n[ \\t].*)*)`, "mi").exec(raw)?.[1]?.replace(/\r?\n[ \t]/g, " ") ?? "";
          this.received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            to: session.envelope.rcptTo.map((r) => r.address),
            raw,
            subject: decodeHeader(header("Subject")),
            messageId: header("Message-ID"),
          });
          cb();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(port, "127.0.0.1", () => resolve());
    });
    this.port = (this.server as unknown as { server: { address(): AddressInfo } }).server.address().port;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}
