/**
 * One observing TLS handshake with an endpoint (I/O). The client accepts anything down to
 * TLS 1.0 at OpenSSL security level 0 so that it can *see* what a weak server offers; it never
 * sends application data, so accepting a weak channel here costs nothing.
 */
import { connect as netConnect, isIP, type Socket } from "node:net";
import { checkServerIdentity, connect as tlsConnect, type TLSSocket } from "node:tls";
import { describeCertificate, type CertificateInfo } from "./parse-certificate.js";

export type HandshakeResult =
  | { outcome: "connect_failed"; error: string }
  | { outcome: "handshake_failed"; error: string }
  | {
      outcome: "ok";
      protocol: string;
      cipher: string;
      certificate: CertificateInfo;
      /** OpenSSL's chain verdict against the trusted CAs; null when the chain is valid. */
      chainError: string | null;
      /** null when the certificate matches the name; else why not. */
      hostnameError: string | null;
    };

export interface HandshakeOptions {
  host: string;
  port: number;
  servername?: string;
  /** PEM of the CAs to trust instead of node's bundled Mozilla roots. */
  ca?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

function describeError(e: unknown): string {
  const err = e as NodeJS.ErrnoException & { reason?: string };
  const text = err.reason ?? err.message;
  const code = err.code && !text.includes(err.code) ? `${err.code}: ` : "";
  return `${code}${text}`.slice(0, 240);
}

/** Connects, handshakes, reads the peer certificate, and closes. Never throws. */
export function handshake(opts: HandshakeOptions): Promise<HandshakeResult> {
  return new Promise((resolve) => {
    let done = false;
    let tcp: Socket | undefined;
    let tls: TLSSocket | undefined;
    const finish = (r: HandshakeResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      tls?.destroy();
      tcp?.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => {
      const phase = tls ? "handshake_failed" : "connect_failed";
      finish({ outcome: phase, error: `no answer within ${opts.timeoutMs} ms` });
    }, opts.timeoutMs);
    const onAbort = () => finish({ outcome: "connect_failed", error: "aborted" });
    opts.signal?.addEventListener("abort", onAbort, { once: true });

    tcp = netConnect({ host: opts.host, port: opts.port });
    tcp.once("error", (e) => finish({ outcome: tls ? "handshake_failed" : "connect_failed", error: describeError(e) }));
    tcp.once("connect", () => {
      const name = opts.servername ?? (isIP(opts.host) ? undefined : opts.host);
      tls = tlsConnect({
        socket: tcp!,
        ...(name ? { servername: name } : {}),
        ...(opts.ca ? { ca: opts.ca } : {}),
        rejectUnauthorized: false,
        minVersion: "TLSv1",
        ciphers: "DEFAULT:@SECLEVEL=0",
        // Hostname is checked below with the same rules, reported separately from the chain.
        checkServerIdentity: () => undefined,
      });
      tls.once("error", (e) => finish({ outcome: "handshake_failed", error: describeError(e) }));
      tls.once("secureConnect", () => {
        const s = tls!;
        const x509 = s.getPeerX509Certificate();
        if (!x509) return finish({ outcome: "handshake_failed", error: "the server sent no certificate" });
        let certificate: CertificateInfo;
        try {
          certificate = describeCertificate(x509);
        } catch (e) {
          return finish({ outcome: "handshake_failed", error: describeError(e) });
        }
        // From the X509Certificate: getPeerCertificate() on a socket-wrapped TLSSocket lacks subjectaltname here.
        const idError = checkServerIdentity(name ?? opts.host, x509.toLegacyObject());
        finish({
          outcome: "ok",
          protocol: s.getProtocol() ?? "unknown",
          cipher: s.getCipher()?.name ?? "unknown",
          certificate,
          chainError: s.authorized ? null : String(s.authorizationError ?? "unverified"),
          hostnameError: idError ? idError.message : null,
        });
      });
    });
  });
}
