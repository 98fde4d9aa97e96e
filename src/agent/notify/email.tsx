/**
 * Email through nodemailer: STARTTLS or implicit TLS, TLS required by default, password from a
 * file, connection/greeting/socket timeouts so a silent server cannot hang delivery, a stable
 * Message-ID per notice (the outbox row's) so a retried message can be recognised as the same.
 */
import type { Transporter } from "nodemailer";
import type SMTPTransport from "nodemailer/lib/smtp-transport/index.js";
import { NotificationEmail } from "./email-html.js";
import type { EmailConfig } from "../alerts/config.js";
import { DeliveryError, type Channel, type OutboxMessage } from "./channel.js";
import { INTRO, renderSubject, renderText } from "./render.js";
import { readSecret } from "./secret.js";

/** Builds the nodemailer transport options from config (reads the secret files). */
export function transportOptions(c: EmailConfig): SMTPTransport.Options {
  const implicit = c.smtp.tls === "implicit" || (c.smtp.tls === undefined && c.smtp.port === 465);
  return {
    host: c.smtp.host,
    port: c.smtp.port,
    secure: implicit,
    requireTLS: !implicit && c.smtp.require_tls,
    // Without require_tls nodemailer still upgrades when offered; with it, a server that does
    // not offer STARTTLS is refused before any credentials or content are sent.
    connectionTimeout: c.smtp.connection_timeout,
    greetingTimeout: c.smtp.greeting_timeout,
    socketTimeout: c.smtp.socket_timeout,
    tls: {
      minVersion: "TLSv1.2",
      ...(c.smtp.ca_file ? { ca: readSecret(c.smtp.ca_file, "CA file") } : {}),
    },
    ...(c.smtp.user ? { auth: { user: c.smtp.user, pass: c.smtp.password_file ? readSecret(c.smtp.password_file, "SMTP password file") : "" } } : {}),
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

/** Renders the message nodemailer sends (exported so tests can check subject and bodies). */
export function renderEmail(msg: OutboxMessage): { subject: string; text: string; html: string } {
  const n = msg.notification;
  return {
    subject: renderSubject(n),
    text: renderText(n),
    html: `<!doctype html>${(<NotificationEmail n={n} intro={INTRO[n.event]} />).toString()}`,
  };
}

/** Turns a nodemailer failure into one line: `email failed: 535 Authentication failed`. */
export function describeSmtpError(e: unknown): string {
  const err = e as { responseCode?: number; code?: string; message?: string };
  return `email failed: ${err.responseCode ?? err.code ?? ""} ${err.message ?? String(e)}`.replace(/\s+/g, " ").trim().slice(0, 300);
}

/**
 * The email channel for one recipient group. The transport is built at the first send, so an
 * unreadable password file is a visible, retried delivery error rather than a crash at start-up.
 */
export function emailChannel(c: EmailConfig, opts: { name: string; to?: readonly string[]; routed?: boolean } = { name: "email" }): Channel {
  let transport: Promise<Transporter<SMTPTransport.SentMessageInfo>> | undefined;
  return {
    name: opts.name,
    kind: "email",
    minSeverity: c.min_severity,
    ...(c.controls ? { controls: c.controls } : {}),
    routed: opts.routed ?? true,
    async send(msg: OutboxMessage) {
      // nodemailer (~13 MiB resident) is loaded at the first email, not at start-up.
      // One promise, so concurrent first sends share one transport.
      transport ??= import("nodemailer")
        .then((m) => m.default.createTransport(transportOptions(c)))
        .catch((e: unknown) => {
          transport = undefined; // an unreadable secret file may be fixed before the retry
          throw e;
        });
      const t = await transport;
      const m = renderEmail(msg);
      try {
        await t.sendMail({
          from: c.from,
          to: [...(opts.to ?? c.to)],
          subject: m.subject,
          text: m.text,
          html: m.html,
          messageId: msg.messageId,
          headers: { "X-Gatehouse-Event": msg.notification.event },
        });
      } catch (e) {
        throw new DeliveryError(describeSmtpError(e));
      }
    },
    close() {
      void transport?.then((t) => t.close(), () => undefined);
    },
  };
}
