/** The `hosts` config section: defaults, and garbage named by key path and line like every section. */
import { describe, expect, it } from "vitest";
import { issuesOf, parse } from "../helpers/config.js";

describe("hosts config", () => {
  it("is off when absent", () => {
    expect(parse("site: S\n").hosts).toBeUndefined();
  });

  it("has documented defaults", () => {
    expect(parse("site: S\nhosts:\n  enroll_secret_file: /etc/gatehouse/osquery.secret\n").hosts).toEqual({
      enrollSecretFile: "/etc/gatehouse/osquery.secret",
      offlineAfterMs: 3 * 86_400_000,
      intervalSeconds: 3600,
      maxSignatureAgeMs: 3 * 86_400_000,
      maxUpdateAgeMs: 35 * 86_400_000,
      maxScreenLockMs: 15 * 60_000,
      allowedAdmins: [],
      maxHosts: 250,
    });
  });

  it("takes every key", () => {
    const h = parse(
      "site: S\nhosts:\n  enroll_secret_file: /s\n  offline_after: 26h\n  interval: 30m\n  max_signature_age: 2d\n  max_update_age: 30d\n  max_screen_lock: 10m\n  allowed_admins: [itadmin]\n  max_hosts: 40\n",
    ).hosts;
    expect(h).toEqual({ enrollSecretFile: "/s", offlineAfterMs: 26 * 3_600_000, intervalSeconds: 1800, maxSignatureAgeMs: 2 * 86_400_000, maxUpdateAgeMs: 30 * 86_400_000, maxScreenLockMs: 600_000, allowedAdmins: ["itadmin"], maxHosts: 40 });
  });

  it("names key path and line for garbage, beside other sections' errors", () => {
    const lines = issuesOf(
      [
        "site: S",
        "hosts:",
        "  enroll_secret_file: relative/secret",
        "  offline_after: soon",
        "  interval: 10s",
        "  allowed_admins: admin",
        "  max_hosts: 0",
        "  colour: blue",
        "alerts:",
        "  renotify_after: never",
        "",
      ].join("\n"),
    );
    expect(lines).toContain("hosts.enroll_secret_file (line 3): expected an absolute path to a file holding the secret");
    expect(lines).toContain('hosts.offline_after (line 4): expected a duration like 90s, 2m, 26h or 3d, got "soon"');
    expect(lines).toContain("hosts.interval (line 5): expected at least 1m");
    expect(lines.some((l) => l.startsWith("hosts.allowed_admins (line 6): "))).toBe(true);
    expect(lines.some((l) => l.startsWith("hosts.max_hosts (line 7): "))).toBe(true);
    expect(lines).toContain("hosts.colour (line 8): unknown key");
    expect(lines.some((l) => l.startsWith("alerts.renotify_after (line 10)"))).toBe(true);
  });

  it("requires the secret file and refuses a section that is not a mapping", () => {
    expect(issuesOf("site: S\nhosts:\n  interval: 1h\n")).toContain("hosts.enroll_secret_file (line 2): required (expected string)");
    expect(issuesOf("site: S\nhosts: [1, 2]\n").some((l) => l.startsWith("hosts (line 2): "))).toBe(true);
  });
});
