#!/usr/bin/env node
/** Entry point of the `gatehouse` bin. */
import { describeError } from "./kit/errors.js";
import { main } from "./commands/index.js";

// A reader that stops early (`gatehouse doors | head -3`) closes the pipe: end quietly, as Unix
// tools do on SIGPIPE, instead of dying with an EPIPE stack trace. One place for every command.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw e;
});

main(process.argv.slice(2), { out: (t) => process.stdout.write(`${t}\n`), err: (t) => process.stderr.write(`${t}\n`) }).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`gatehouse: ${describeError(e)}\n`);
    process.exitCode = 3;
  },
);
