import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/kit/config-errors.js";
import { rootedFileView } from "../../../src/kit/file-view.js";
import { inspectCertificateFile, tls } from "../../../src/monitors/tls/index.js";
import { parseCertificatePem } from "../../../src/monitors/tls/parse-certificate.js";
import { endpointFact } from "../../../src/monitors/tls/policy.js";
import { ProbeError, type Facts } from "../../../src/monitors/monitor.js";
import { expectCase, fixtureCases } from "../../helpers/fixture-cases.js";

const PEM_DIR = join(import.meta.dirname, "../../fixtures/tls/pem");

describe("parseCertificatePem (fixtures made with openssl)", () => {
  const cases = fixtureCases(PEM_DIR, ".", ".pem");
  it("has fixtures including garbage", () => expect(cases.map((c) => `${c.name}.pem`)).toEqual(expect.arrayContaining(["garbage.pem", "leaf-with-chain.pem"])));
  it.each(cases)("$name", ({ input, expected }) => expectCase(() => parseCertificatePem(input), expected));
});

describe("inspectCertificateFile (the console's own certificate)", () => {
  const read = rootedFileView().readFile;
  it("reports days left against the given clock", async () => {
    const r = await inspectCertificateFile(join(PEM_DIR, "leaf-with-chain.pem"), new Date("2026-12-01T12:00:00Z"), read);
    expect(r).toMatchObject({ path: join(PEM_DIR, "leaf-with-chain.pem"), daysLeft: 30, notAfter: "2027-01-01T00:00:00.000Z" });
  });
  it("garbage → ProbeError; missing → the fs error code", async () => {
    await expect(inspectCertificateFile(join(PEM_DIR, "garbage.pem"), new Date(), read)).rejects.toThrow(ProbeError);
    await expect(inspectCertificateFile(join(PEM_DIR, "missing.pem"), new Date(), read)).rejects.toMatchObject({ code: "ENOENT" });
  });
});

describe("config", () => {
  it("defaults and both endpoint forms", () => {
    expect(tls.parseConfig({ endpoints: ["messaging.example.org:443", { address: "[2001:db8::5]:8443", servername: "gw.example.org" }] })).toEqual({
      endpoints: [
        { address: "messaging.example.org:443", host: "messaging.example.org", port: 443 },
        { address: "[2001:db8::5]:8443", host: "2001:db8::5", port: 8443, servername: "gw.example.org" },
      ],
      warnDays: 21,
      minVersion: "TLSv1.2",
      certFiles: [],
      timeoutMs: 10_000,
    });
  });
  it.each([
    [{ endpoints: ["messaging.example.org"] }, "endpoints[0]"],
    [{ endpoints: ["a.example:443", "a.example:443"] }, 'endpoints[1]: duplicate endpoint "a.example:443"'],
    [{ endpoints: ["a.example:70000"] }, "endpoints[0]: port 70000 is out of range"],
    [{ min_version: "TLSv1" }, "min_version: expected one of TLSv1.2, TLSv1.3"],
    [{ ca_file: "ca.pem" }, "ca_file: expected an absolute path"],
    [{ endpoints: [{ address: "a.example:443", sni: "x" }] }, "endpoints[0]"],
  ])("rejects %j", (raw, msg) => {
    expect(() => tls.parseConfig(raw)).toThrow(ConfigError);
    expect(() => tls.parseConfig(raw)).toThrow(msg);
  });
});

describe("policy (pure, on facts)", () => {
  const config = tls.parseConfig({ endpoints: ["gw.example.org:443"], warn_days: 21 });
  const now = new Date("2026-06-01T00:00:00Z");
  const facts = (over: Record<string, unknown>): Facts => {
    const base: Record<string, unknown> = {
      outcome: "ok",
      protocol: "TLSv1.3",
      not_before: "2026-01-01T00:00:00.000Z",
      not_after: "2026-09-01T00:00:00.000Z",
      chain_error: null,
      hostname_error: null,
      ...over,
    };
    return Object.fromEntries(Object.entries(base).map(([k, v]) => [endpointFact("gw.example.org:443", k), v])) as Facts;
  };
  const rule = (f: Facts, r: string) => tls.policy(f, config, { now, firstSeen: () => undefined }).find((x) => x.rule === r);

  it.each([
    ["2026-06-22T00:00:01.000Z", "pass"],
    ["2026-06-21T23:59:59.000Z", "warn"],
    ["2026-06-01T00:00:00.000Z", "fail"],
  ])("expiry at %s → %s (warn_days 21)", (notAfter, status) => {
    expect(rule(facts({ not_after: notAfter }), "tls.expiry")?.status).toBe(status);
  });
  it("not yet valid → fail that points at the clock", () => {
    expect(rule(facts({ not_before: "2026-07-01T00:00:00.000Z" }), "tls.expiry")).toMatchObject({ status: "fail", message: expect.stringMatching(/not valid until 2026-07-01/) });
  });
  it.each([
    ["TLSv1.3", "pass"],
    ["TLSv1.2", "pass"],
    ["TLSv1.1", "fail"],
    ["SSLv3", "fail"],
    ["unknown", "fail"],
  ])("protocol %s → %s (min TLSv1.2)", (protocol, status) => {
    expect(rule(facts({ protocol }), "tls.protocol")?.status).toBe(status);
  });
  it("no facts for an endpoint → unknown, never pass", () => {
    expect(tls.policy({}, config, { now, firstSeen: () => undefined })).toEqual([expect.objectContaining({ rule: "tls.reachable", status: "unknown" })]);
  });
});
