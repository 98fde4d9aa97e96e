import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyFindings } from "../../../src/agent/alerts/engine.js";
import { openStore } from "../../../src/agent/store/db.js";
import { alertsCommand } from "../../../src/commands/alerts.js";
import { notifyStatusCommand, notifyTestCommand } from "../../../src/commands/notify.js";
import { UserError } from "../../../src/kit/errors.js";
import { ctx, finding, T0 } from "./helpers.js";
import { startSmtp } from "../notify/peers.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(alertsYaml = "alerts: { renotify_after: 4h }") {
  const dir = mkdtempSync(join(tmpdir(), "gatehouse-cli-"));
  dirs.push(dir);
  const file = join(dir, "gatehouse.yaml");
  writeFileSync(file, `site: "Acme Phoenix"\ndata_dir: ${join(dir, "data")}\nmonitors: {}\n${alertsYaml}\n`);
  const db = openStore(join(dir, "data"));
  db.transaction(() => applyFindings(db, ctx(T0), "firewall", [finding("firewall.disabled", "fail", "firewall disabled")], true))();
  db.close();
  return { dir, file };
}

async function run(cmd: typeof alertsCommand, argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  try {
    const code = await cmd.run(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
    return { code, out: out.join("\n") };
  } catch (e) {
    if (e instanceof UserError) return { code: e.exitCode, out: out.join("\n"), error: e.message };
    throw e;
  }
}

describe("gatehouse alerts", () => {
  it("lists, acknowledges with a note, silences and lifts a silence, all audited", async () => {
    const { file } = setup();
    const c = ["--config", file];
    expect((await run(alertsCommand, ["list", ...c])).out).toMatch(/^#1 {2}firing {7}critical firewall: firewall disabled {2}\(since 2026-11-28T12:00:00Z\)$/);
    const ack = await run(alertsCommand, ["ack", "1", "--note", "swapping the router", ...c]);
    expect(ack.code).toBe(0);
    expect(ack.out).toMatch(/acknowledged .* acked by os:\S+ .*: swapping the router/);
    const json = JSON.parse((await run(alertsCommand, ["list", "--json", ...c])).out) as { state: string; ack: { note: string } }[];
    expect(json[0]).toMatchObject({ state: "acknowledged", ack: { note: "swapping the router" } });
    const sil = await run(alertsCommand, ["silence", "--match", "doors", "--for", "2h", "--reason", "locksmith visit", ...c]);
    expect(sil.out).toMatch(/^silence #1: doors until \S+ \(locksmith visit\)$/);
    expect((await run(alertsCommand, ["silences", ...c])).out).toMatch(/^#1 {2}doors {2}until .* locksmith visit$/);
    expect((await run(alertsCommand, ["unsilence", "1", ...c])).out).toBe("silence #1 lifted");
    expect((await run(alertsCommand, ["silences", ...c])).out).toBe("no active silences");
    const db = openStore(join(file, "..", "data"));
    expect((db.prepare("SELECT action FROM audit ORDER BY id").all() as { action: string }[]).map((r) => r.action)).toEqual(["alerts.ack", "alerts.silence.add", "alerts.silence.end"]);
    db.close();
  });

  it.each<[string[], number, RegExp]>([
    [[], 3, /missing sub-command/],
    [["frobnicate"], 3, /unknown sub-command "frobnicate"/],
    [["ack", "1"], 3, /--note is required/],
    [["ack", "x1", "--note", "n"], 3, /expected a numeric id/],
    [["ack", "42", "--note", "n"], 1, /no alert 42/],
    [["silence", "--match", "doors", "--for", "soon", "--reason", "r"], 3, /--for: expected a duration/],
    [["silence", "--match", "doors; reboot", "--for", "1h", "--reason", "r"], 1, /may only contain/],
    [["silence", "--match", "doors", "--for", "1h"], 3, /are required/],
    [["list", "--state", "bogus"], 3, /--state must be/],
    [["list", "--bogus"], 3, /Unknown option/],
    [["unsilence", "7"], 1, /no active silence #7/],
  ])("refuses %j with exit %i", async (argv, code, re) => {
    const { file } = setup();
    const r = await run(alertsCommand, [...argv, "--config", file]);
    expect(r.code).toBe(code);
    expect(r.error).toMatch(re);
  });
});

describe("gatehouse notify", () => {
  it("test sends through every channel and reports each result", async () => {
    const peer = await startSmtp({ plaintextOnly: true });
    try {
      const { file } = setup(
        `alerts:\n  email:\n    - { name: it, smtp: { host: 127.0.0.1, port: ${peer.port}, require_tls: false }, from: g@example.org, to: [it@example.org] }\n    - { name: broken, smtp: { host: 127.0.0.1, port: ${peer.port} }, from: g@example.org, to: [x@example.org] }`,
      );
      const r = await run(notifyTestCommand, ["--config", file]);
      expect(r.code).toBe(2);
      expect(r.out.split("\n")).toEqual(["it (email): sent", expect.stringMatching(/^broken \(email\): FAILED: email failed: .*STARTTLS/)]);
      expect(peer.received.map((m) => m.subject)).toEqual(["[Gatehouse][TEST INFO] Acme Phoenix: test notification"]);
    } finally {
      await peer.close();
    }
  });

  it("status shows what waits and why", async () => {
    const { file } = setup();
    const db = openStore(join(file, "..", "data"));
    db.prepare("UPDATE outbox SET attempts = 3, last_error = 'email failed: 535 Authentication failed'").run();
    db.close();
    const r = await run(notifyStatusCommand, ["--config", file]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/1 notice\(s\) waiting:\n {2}#1 firing → email, 3 attempt\(s\), next \S+: email failed: 535 Authentication failed/);
  });
});
