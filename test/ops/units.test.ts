/**
 * The shipped unit files: `systemd-analyze verify` and `systemd-analyze security --offline=true
 * --threshold=N` on both units (and on the daemon with the GPIO drop-in merged in). Prints the
 * exposure figures.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CommandFailed, run } from "../../src/kit/exec.js";
import { canRun } from "../helpers/require-tool.js";

const SYSTEMD = resolve(import.meta.dirname, "../../systemd");
const UNITS = [
  { file: "gatehouse.service", threshold: 2.0 },
  { file: "gatehouse-probe.service", threshold: 3.5 },
];

async function exposure(path: string, threshold: number): Promise<{ level: number; code: number; text: string }> {
  let out: { stdout: string; code: number };
  try {
    out = await run("systemd-analyze", ["security", "--offline=true", `--threshold=${threshold * 10}`, "--no-pager", path], { okExitCodes: [0] });
  } catch (e) {
    if (e instanceof CommandFailed) out = { stdout: e.stdout, code: e.code };
    else throw e;
  }
  const m = /Overall exposure level for \S+: (\d+(?:\.\d+)?)/.exec(out.stdout);
  if (!m) throw new Error(`no exposure figure in output:\n${out.stdout}`);
  return { level: Number(m[1]), code: out.code, text: out.stdout };
}

describe.runIf(canRun({ tools: ["systemd-analyze"] }))("systemd units", () => {
  const tmp = mkdtempSync(join(tmpdir(), "gh-units-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  for (const u of UNITS) {
    it(`${u.file} passes systemd-analyze verify`, async () => {
      const r = await run("systemd-analyze", ["verify", "--man=no", join(SYSTEMD, u.file)]);
      expect(r.stderr.trim()).toBe("");
    });

    it(`${u.file} exposure is at most ${u.threshold}`, async () => {
      // --threshold is in tenths on the 0..100 internal scale; exit code is non-zero above it.
      const r = await exposure(join(SYSTEMD, u.file), u.threshold);
      console.log(`exposure ${u.file}: ${r.level} (target <= ${u.threshold})`);
      expect(r.level).toBeLessThanOrEqual(u.threshold);
      expect(r.code).toBe(0);
    });
  }

  it("the GPIO drop-in keeps the daemon within its target", async () => {
    // systemd-analyze --offline analyzes one file: merge the drop-in the way systemd would
    // (later assignments win, list settings accumulate).
    const unit = readFileSync(join(SYSTEMD, "gatehouse.service"), "utf8");
    const dropIn = readFileSync(join(SYSTEMD, "gatehouse.service.d/gpio.conf.example"), "utf8");
    const svc = dropIn.slice(dropIn.indexOf("[Service]") + "[Service]".length);
    const merged = unit.replace("[Install]", `${svc}\n[Install]`);
    const path = join(tmp, "gatehouse.service");
    writeFileSync(path, merged);
    const r = await exposure(path, 2.0);
    console.log(`exposure gatehouse.service + gpio drop-in: ${r.level}`);
    expect(r.level).toBeLessThanOrEqual(2.0);
  });

  it("the daemon unit declares the required hardening", () => {
    const unit = readFileSync(join(SYSTEMD, "gatehouse.service"), "utf8");
    for (const line of [
      "User=gatehouse",
      "CapabilityBoundingSet=\n",
      "NoNewPrivileges=yes",
      "ProtectSystem=strict",
      "PrivateTmp=yes",
      "PrivateDevices=yes",
      "ProtectKernelTunables=yes",
      "ProtectKernelModules=yes",
      "ProtectControlGroups=yes",
      "RestrictNamespaces=yes",
      "SystemCallFilter=@system-service",
      "UMask=0077",
      "StateDirectory=gatehouse",
      "ConfigurationDirectory=gatehouse",
      "LogsDirectory=gatehouse",
      "Type=notify",
      "WatchdogSec=",
      "Restart=on-failure",
    ]) {
      expect(unit, line).toContain(line);
    }
    const probe = readFileSync(join(SYSTEMD, "gatehouse-probe.service"), "utf8");
    expect(probe).toMatch(/^CapabilityBoundingSet=CAP_NET_ADMIN CAP_DAC_READ_SEARCH$/m);
    expect(probe).toMatch(/^RestrictAddressFamilies=AF_UNIX AF_NETLINK$/m);
  });
});
