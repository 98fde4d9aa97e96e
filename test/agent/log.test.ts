import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, redactSecrets } from "../../src/agent/log.js";

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
