/**
 * `gatehouse alerts list|ack|silence|silences|unsilence`: read and act on alerts from the shell.
 * Every change is audited with the operating-system user as the actor.
 */
import { AlertActionError, ackAlert, listAlerts, type AlertView } from "../agent/alerts/manage.js";
import { addSilence, endSilence, listSilences, SilenceError } from "../agent/alerts/silences.js";
import { parseDuration } from "../kit/config-schema.js";
import { UserError } from "../kit/errors.js";
import { utcText } from "../kit/format.js";
import { configOption, osActor, parseCommandArgs, withStore, type Command } from "./command.js";

const usage = [
  "gatehouse alerts list [--all | --state firing|acknowledged|resolved] [--json] [--config FILE]",
  "  gatehouse alerts ack ID --note TEXT [--config FILE]",
  "  gatehouse alerts silence --match GLOB --for DURATION --reason TEXT [--config FILE]",
  "  gatehouse alerts silences [--all] [--json] [--config FILE]",
  "  gatehouse alerts unsilence ID [--config FILE]",
].join("\n");

const options = {
  ...configOption,
  all: { type: "boolean" },
  state: { type: "string" },
  json: { type: "boolean" },
  note: { type: "string" },
  match: { type: "string" },
  for: { type: "string" },
  reason: { type: "string" },
} as const;

/** Messages use Markdown `code` spans; a terminal shows them without the backticks. */
const plain = (s: string) => s.replace(/`([^`\n]+)`/g, "$1");

/** One line per alert, the id column padded to the widest id so #9 and #10 line up. */
export function alertLines(list: readonly AlertView[]): string[] {
  const width = Math.max(0, ...list.map((a) => String(a.id).length));
  return list.map((a) => line(a, width));
}

function line(a: AlertView, idWidth = String(a.id).length): string {
  const extra = [
    a.ack ? `acked by ${a.ack.by} ${utcText(a.ack.at)}: ${a.ack.note}` : "",
    a.flapCount ? `flapped ${a.flapCount}×` : "",
    a.goodSince ? `good since ${utcText(a.goodSince)}` : "",
    a.silencedBy ? `silenced (#${a.silencedBy})` : "",
  ].filter(Boolean);
  return `#${String(a.id).padEnd(idWidth)}  ${a.state.padEnd(12)} ${a.severity.padEnd(8)} ${a.source}: ${plain(a.message)}  (since ${utcText(a.openedAt)}${extra.length ? `; ${extra.join("; ")}` : ""})`;
}

function positiveId(s: string | undefined): number {
  if (!s || !/^\d{1,12}$/.test(s) || Number(s) <= 0) throw new UserError(`expected a numeric id\nusage: ${usage}`, 3);
  return Number(s);
}

/** The `alerts` command family (one entry in the command table; the sub-command is the next word). */
export const alertsCommand: Command = {
  words: ["alerts"],
  summary: "list, acknowledge and silence alerts (audited)",
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, options, usage);
    const [sub, arg, ...rest] = positionals;
    if (rest.length > 0) throw new UserError(`unexpected arguments: ${rest.join(" ")}\nusage: ${usage}`, 3);
    return withStore(values.config, (db) => {
      const now = Date.now();
      try {
        switch (sub) {
          case "list": {
            const state = values.all ? "all" : (values.state ?? "open");
            if (!["all", "open", "firing", "acknowledged", "resolved"].includes(state)) throw new UserError(`--state must be firing, acknowledged or resolved\nusage: ${usage}`, 3);
            const list = listAlerts(db, { state: state as "open" });
            if (values.json) io.out(JSON.stringify(list, null, 2));
            else io.out(list.length ? alertLines(list).join("\n") : state === "open" ? "no open alerts" : "no alerts");
            return 0;
          }
          case "ack": {
            const id = positiveId(arg);
            if (values.note === undefined) throw new UserError(`--note is required: say what is being done\nusage: ${usage}`, 3);
            io.out(line(ackAlert(db, id, { actor: osActor(), note: values.note, now })));
            return 0;
          }
          case "silence": {
            if (arg !== undefined) throw new UserError(`unexpected argument "${arg}"\nusage: ${usage}`, 3);
            if (!values.match || !values.for || values.reason === undefined) throw new UserError(`--match, --for and --reason are required\nusage: ${usage}`, 3);
            const forMs = parseDuration(values.for);
            if (forMs === undefined) throw new UserError(`--for: expected a duration like 30m, 2h or 1d, got "${values.for}"`, 3);
            const s = addSilence(db, { match: values.match, forMs, reason: values.reason, actor: osActor(), now });
            io.out(`silence #${s.id}: ${s.match} until ${utcText(s.expiresAt)} (${s.reason})`);
            return 0;
          }
          case "silences": {
            const list = listSilences(db, { now, all: values.all ?? false });
            if (values.json) io.out(JSON.stringify(list, null, 2));
            else
              io.out(
                list.length
                  ? list.map((s) => `#${s.id}  ${s.match}  until ${utcText(s.expiresAt)}${s.endedAt ? ` (lifted ${utcText(s.endedAt)} by ${s.endedBy})` : ""}  by ${s.createdBy}: ${s.reason}`).join("\n")
                  : "no active silences",
              );
            return 0;
          }
          case "unsilence": {
            const id = positiveId(arg);
            const s = endSilence(db, id, { actor: osActor(), now });
            if (!s) throw new UserError(`no active silence #${id}`, 1);
            io.out(`silence #${id} lifted`);
            return 0;
          }
          default:
            throw new UserError(`${sub ? `unknown sub-command "${sub}"` : "missing sub-command"}\nusage: ${usage}`, 3);
        }
      } catch (e) {
        if (e instanceof AlertActionError || e instanceof SilenceError) throw new UserError(e.message, 1);
        throw e;
      }
    });
  },
};
