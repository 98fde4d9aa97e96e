/**
 * Email through nodemailer: STARTTLS or implicit TLS, TLS required by default, password from a
 * file, connection/greeting/socket timeouts so a silent server cannot hang delivery.
 */
import { readFileSync } from "node:fs";
import nodemailer from "nodemailer";
import type SMTPTransport from "nodemailer/lib/smtp-transport/index.js";
import { NotificationEmail } from "../../../views/emails/notification.js";
import type { EmailConfig } from "../alerts/config.js";
import { DeliveryError, type Channel, type OutboxMessage } from "./channel.js";
import { INTRO, renderSubject, renderText } from "./render.js";

function readSecret(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8").trim();
  } catch (e) {
    throw new DeliveryError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

/** Builds the nodemailer transport options from config (exported for tests of TLS policy). */
export function transportOptions(c: EmailConfig): SMTPTransport.Options {
  const implicit = c.smtp.tls === "implicit" || (c.smtp.tls === undefined && c.smtp.port === 465);
  return {
    host: c.smtp.host,
    port: c.smtp.port,
    secure: implicit,
    requireTLS: !implicit && c.smtp.require_tls,
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

/** The email channel. */
export function emailChannel(c: EmailConfig): Channel {
  const transport = nodemailer.createTransport(transportOptions(c));
  return {
    name: "email",
    minSeverity: "warning",
    async send(msg: OutboxMessage) {
      const n = msg.notification;
      try {
        await transport.sendMail({
          from: c.from,
          to: c.to,
          subject: renderSubject(n),
          text: renderText(n),
          html: `<!doctype html>${(<NotificationEmail n={n} intro={INTRO[n.event]} />).toString()}`,
          messageId: msg.messageId,
          headers: { "X-Gatehouse-Event": n.event },
        });
      } catch (e) {
        const err = e as { responseCode?: number; code?: string; message?: string };
        throw new DeliveryError(`email failed: ${err.responseCode ?? err.code ?? ""} ${err.message ?? String(e)}`.replace(/\s+/g, " ").trim());
      }
    },
    close() {
      transport.close();
    },
  };
}
