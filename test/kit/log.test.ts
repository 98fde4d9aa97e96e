import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, redactSecrets, withSyslogPrefix } from "../../src/kit/log.js";

describe("logs", () => {
  it("redact secret-named keys at any depth, including child bindings' payloads", async () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _e, cb) { lines.push(String(chunk)); cb(); } });
    const log = createLogger({ destination: sink, level: "info" });
    log.info({ config: { smtp: { host: "mail", password: "hunter2", user: "alerts" } }, session_id: "abc", list: [{ token: "t0k" }] }, "loaded");
    await new Promise((r) => setImmediate(r));
    const text = lines.join("");
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain("abc");
    expect(text).not.toContain("t0k");
    expect(JSON.parse(text)).toMatchObject({ msg: "loaded", config: { smtp: { host: "mail", password: "[redacted]", user: "alerts" } }, session_id: "[redacted]" });
  });

  it("survives cycles and errors", () => {
    const a: Record<string, unknown> = { name: "x" };
    a.self = a;
    expect(redactSecrets(a)).toEqual({ name: "x", self: "[…]" });
    expect(redactSecrets({ err: new Error("boom") })).toEqual({ err: { type: "Error", message: "boom" } });
  });
});

describe("journal priorities", () => {
  it("prefixes each line with the syslog priority of its level, so journalctl -p works", () => {
    expect(withSyslogPrefix('{"level":30,"msg":"x"}\n')).toBe('<6>{"level":30,"msg":"x"}\n');
    expect(withSyslogPrefix('{"level":40,"msg":"x"}\n')).toBe('<4>{"level":40,"msg":"x"}\n');
    expect(withSyslogPrefix('{"level":50}\n')).toMatch(/^<3>/);
    expect(withSyslogPrefix('{"level":60}\n')).toMatch(/^<2>/);
    expect(withSyslogPrefix('{"level":20}\n')).toMatch(/^<7>/);
    expect(withSyslogPrefix("not json\n")).toBe("<6>not json\n");
  });

  it("is on under systemd (JOURNAL_STREAM) and off otherwise", () => {
    const lines: string[] = [];
    const sink = new Writable({ write(c, _e, cb) { lines.push(String(c)); cb(); } });
    createLogger({ destination: sink, journal: true }).warn({}, "careful");
    createLogger({ destination: sink }).warn({}, "plain");
    expect(lines[0]).toMatch(/^<4>\{"level":40/);
    expect(lines[1]).toMatch(/^\{"level":40/);
  });
});
