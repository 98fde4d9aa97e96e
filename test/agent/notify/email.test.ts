import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { rmSync } from "node:fs";
import { parseAlertsConfig, type EmailConfig } from "../../../src/agent/alerts/config.js";
import type { Notification } from "../../../src/agent/alerts/notification.js";
import { DeliveryError, type OutboxMessage } from "../../../src/agent/notify/channel.js";
import { emailChannel } from "../../../src/agent/notify/email.js";
import { bodyParts, makeCert, secretFile, startSilent, startSmtp, type Cert } from "./peers.js";

let cert: Cert;
beforeAll(() => {
  cert = makeCert();
});
afterAll(() => rmSync(cert.dir, { recursive: true, force: true }));

function emailConfig(smtp: Record<string, unknown>, extra: Record<string, unknown> = {}): EmailConfig {
  return parseAlertsConfig({ email: { smtp: { host: "127.0.0.1", ...smtp }, from: "gatehouse@example.org", to: ["it@example.org"], ...extra } }).email[0]!;
}

const T = Date.UTC(2026, 10, 28, 14, 5, 0);
const notice: Notification = {
  event: "firing",
  site: "Acme Phoenix",
  at: T,
  consoleUrl: "https://gatehouse.acme.local/",
  items: [
    {
      alertId: 7,
      severity: "critical",
      source: "firewall",
      rule: "firewall.disabled",
      subject: "",
      message: "firewall disabled",
      since: T - 3_600_000,
      control: "firewall",
      change: { fact: "firewall.enabled", before: true, after: false },
    },
  ],
};
const msg = (id = "<n1@gatehouse>", n: Notification = notice): OutboxMessage => ({ id: 1, messageId: id, notification: n });
const signal = () => new AbortController().signal;

describe("email channel with a real SMTP server", () => {
  it("STARTTLS with a self-signed certificate trusted via ca_file, auth from a password file", async () => {
    const peer = await startSmtp({ cert, auth: { user: "alerts", pass: "s3cret pass" } });
    try {
      const ch = emailChannel(
        emailConfig({ port: peer.port, tls: "starttls", ca_file: cert.certFile, user: "alerts", password_file: secretFile(cert.dir, "smtp.pass", "s3cret pass\n") }),
        { name: "email" },
      );
      await ch.send(msg("<stable-1@gatehouse>"), signal());
      ch.close?.();
      expect(peer.received).toHaveLength(1);
      const r = peer.received[0]!;
      expect(r).toMatchObject({ secure: true, user: "alerts", messageId: "<stable-1@gatehouse>", to: ["it@example.org"] });
      expect(r.subject).toBe("[Gatehouse][CRITICAL] Acme Phoenix: firewall disabled");
      // Plain text says what changed, since when, and where to look; never the password.
      const { text, html } = bodyParts(r.raw);
      expect(text).toContain("firewall.enabled: true → false");
      expect(text).toContain("since 2026-11-28T13:05:00Z");
      expect(text).toContain("Console: https://gatehouse.acme.local/");
      expect(html).toContain("<small>firewall.enabled: true → false</small>");
      expect(html).toContain('<a href="https://gatehouse.acme.local/">');
      expect(r.raw).not.toContain("s3cret");
    } finally {
      await peer.close();
    }
  });

  it("implicit TLS (port-465 style)", async () => {
    const peer = await startSmtp({ cert, secure: true });
    try {
      const ch = emailChannel(emailConfig({ port: peer.port, tls: "implicit", ca_file: cert.certFile }), { name: "email" });
      await ch.send(msg(), signal());
      ch.close?.();
      expect(peer.received.map((r) => r.secure)).toEqual([true]);
    } finally {
      await peer.close();
    }
  });

  it("refuses a plaintext-only server when TLS is required, before AUTH or any content", async () => {
    const peer = await startSmtp({ plaintextOnly: true, auth: { user: "alerts", pass: "pw" } });
    try {
      const ch = emailChannel(emailConfig({ port: peer.port, user: "alerts", password_file: secretFile(cert.dir, "pw", "pw") }), { name: "email" });
      await expect(ch.send(msg(), signal())).rejects.toThrow(DeliveryError);
      await expect(ch.send(msg(), signal())).rejects.toThrow(/email failed: .*STARTTLS/i);
      expect(peer.received).toHaveLength(0);
      expect(peer.authAttempts).toBe(0);
    } finally {
      await peer.close();
    }
  });

  it("sends to the same plaintext server only when require_tls is false (explicit opt-out)", async () => {
    const peer = await startSmtp({ plaintextOnly: true });
    try {
      const ch = emailChannel(emailConfig({ port: peer.port, require_tls: false }), { name: "email" });
      await ch.send(msg(), signal());
      expect(peer.received.map((r) => r.secure)).toEqual([false]);
    } finally {
      await peer.close();
    }
  });

  it("refuses a self-signed certificate that is not trusted", async () => {
    const peer = await startSmtp({ cert });
    try {
      const ch = emailChannel(emailConfig({ port: peer.port }), { name: "email" });
      await expect(ch.send(msg(), signal())).rejects.toThrow(/email failed: .*(self-signed|certificate)/i);
      expect(peer.received).toHaveLength(0);
    } finally {
      await peer.close();
    }
  });

  it("reports a wrong password as 535 without the password", async () => {
    const peer = await startSmtp({ cert, auth: { user: "alerts", pass: "right" } });
    try {
      const ch = emailChannel(emailConfig({ port: peer.port, ca_file: cert.certFile, user: "alerts", password_file: secretFile(cert.dir, "wrong", "wrong-password") }), { name: "email" });
      const err = await ch.send(msg(), signal()).catch((e: Error) => e);
      expect(err).toBeInstanceOf(DeliveryError);
      expect((err as Error).message).toMatch(/^email failed: 535 /);
      expect((err as Error).message).not.toContain("wrong-password");
    } finally {
      await peer.close();
    }
  });

  it("an unreadable password file is a delivery error (retried), not a crash", async () => {
    const ch = emailChannel(emailConfig({ port: 1, user: "alerts", password_file: "/nonexistent/smtp.pass" }), { name: "email" });
    await expect(ch.send(msg(), signal())).rejects.toThrow("cannot read SMTP password file /nonexistent/smtp.pass: ENOENT");
  });

  it("a server that accepts and never answers times out instead of hanging", async () => {
    const silent = await startSilent();
    try {
      const ch = emailChannel(emailConfig({ port: silent.port, greeting_timeout: "1s", connection_timeout: "2s" }), { name: "email" });
      await expect(ch.send(msg(), signal())).rejects.toThrow(/email failed: .*(greeting|timeout)/i);
      expect(silent.connections).toBe(1);
    } finally {
      await silent.close();
    }
  });

  it("escapes HTML and keeps newlines out of the subject", async () => {
    const peer = await startSmtp({ plaintextOnly: true });
    try {
      const ch = emailChannel(emailConfig({ port: peer.port, require_tls: false }), { name: "email" });
      const evil: Notification = { ...notice, items: [{ ...notice.items[0]!, message: "<script>x</script>\r\nBcc: victim@example.org" }] };
      await ch.send(msg("<e@gatehouse>", evil), signal());
      const r = peer.received[0]!;
      expect(r.to).toEqual(["it@example.org"]);
      expect(r.subject).not.toMatch(/\n/);
      const { text, html } = bodyParts(r.raw);
      expect(html).not.toContain("<script>");
      expect(html).toContain("&lt;script&gt;");
      expect(text).toContain("<script>x</script>"); // plain text shows it as it is
    } finally {
      await peer.close();
    }
  });
});

describe("email subject", () => {
  it.each<[Partial<Notification>, string]>([
    [{}, "[Gatehouse][CRITICAL] Acme Phoenix: firewall disabled"],
    [{ event: "reminder" }, "[Gatehouse][REMINDER CRITICAL] Acme Phoenix: firewall disabled"],
    [{ event: "resolved" }, "[Gatehouse][RESOLVED] Acme Phoenix: firewall disabled"],
    [{ host: "edge-01" }, "[Gatehouse][CRITICAL] Acme Phoenix (edge-01): firewall disabled"],
    [{ items: [notice.items[0]!, { ...notice.items[0]!, alertId: 8, source: "doors", severity: "warning" }] }, "[Gatehouse][CRITICAL] Acme Phoenix: 2 problems (firewall, doors)"],
  ])("%j → %s", async (patch, want) => {
    const { renderSubject } = await import("../../../src/agent/notify/render.js");
    expect(renderSubject({ ...notice, ...patch })).toBe(want);
  });
});

describe("mail a recipient can act on (issue 16)", () => {
  const at = Date.UTC(2026, 10, 28, 15, 0, 0);
  const base = { site: "Acme Phoenix", host: "edge-01", at, consoleUrl: "https://gatehouse.acme.local:8443/" };
  const drift = (fact: string, change: Record<string, unknown>, alertId: number) => ({
    alertId,
    severity: "critical" as const,
    source: "firewall",
    rule: "firewall.drift",
    subject: fact,
    message: `${fact} changed since the approved baseline`,
    since: at - 60_000,
    control: "firewall",
    change: { fact, before: undefined, after: undefined, ...change },
  });

  it("one firewall rule added: one item, no fingerprint, the approve command and the console page", async () => {
    const { presentNotice, renderSubject, renderText } = await import("../../../src/agent/notify/render.js");
    const rule = "tcp dport 23 accept";
    const n: Notification = {
      ...base,
      event: "firing",
      items: [
        drift("firewall.ipv4_rules", { added: [rule], removed: [] }, 1),
        drift("firewall.ipv6_rules", { added: [rule], removed: [] }, 2),
        drift("firewall.ipv4_open_ports", { added: ["tcp/23"], removed: [] }, 3),
        drift("firewall.ipv6_open_ports", { added: ["tcp/23"], removed: [] }, 4),
        drift("firewall.ruleset_sha256", { before: "a".repeat(64), after: "b".repeat(64) }, 5),
      ],
    };
    const blocks = presentNotice(n);
    expect(blocks.map((b) => b.title)).toEqual([`firewall changed: added "${rule}"`, 'firewall changed: added "tcp/23"']);
    const text = renderText(n);
    expect(text).not.toMatch(/[0-9a-f]{64}/);
    expect(text).toContain('gatehouse baseline approve firewall --reason "…"');
    expect(text).toContain("https://gatehouse.acme.local:8443/monitors/firewall");
    expect(text).toContain("Host: edge-01");
    expect(renderSubject(n)).toBe("[Gatehouse][CRITICAL] Acme Phoenix (edge-01): 2 problems (firewall)");
  });

  it("a recovery says what recovered and for how long it was broken, never [critical] or OK … problems", async () => {
    const { renderSubject, renderText } = await import("../../../src/agent/notify/render.js");
    const item = (alertId: number, sensor: string, name: string, minutes: number) => ({
      alertId,
      severity: "critical" as const,
      source: "doors",
      rule: "doors.after_hours_open",
      subject: sensor,
      message: `resolved: ${name} closed`,
      since: at - minutes * 60_000,
      control: "physical",
    });
    const one: Notification = { ...base, event: "resolved", items: [item(1, "server-room", "Server room", 12)] };
    expect(renderSubject(one)).toBe("[Gatehouse][RESOLVED] Acme Phoenix (edge-01): Server room closed");
    expect(renderText(one)).toContain("* [recovered] Server room closed\n");
    expect(renderText(one)).toContain("broken for 12 min");
    const many: Notification = { ...base, event: "resolved", items: Array.from({ length: 7 }, (_, i) => item(i + 1, `door-${i}`, `Door ${i}`, 90)) };
    const subject = renderSubject(many);
    expect(subject).toBe("[Gatehouse][RESOLVED] Acme Phoenix (edge-01): 7 problems recovered (doors)");
    expect(subject).not.toContain("OK");
    expect(renderText(many)).not.toContain("[critical]");
    expect(renderText(many)).toContain("broken for 1 h 30 min");
  });
});

void vi;
