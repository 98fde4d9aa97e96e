#!/usr/bin/env node
/**
 * Entry point of `gatehouse-probe`, the privileged helper (systemd/gatehouse-probe.service).
 * Usage: gatehouse-probe [--socket PATH]   (else $GATEHOUSE_PROBE_SOCKET, else /run/gatehouse-probe/probe.sock)
 */
import { parseArgs } from "node:util";
import { describeError } from "../kit/errors.js";
import { DEFAULT_PROBE_SOCKET } from "./protocol.js";
import { runProbe } from "./run.js";

let socket = DEFAULT_PROBE_SOCKET;
try {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { socket: { type: "string" } }, strict: true });
  socket = values.socket ?? process.env.GATEHOUSE_PROBE_SOCKET ?? DEFAULT_PROBE_SOCKET;
} catch (e) {
  process.stderr.write(`gatehouse-probe: ${(e as Error).message}\nusage: gatehouse-probe [--socket PATH]\n`);
  process.exit(3);
}
runProbe(socket).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`gatehouse-probe: ${describeError(e)}\n`);
    process.exitCode = 1;
  },
);
