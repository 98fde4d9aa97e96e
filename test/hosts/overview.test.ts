/**
 * An office computer's problem reaches the console's overview: under the tile of the control its
 * check evidences, with the office rollup ("Anti-virus: 0 of 1 computers green").
 */
import { describe, expect, it } from "vitest";
import type { HostsConfig } from "../../src/agent/hosts/config.js";
import { recordHost } from "../../src/agent/hosts/record.js";
import { hostSnapshot, saveResults } from "../../src/agent/hosts/results.js";
import { enrollHost, getHost } from "../../src/agent/store/hosts.js";
import { addUser, call, makeHarness, signIn } from "../web/harness.js";

const POLICY: HostsConfig = {
  enrollSecretFile: "/nonexistent",
  offlineAfterMs: 2 * 86_400_000,
  intervalSeconds: 3600,
  maxSignatureAgeMs: 3 * 86_400_000,
  maxUpdateAgeMs: 35 * 86_400_000,
  maxScreenLockMs: 900_000,
  allowedAdmins: [],
  maxHosts: 10,
};

describe("office computers on the overview", () => {
  it("a computer without anti-virus signatures turns the anti-virus tile red and names it", async () => {
    const h = makeHarness();
    const at = h.clock.now();
    const r = enrollHost(h.db, { hostIdentifier: "uuid-a", hostname: "RECEPTION-2", platform: "linux", osName: "Ubuntu", osVersion: "24.04", osqueryVersion: "5.12.1", hardwareSerial: "", address: "192.0.2.9" }, at, 10);
    if (!r.ok) throw new Error("enrol failed");
    saveResults(h.db, r.hostId, new Map([
      ["os_version", { rows: [{ name: "Ubuntu", version: "24.04.1 LTS", major: "24", minor: "4", platform: "ubuntu" }], status: 0 }],
      ["linux_clamav_signatures", { rows: [], status: 0 }],
      ["linux_clamav_processes", { rows: [{ name: "clamd" }], status: 0 }],
    ]), "distributed", at);
    recordHost(h.db, { site: "T", routes: [], now: at, policy: { groupWaitMs: 0, flapWindowMs: 0 } }, POLICY, hostSnapshot(h.db, getHost(h.db, r.hostId)!));

    const viewer = await addUser(h, "vera", "viewer");
    const html = await (await call(h, "/", { cookie: await signIn(h, viewer) })).text();
    const tile = /<li class="tile[^"]*" id="control-antivirus"[\s\S]*?<\/li>/.exec(html)?.[0] ?? "";
    expect(tile).toContain('data-status="fail"');
    expect(tile).toContain("RECEPTION-2: ClamAV signatures not found");
    expect(tile).toContain("Anti-virus: 0 of 1 computer green");
    expect(tile).toContain('href="/computers"');
  });
});
