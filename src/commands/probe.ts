/** `gatehouse probe serve` (runs the privileged helper) and `gatehouse probe query NAME` (asks it). */
import { UserError } from "../kit/errors.js";
import { probeClient, type ProbeClient } from "../probe/client.js";
import { DEFAULT_PROBE_SOCKET } from "../probe/protocol.js";
import { ALLOW_LIST, QUERY_NAMES } from "../probe/queries.js";
import { runProbe } from "../probe/run.js";
import { onePositional, parseCommandArgs, type Command, type CommandIO } from "./command.js";

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
    const client = probeClient({ socketPath: socketOf(values.socket) });
    if (ALLOW_LIST.get(name)?.kind === "stream") return followStream(client, name, io);
    const r = await client.query(name);
    if (!r.ok) throw new UserError(`gatehouse-probe: ${r.error.type}: ${r.error.message}`, r.error.type === "refused" ? 3 : 2);
    io.out(r.kind === "file" ? r.text.replace(/\n$/, "") : r.kind === "dir" ? r.entries.join("\n") : r.kind === "command" ? r.stdout.replace(/\n$/, "") : "");
    return 0;
  },
};

/** Prints a stream's lines until it ends or the user interrupts (exit 0 on Ctrl-C). */
async function followStream(client: ProbeClient, name: string, io: CommandIO): Promise<number> {
  const s = client.subscribe(name, (line) => io.out(line));
  const stop = () => s.stop();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const end = await s.ended;
  process.off("SIGINT", stop);
  process.off("SIGTERM", stop);
  if (end.error) throw new UserError(`gatehouse-probe: ${end.error.message}`, end.error.name === "ProbeRefused" ? 3 : 2);
  return 0;
}
