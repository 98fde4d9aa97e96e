import { describe, expect, it } from "vitest";
import { alertPolicyOf, channelNames, parseAlertsConfig } from "../../../src/agent/alerts/config.js";
import { ConfigError, formatIssue } from "../../../src/kit/config-errors.js";

const smtp = { host: "smtp.example.org", port: 587, user: "alerts", password_file: "/etc/gatehouse/smtp.pass" };
const group = { smtp, from: "gatehouse@example.org", to: ["it@example.org"] };

function issues(raw: unknown): string[] {
  try {
    parseAlertsConfig(raw);
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map(formatIssue);
    throw e;
  }
  throw new Error("expected a ConfigError");
}

describe("alerts config", () => {
  it("has documented defaults when absent", () => {
    const c = parseAlertsConfig(undefined);
    // An alarm (critical) is never held back for grouping; warnings and info wait 30 s.
    expect(alertPolicyOf(c)).toEqual({ renotifyAfterMs: 4 * 3_600_000, flapWindowMs: 600_000, groupWaitMs: { critical: 0, warning: 30_000, info: 30_000 } });
    expect(c.email).toEqual([]);
  });

  it("group_wait: a duration sets warning and info (critical stays 0); the map form sets each", () => {
    expect(parseAlertsConfig({ group_wait: "1m" }).group_wait).toEqual({ critical: 0, warning: 60_000, info: 60_000 });
    expect(parseAlertsConfig({ group_wait: 0 }).group_wait).toEqual({ critical: 0, warning: 0, info: 0 });
    expect(parseAlertsConfig({ group_wait: { critical: "5s", info: "2m" } }).group_wait).toEqual({ critical: 5_000, warning: 30_000, info: 120_000 });
    expect(issues({ group_wait: { critical: "soon" } })).toEqual(['group_wait.critical: expected a duration like 30s, 10m or 0, got "soon"']);
    expect(issues({ group_wait: { urgent: "0" } })).toEqual(["group_wait.urgent: unknown key"]);
    expect(issues({ group_wait: null })).toEqual([expect.stringMatching(/^group_wait: /) as unknown as string]);
  });

  it("takes email as one group or a list, and names channels stably", () => {
    const one = parseAlertsConfig({ email: group });
    expect(one.email[0]).toMatchObject({ min_severity: "warning", smtp: { require_tls: true, connection_timeout: 10_000 } });
    const c = parseAlertsConfig({
      email: [
        { ...group, name: "it", controls: ["firewall", "updates"] },
        { ...group, to: ["manager@example.org"], controls: ["physical"], min_severity: "critical" },
      ],
      webhook: [{ url: "https://hooks.example.org/x", secret_file: "/etc/gatehouse/hook.key" }],
      syslog: { transport: "tls", host: "siem.example.org" },
      heartbeat: { url: "https://hc.example.org/ping/abc", every: "5m" },
      digest: { at: "07:30" },
      group_wait: "0",
      flap_window: "15m",
    });
    expect(channelNames(c)).toEqual(["it", "email-2", "webhook", "syslog", "digest"]);
    expect(c.syslog).toMatchObject({ port: 6514, facility: "local0", min_severity: "warning" });
    expect(c.heartbeat).toMatchObject({ every: 300_000, method: "GET" });
    expect(alertPolicyOf(c)).toMatchObject({ groupWaitMs: { critical: 0, warning: 0, info: 0 }, flapWindowMs: 900_000 });
  });

  it.each<[string, unknown, string[]]>([
    ["unknown key", { renotify_after: "4h", pager: true }, ["pager: unknown key"]],
    ["unknown key in an email group of a list", { email: [group, { ...group, cc: ["x"] }] }, ["email[1].cc: unknown key"]],
    ["unknown key in smtp", { email: { ...group, smtp: { ...smtp, password: "hunter2" } } }, ["email.smtp.password: unknown key"]],
    ["inline secret path", { email: { ...group, smtp: { ...smtp, password_file: "smtp.pass" } } }, ["email.smtp.password_file: expected an absolute path to a file holding the secret"]],
    ["empty email list", { email: [] }, ["email: expected at least one recipient group"]],
    ["bad severity", { email: { ...group, min_severity: "loud" } }, ["email.min_severity: expected one of info, warning, critical"]],
    ["unknown control", { email: { ...group, controls: ["doors"] } }, [expect.stringMatching(/^email\.controls\[0\]: expected one of antivirus, firewall/) as unknown as string]],
    ["webhook not http", { webhook: [{ url: "file:///etc/passwd", secret_file: "/k" }] }, ["webhook[0].url: expected an http:// or https:// URL"]],
    ["webhook without secret", { webhook: [{ url: "https://x.example" }] }, ["webhook[0].secret_file: required (expected string)"]],
    ["webhook with url and url_file", { webhook: [{ url: "https://x.example", url_file: "/u", secret_file: "/k" }] }, ["webhook[0].url: set exactly one of url or url_file (a file holding the URL, when the URL itself is the secret)"]],
    ["heartbeat without any url", { heartbeat: { every: "5m" } }, ["heartbeat.url: set exactly one of url or url_file (a file holding the URL, when the URL itself is the secret)"]],
    ["relative url_file", { heartbeat: { url_file: "ping.url" } }, ["heartbeat.url_file: expected an absolute path to a file holding the secret"]],
    ["syslog transport", { syslog: { transport: "carrier-pigeon", host: "h" } }, ["syslog.transport: expected one of udp, tcp, tls"]],
    ["syslog port", { syslog: { host: "h", port: 70000 } }, [expect.stringMatching(/^syslog\.port: /) as unknown as string]],
    ["heartbeat too often", { heartbeat: { url: "https://x.example", every: "10s" } }, ["heartbeat.every: expected at least 1m"]],
    ["digest time", { email: group, digest: { at: "7:30am" } }, ['digest.at: expected a time like "07:30"']],
    ["digest without email", { digest: { at: "07:30" } }, ["digest: needs alerts.email (the digest is sent by email)"]],
    ["bad group_wait", { group_wait: "soon" }, ['group_wait: expected a duration like 30s, 10m or 0, got "soon"']],
    ["duplicate channel names", { email: [{ ...group, name: "it" }], webhook: [{ name: "it", url: "https://x.example", secret_file: "/k" }] }, ['(root): two channels are named "it"; give each a distinct name']],
    ["not a mapping", "loud", [expect.stringMatching(/^\(root\): /) as unknown as string]],
  ])("rejects %s with the key path", (_n, raw, want) => {
    expect(issues(raw)).toEqual(want);
  });
});
