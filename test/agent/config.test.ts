import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/kit/config-errors.js";
import { duration, emailAddress, parseDuration, parseWith } from "../../src/kit/config-schema.js";
import { cronExpression } from "../../src/agent/config/load.js";
import { cronProblem, Scheduler } from "../../src/agent/scheduler.js";
import { loadConfig, parseConfigText, resolveConfigPath } from "../../src/agent/config/load.js";
import { starterConfig } from "../../src/agent/config/starter.js";
import { MONITORS } from "../../src/monitors/index.js";
import { fileMonitor } from "../helpers/file-monitor.js";
import { issuesOf, parse } from "../helpers/config.js";


describe("config loader", () => {
  it("accepts a minimal config and applies defaults", () => {
    const c = parse('site: "Acme"\n');
    expect(c.site).toBe("Acme");
    expect(c.timezone).toBe("UTC");
    expect(c.dataDir).toBe("/var/lib/gatehouse");
    expect(c.console.listen).toEqual({ host: "127.0.0.1", port: 8443 });
    expect(c.alerts.renotify_after).toBe(4 * 3600_000);
    expect(c.monitors).toEqual([]);
  });

  it("resolves relative paths against the config file's folder", () => {
    const c = parseConfigText("site: x\ndata_dir: ./data\n", "/opt/demo/gatehouse.yaml", [fileMonitor]);
    expect(c.dataDir).toBe("/opt/demo/data");
  });

  it("names key path and line for a bad enum, a bad duration and an unknown key", () => {
    const text = [
      'site: "Acme"', // 1
      "timezone: Mars/Olympus", // 2
      "console:", // 3
      '  listen: "nowhere"', // 4
      "  colour: blue", // 5
      "alerts:", // 6
      "  renotify_after: soon", // 7
    ].join("\n");
    const lines = issuesOf(text);
    expect(lines).toContain("timezone (line 2): expected an IANA time zone such as America/Phoenix");
    expect(lines.some((l) => l.startsWith("console.listen (line 4): expected host:port"))).toBe(true);
    expect(lines).toContain("console.colour (line 5): unknown key");
    expect(lines.some((l) => l.startsWith('alerts.renotify_after (line 7): expected a duration like 90s, 2m, 26h or 3d, got "soon"'))).toBe(true);
  });

  it("reports unknown monitors and a monitor's own errors under monitors.<id>", () => {
    const text = ["site: x", "monitors:", "  nosuch: {}", "  file:", "    path: 12", "    extra: true"].join("\n");
    const lines = issuesOf(text);
    expect(lines.some((l) => l.startsWith("monitors.nosuch (line 3): unknown monitor"))).toBe(true);
    expect(lines.some((l) => l.startsWith("monitors.file.path (line 5):"))).toBe(true);
    expect(lines).toContain("monitors.file.extra (line 6): unknown key");
  });

  it("refuses inline secrets: *_file keys must be absolute paths, and password keys are unknown", () => {
    const text = [
      "site: x",
      "alerts:",
      "  email:",
      "    smtp: { host: smtp.example.org, user: a, password: hunter2 }",
      "    from: a@example.org",
      "    to: [b@example.org]",
    ].join("\n");
    expect(issuesOf(text)).toContain("alerts.email.smtp.password (line 4): unknown key");
    const rel = text.replace("password: hunter2", "password_file: smtp.pass");
    expect(issuesOf(rel).some((l) => l.startsWith("alerts.email.smtp.password_file (line 4): expected an absolute path"))).toBe(true);
  });

  it("reports YAML syntax errors with their line, and refuses non-mapping documents", () => {
    expect(issuesOf("site: x\nmonitors: [\n")[0]).toMatch(/^\(root\) \(line \d+\): YAML syntax/);
    expect(issuesOf("- a\n- b\n")[0]).toMatch(/expected a mapping/);
    expect(issuesOf("")[0]).toMatch(/expected a mapping/);
    expect(issuesOf("site: x\nsite: y\n")[0]).toMatch(/YAML syntax/);
  });

  it("checks the console password age and the metrics token file", () => {
    expect(parse("site: x\nconsole: { password_max_age_days: 90 }\n").console.passwordMaxAgeDays).toBe(90);
    expect(parse("site: x\nmetrics: { token_file: /etc/gatehouse/metrics.token }\n").metrics).toEqual({ tokenFile: "/etc/gatehouse/metrics.token" });
    const lines = issuesOf(["site: x", 'console: { password_max_age_days: "soon" }', "metrics: { token_file: metrics.token, colour: 1 }"].join("\n"));
    expect(lines.some((l) => l.startsWith("console.password_max_age_days (line 2):"))).toBe(true);
    expect(lines.some((l) => l.startsWith("metrics.token_file (line 3): expected an absolute path"))).toBe(true);
    expect(lines).toContain("metrics.colour (line 3): unknown key");
    expect(issuesOf("site: x\nconsole: { password_max_age_days: 0 }\n")[0]).toMatch(/^console.password_max_age_days \(line 2\):/);
  });

  it("survives garbage without throwing anything but ConfigError", () => {
    const samples = ["\u0000\u0001", "{{{{", "site: [1,2", "a: &a [*a]", ": :", "site: !!binary AAAA", "x".repeat(10000), "site: 1\nconsole: 5"];
    for (const s of samples) {
      try {
        parse(s);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
      }
    }
  });

  it("disables a monitor with enabled: false and takes its schedule", () => {
    expect(parse("site: x\nmonitors:\n  file: { enabled: false, path: /x }\n").monitors).toEqual([]);
    const c = parse('site: x\nmonitors:\n  file: { schedule: "*/2 * * * *", path: /x }\n');
    expect(c.monitors[0]!.schedule).toBe("*/2 * * * *");
    expect(c.monitors[0]!.config).toEqual({ path: "/x" });
  });

  it("reads --config, then $GATEHOUSE_CONFIG, then the default", () => {
    expect(resolveConfigPath("/a.yaml", {})).toBe("/a.yaml");
    expect(resolveConfigPath(undefined, { GATEHOUSE_CONFIG: "/b.yaml" })).toBe("/b.yaml");
    expect(resolveConfigPath(undefined, {})).toBe("/etc/gatehouse/gatehouse.yaml");
  });

  it("the starter config written by init passes validation with the real monitor list", () => {
    const dir = mkdtempSync(join(tmpdir(), "gh-cfg-"));
    const file = join(dir, "gatehouse.yaml");
    writeFileSync(file, starterConfig({ site: 'Acme "Phoenix"', dataDir: join(dir, "data") }));
    const c = loadConfig(file);
    expect(c.site).toBe('Acme "Phoenix"');
    expect(c.monitors.map((m) => m.monitor.id)).toContain("firewall");
  });

  it("every monitor declares its starter line, and each one, uncommented, is a valid config", () => {
    const text = starterConfig({ site: "Acme", dataDir: "/var/lib/gatehouse" });
    expect(MONITORS.length).toBeGreaterThan(0);
    for (const m of MONITORS) {
      const line = m.starter;
      expect(text, m.id).toContain(`  ${line}`);
      expect(line.replace(/^# ?/, ""), m.id).toMatch(new RegExp(`^${m.id}:`));
      const uncommented = text.replace(`  ${line}`, `  ${line.replace(/^# ?/, "")}`);
      expect(() => parseConfigText(uncommented, "starter.yaml"), m.id).not.toThrow();
    }
    const hosts = text.replace("# hosts:", "hosts:");
    expect(hosts).not.toBe(text);
    expect(parseConfigText(hosts, "starter.yaml").hosts?.offlineAfterMs).toBe(3 * 86_400_000);
  });

  it("a missing file is a clear error", () => {
    expect(() => loadConfig("/nonexistent/gatehouse.yaml")).toThrow(/cannot read config file \/nonexistent\/gatehouse.yaml: ENOENT/);
  });
});

describe("durations", () => {
  it.each([
    ["90s", 90_000],
    ["2m", 120_000],
    ["26h", 93_600_000],
    ["3d", 259_200_000],
    ["1h30m", 5_400_000],
    ["1w", 604_800_000],
    ["50ms", 50],
    ["1m30s", 90_000],
  ])("%s", (s, ms) => expect(parseDuration(s)).toBe(ms));

  it("zero only where the owner allows it, numbers only where they mean milliseconds, and a bound", () => {
    expect(() => parseWith(duration(), "0")).toThrow(/expected a duration like 90s, 2m, 26h or 3d, got "0"/);
    expect(() => parseWith(duration(), 5)).toThrow(/got "5"/);
    expect(parseWith(duration({ allowZero: true }), 0)).toBe(0);
    expect(parseWith(duration({ allowZero: true }), "0s")).toBe(0);
    expect(parseWith(duration({ numberIsMs: true }), 50)).toBe(50);
    expect(() => parseWith(duration({ numberIsMs: true }), -1)).toThrow(/got "-1"/);
    expect(() => parseWith(duration({ maxMs: 10_000, expected: "a debounce" }), "1h")).toThrow(/expected a debounce, got "1h"/);
    expect(() => parseWith(duration(), { h: 1 })).toThrow();
  });

  it("alerts take a numeric 0 to turn flap damping and grouping off", () => {
    const c = parse("site: x\nalerts: { flap_window: 0, group_wait: 0 }\n");
    expect(c.alerts.flap_window).toBe(0);
    expect(c.alerts.group_wait).toEqual({ critical: 0, warning: 0, info: 0 });
  });
  it.each(["", "h", "10", "-1h", "1x", "0s", "1 h"])("refuses %j", (s) => expect(parseDuration(s)).toBeUndefined());
});

describe("cron expressions: one rule for config check, serve and built-in jobs", () => {
  it.each([
    ["*/5 * * * *"],
    ["0 0 1 1 *"],
    ["17 3 * * *"],
    ["0 7 * * mon-fri"],
    ["0,30 8-17 * * 1-5"],
    ["0 */5 * * * *"],
    ["0 0 * * 7"],
  ])("accepts %j", (expr) => {
    expect(cronProblem(expr)).toBeUndefined();
    expect(parseWith(cronExpression(), expr)).toBe(expr);
  });

  it.each([
    ["61 * * * *", /not a valid cron expression/],
    ["0 25 * * *", /not a valid cron expression/],
    ["*/0 * * * *", /step must be a whole number of at least 1/],
    ["*/x * * * *", /step must be/],
    ["5-2 * * * *", /minute "5-2": a range must go upward \(2-5\?\)/],
    ["0 9-5 * * *", /hour "9-5": a range must go upward/],
    ["30 */5 * * * *", /seconds field other than 0 never runs/],
    ["* * * *", /expected 5 fields .* got 4/],
    ["", /expected 5 fields/],
    ["@daily", /expected 5 fields/],
    ["0 0 31 2 *", /not a valid cron expression/],
    ["1,,2 * * * *", /not a valid cron expression/],
  ])("refuses %j", (expr, why) => {
    expect(cronProblem(expr)).toMatch(why);
    expect(() => parseWith(cronExpression(), expr)).toThrow(ConfigError);
  });

  it("the scheduler refuses what config check refuses, with the same reason", () => {
    const s = new Scheduler({ timezone: "UTC", log: { debug() {}, info() {}, warn() {}, error() {} } });
    expect(() => s.add({ id: "x", schedule: "5-2 * * * *", run: async () => undefined })).toThrow(/range must go upward/);
  });
});

describe("email addresses", () => {
  it.each(["it@example.org", "IT desk <it@example.org>", "root@localhost"])("accepts %j", (a) => {
    expect(parseWith(emailAddress(), a)).toBe(a);
  });
  it.each(["not an address", "it@", "@example.org", "a@b.org, c@d.org", "<it@example.org", "it@example.org>", "it@-x.org", "", "a b@c.org"])("refuses %j", (a) => {
    expect(() => parseWith(emailAddress(), a)).toThrow(/expected an email address such as it@example.org/);
  });
});
