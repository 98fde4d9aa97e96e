/**
 * `gatehouse report --from DATE --to DATE --out FILE [--json]`: the sealed evidence report
 * (standalone HTML at FILE; beside it the JSON twin, the Ed25519 signatures `.html.sig` and
 * `.json.sig`, and the box's public key `.pub.pem`), recorded in the audit log.
 * `gatehouse report verify FILE`: checks both signatures and that the HTML prints the JSON's digest.
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { UserError } from "../kit/errors.js";
import { isIsoDate } from "../kit/time.js";
import { renderEvidenceReportHtml } from "../web/evidence-report.js";
import { generateEvidenceReport, ReportError, verifyReport, verifySealedReport } from "../agent/compliance/report.js";
import { loadOrCreateReportKey } from "../agent/compliance/report-key.js";
import { configOption, loadConfigFrom, onePositional, osActor, parseCommandArgs, withStore, type Command } from "./command.js";

const usage = "gatehouse report --from YYYY-MM-DD --to YYYY-MM-DD --out FILE.html [--json] [--config FILE]";
const verifyUsage = "gatehouse report verify FILE.html|FILE.json";

/** The JSON twin's path: report.html → report.json, anything else → FILE.json. */
export function jsonTwinPath(out: string): string {
  return /\.html?$/i.test(out) ? out.replace(/\.html?$/i, ".json") : `${out}.json`;
}

/** The files of one report, from the path of its HTML or its JSON twin. */
export function reportFiles(file: string): { html: string; htmlSig: string; json: string; sig: string; pub: string } {
  const json = /\.json$/i.test(file) ? file : jsonTwinPath(file);
  const base = json.replace(/\.json$/i, "");
  const html = /\.json$/i.test(file) ? `${base}.html` : file;
  return { html, htmlSig: `${html}.sig`, json, sig: `${json}.sig`, pub: `${base}.pub.pem` };
}

function writePrivate(path: string, text: string | Buffer): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text, { mode: 0o600 });
    renameSync(tmp, path);
  } catch (e) {
    throw new UserError(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 3);
  }
}

export const reportCommand: Command = {
  words: ["report"],
  summary: "write the sealed HIPAA evidence report (HTML + JSON twin) for a period; audited",
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { ...configOption, from: { type: "string" }, to: { type: "string" }, out: { type: "string" }, json: { type: "boolean" } }, usage);
    if (positionals.length) throw new UserError(`unexpected argument "${positionals[0]}"\nusage: ${usage}`, 3);
    for (const k of ["from", "to", "out"] as const) if (!values[k]) throw new UserError(`--${k} is required\nusage: ${usage}`, 3);
    for (const k of ["from", "to"] as const) if (!isIsoDate(values[k]!)) throw new UserError(`--${k} must be a date YYYY-MM-DD, got "${values[k]}"`, 3);
    return withStore(values.config, (db, config) => {
      let g;
      try {
        const key = loadOrCreateReportKey(config.dataDir);
        g = db.transaction(() =>
          generateEvidenceReport(db, { site: config.site, timezone: config.timezone, from: values.from!, to: values.to!, now: Date.now(), actor: osActor(), monitors: config.monitors.map((m) => m.monitor), key, render: renderEvidenceReportHtml }),
        )();
      } catch (e) {
        if (e instanceof ReportError) throw new UserError(e.message, 3);
        throw e;
      }
      const files = reportFiles(values.out!);
      writePrivate(files.html, g.html.text);
      writePrivate(files.htmlSig, Buffer.from(g.html.signature, "base64"));
      writePrivate(files.json, g.json.text);
      writePrivate(files.sig, Buffer.from(g.seal.signature, "base64"));
      writePrivate(files.pub, g.seal.publicKeyPem);
      const s = g.report.summary;
      if (values.json) io.out(JSON.stringify({ html: files.html, json: files.json, signature: files.sig, public_key: files.pub, content_sha256: g.seal.contentSha256, key_fingerprint: g.seal.keyFingerprint, audit_id: g.auditId, summary: s }, null, 2));
      else {
        io.out(`wrote ${files.html}, ${files.json}, their signatures ${files.htmlSig} and ${files.sig}, and the public key ${files.pub}`);
        io.out(`content digest (sha256 of the JSON) ${g.seal.contentSha256}, signed by key ${g.seal.keyFingerprint}`);
        io.out(`controls: ${s.controls.green} green, ${s.controls.amber} amber, ${s.controls.red} red, ${s.controls.grey} without evidence; ${s.alerts} alerts; audit chain ${s.audit_chain_ok ? "verified" : "BROKEN"}`);
      }
      return 0;
    });
  },
};

export const reportVerifyCommand: Command = {
  words: ["report", "verify"],
  summary: "check a report: JSON digest and Ed25519 signature, HTML equal to the signed content (exit 0 intact, 2 altered)",
  usage: verifyUsage,
  async run(argv, io) {
    const { positionals } = parseCommandArgs(argv, configOption, verifyUsage); // --config accepted like everywhere, unused
    const file = onePositional(positionals, "file", verifyUsage);
    const read = (path: string): Buffer | undefined => {
      try {
        return readFileSync(path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT" && path !== file) return undefined;
        throw new UserError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 3);
      }
    };
    const given = read(file)!.toString("utf8");
    if (given.includes('content="gatehouse-evidence-report/1"') || given.includes('"format": "gatehouse-evidence-report/1"')) {
      const v = verifySealedReport(given); // format /1: the file's own hash
      io.out(v.ok ? `${file}: seal intact (format /1, sha256 ${v.sha256})` : `${file}: ALTERED: sealed ${v.sha256}, content hashes to ${v.computed}`);
      return v.ok ? 0 : 2;
    }
    const f = reportFiles(file);
    const json = read(f.json);
    const sig = read(f.sig);
    const pub = read(f.pub);
    const missing = [[f.json, json], [f.sig, sig], [f.pub, pub]].filter(([, b]) => b === undefined).map(([p]) => p as string);
    if (missing.length) {
      io.out(`${file}: cannot verify, missing ${missing.join(", ")} (a report is its .html, .json, .json.sig and .pub.pem)`);
      return 2;
    }
    const html = /\.json$/i.test(file) ? read(f.html)?.toString("utf8") : given;
    const htmlSig = html !== undefined ? read(f.htmlSig) : undefined;
    const v = verifyReport({ jsonText: json!.toString("utf8"), signature: sig!, publicKeyPem: pub!.toString("utf8"), ...(html !== undefined ? { htmlText: html } : {}), ...(htmlSig ? { htmlSignature: htmlSig } : {}) });
    for (const c of v.checks) io.out(`${c.ok ? "ok" : "FAILED"}  ${c.what}: ${c.detail}`);
    io.out(v.ok ? `${file}: intact; content digest ${v.seal?.contentSha256}, key ${v.seal?.keyFingerprint} (compare with the key of the box: gatehouse report key)` : `${file}: ALTERED or not signed by this key`);
    return v.ok ? 0 : 2;
  },
};

export const reportKeyCommand: Command = {
  words: ["report", "key"],
  summary: "print the fingerprint and public key of this box's report-signing key",
  usage: "gatehouse report key [--config FILE]",
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, configOption, "gatehouse report key [--config FILE]");
    const config = loadConfigFrom(values.config);
    const key = loadOrCreateReportKey(config.dataDir);
    io.out(`fingerprint ${key.fingerprint}`);
    io.out(key.publicKeyPem.trimEnd());
    return 0;
  },
};
