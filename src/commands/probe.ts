/** `gatehouse probe serve` (runs the privileged helper) and `gatehouse probe query NAME` (asks it). */
import { UserError } from "../agent/errors.js";
import { probeClient } from "../probe/client.js";
import { DEFAULT_PROBE_SOCKET } from "../probe/protocol.js";
import { QUERY_NAMES } from "../probe/queries.js";
import { runProbe } from "../probe/run.js";
import { onePositional, parseCommandArgs, type Command } from "./command.js";

const serveUsage = "gatehouse probe serve [--socket PATH]";
const queryUsage = `gatehouse probe query NAME [--socket PATH]   (NAME: ${QUERY_NAMES.join(", ")})`;
const socketOption = { socket: { type: "string" } } as const;
const socketOf = (flag: string | undefined) => flag ?? process.env.GATEHOUSE_PROBE_SOCKET ?? DEFAULT_PROBE_SOCKET;

export const probeServeCommand: Command = {
  words: ["probe", "serve"],
  summary: "run gatehouse-probe, the privileged helper (as in gatehouse-probe.service)",
  usage: serveUsage,
  async run(argv) {
    const { values } = parseCommandArgs(argv, socketOption, serveUsage);
    return runProbe(socketOf(values.socket));
  },
};

export const probeQueryCommand: Command = {
  words: ["probe", "query"],
  summary: "ask gatehouse-probe one allow-listed query and print the answer (installation check)",
  usage: queryUsage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, socketOption, queryUsage);
    const name = onePositional(positionals, "query NAME", queryUsage);
    const r = await probeClient({ socketPath: socketOf(values.socket) }).query(name);
    if (!r.ok) throw new UserError(`gatehouse-probe: ${r.error.type}: ${r.error.message}`, r.error.type === "refused" ? 3 : 2);
    io.out(r.kind === "file" ? r.text.replace(/\n$/, "") : r.kind === "dir" ? r.entries.join("\n") : r.stdout.replace(/\n$/, ""));
    return 0;
  },
};
