/**
 * `gatehouse register list|export|import ID`: the compliance registers from the command line
 * (CSV in and out, RFC 4180). The OS user running it has the data directory, so acts as admin;
 * every change is audited under os:<user>.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { UserError } from "../kit/errors.js";
import { exportRegisterCsv, importRegisterCsv, listRegister, RegisterError, registerSpec, REGISTER_IDS, rowFields } from "../agent/compliance/registers.js";
import { configOption, osActor, parseCommandArgs, withStore, type Command } from "./command.js";

const ids = REGISTER_IDS.join("|");
const listUsage = `gatehouse register list ${ids} [--json] [--config FILE]`;
const exportUsage = `gatehouse register export ${ids} [--out FILE] [--config FILE]`;
const importUsage = `gatehouse register import ${ids} FILE [--config FILE]`;

function spec(id: string | undefined, usage: string) {
  if (!id) throw new UserError(`expected a register id\nusage: ${usage}`, 3);
  try {
    return registerSpec(id);
  } catch (e) {
    if (e instanceof RegisterError) throw new UserError(e.message, 3);
    throw e;
  }
}

export const registerListCommand: Command = {
  words: ["register", "list"],
  summary: "show a compliance register",
  usage: listUsage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { ...configOption, json: { type: "boolean" } }, listUsage);
    const s = spec(positionals[0], listUsage);
    if (positionals.length > 1) throw new UserError(`unexpected argument "${positionals[1]}"\nusage: ${listUsage}`, 3);
    return withStore(values.config, (db) => {
      const rows: Record<string, unknown>[] = listRegister(db, s.id).map((r) => ({ id: r.id, ...rowFields(s, r) }));
      if (values.json) io.out(JSON.stringify(rows, null, 2));
      else if (rows.length === 0) io.out(`${s.title}: no entries`);
      else for (const r of rows) io.out(`#${r.id} ${s.fields.map((f) => `${f.name}=${JSON.stringify(r[f.name] ?? "")}`).join(" ")}`);
      return 0;
    });
  },
};

export const registerExportCommand: Command = {
  words: ["register", "export"],
  summary: "export a compliance register as CSV (formula cells neutralized)",
  usage: exportUsage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { ...configOption, out: { type: "string" } }, exportUsage);
    const s = spec(positionals[0], exportUsage);
    return withStore(values.config, (db) => {
      const csv = exportRegisterCsv(db, s.id);
      if (values.out) {
        writeFileSync(values.out, csv, { mode: 0o600 });
        io.out(`wrote ${values.out}`);
      } else io.out(csv.replace(/\r\n$/, ""));
      return 0;
    });
  },
};

export const registerImportCommand: Command = {
  words: ["register", "import"],
  summary: "import CSV rows into a compliance register (all or nothing; audited)",
  usage: importUsage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, configOption, importUsage);
    const s = spec(positionals[0], importUsage);
    const file = positionals[1];
    if (!file || positionals.length > 2) throw new UserError(`expected a register id and one CSV file\nusage: ${importUsage}`, 3);
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      throw new UserError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 3);
    }
    return withStore(values.config, (db) => {
      const r = importRegisterCsv(db, { name: osActor(), role: "admin" }, s.id, text);
      if (!r.ok) {
        io.err(`${file}: nothing imported; fix these rows and try again:`);
        for (const e of r.errors) io.err(`  line ${e.line}: ${e.message}`);
        return 1;
      }
      io.out(`${s.title}: ${r.added} added, ${r.updated} updated`);
      return 0;
    });
  },
};
