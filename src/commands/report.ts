/**
 * `gatehouse report --from DATE --to DATE --out FILE [--json]`: the sealed evidence report
 * (standalone HTML at FILE, its JSON twin beside it as FILE.json), recorded in the audit log.
 * `gatehouse report verify FILE`: checks a report's SHA-256 seal.
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { UserError } from "../agent/errors.js";
import { isIsoDate } from "../agent/compliance/registers.js";
import { generateEvidenceReport, ReportError, verifySealedReport } from "../agent/compliance/report.js";
import { configOption, onePositional, osActor, parseCommandArgs, withStore, type Command } from "./command.js";

const usage = "gatehouse report --from YYYY-MM-DD --to YYYY-MM-DD --out FILE.html [--json] [--config FILE]";
const verifyUsage = "gatehouse report verify FILE";

/** The JSON twin's path: report.html → report.json, anything else → FILE.json. */
export function jsonTwinPath(out: string): string {
  return /\.html?$/i.test(out) ? out.replace(/\.html?$/i, ".json") : `${out}.json`;
}

function writePrivate(path: string, text: string): void {
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
        g = db.transaction(() =>
          generateEvidenceReport(db, { site: config.site, timezone: config.timezone, from: values.from!, to: values.to!, now: Date.now(), actor: osActor(), monitors: config.monitors.map((m) => m.monitor) }),
        )();
      } catch (e) {
        if (e instanceof ReportError) throw new UserError(e.message, 3);
        throw e;
      }
      const out = values.out!;
      const jsonPath = jsonTwinPath(out);
      writePrivate(out, g.html.text);
      writePrivate(jsonPath, g.json.text);
      const s = g.report.summary;
      if (values.json) io.out(JSON.stringify({ html: out, html_sha256: g.html.sha256, json: jsonPath, json_sha256: g.json.sha256, audit_id: g.auditId, summary: s }, null, 2));
      else {
        io.out(`wrote ${out} (sha256 ${g.html.sha256})`);
        io.out(`wrote ${jsonPath} (sha256 ${g.json.sha256})`);
        io.out(`controls: ${s.controls.green} green, ${s.controls.amber} amber, ${s.controls.red} red, ${s.controls.grey} without evidence; ${s.alerts} alerts; audit chain ${s.audit_chain_ok ? "verified" : "BROKEN"}`);
      }
      return 0;
    });
  },
};

export const reportVerifyCommand: Command = {
  words: ["report", "verify"],
  summary: "check the SHA-256 seal of a report file (exit 0 intact, 2 altered)",
  usage: verifyUsage,
  async run(argv, io) {
    const { positionals } = parseCommandArgs(argv, configOption, verifyUsage); // --config accepted like everywhere, unused
    const file = onePositional(positionals, "file", verifyUsage);
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      throw new UserError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 3);
    }
    const v = verifySealedReport(text);
    if (!v.sha256) {
      io.out(`${file}: no seal found (not a Gatehouse report?)`);
      return 2;
    }
    io.out(v.ok ? `${file}: seal intact (sha256 ${v.sha256})` : `${file}: ALTERED: sealed ${v.sha256}, content hashes to ${v.computed}`);
    return v.ok ? 0 : 2;
  },
};
