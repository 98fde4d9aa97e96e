/** `gatehouse audit verify`: walks the audit log's hash chain; exit 0 intact, 2 broken. */
import { verifyAudit } from "../agent/audit.js";
import { configOption, parseCommandArgs, withStore, type Command } from "./command.js";

const usage = "gatehouse audit verify [--config FILE]";

export const auditVerifyCommand: Command = {
  words: ["audit", "verify"],
  summary: "check the audit log's hash chain (detects edited or deleted rows)",
  usage,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, configOption, usage);
    return withStore(
      values.config,
      (db) => {
        const v = verifyAudit(db);
        if (v.ok) {
          io.out(`audit log intact: ${v.rows} entries, hash chain verified`);
          return 0;
        }
        io.out(`AUDIT LOG BROKEN at entry ${v.brokenAt}: ${v.reason}`);
        return 2;
      },
      { readonly: true },
    );
  },
};
