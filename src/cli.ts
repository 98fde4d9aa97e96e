#!/usr/bin/env node
/** Entry point of the `gatehouse` bin. */
import { describeError } from "./agent/errors.js";
import { main } from "./commands/index.js";

main(process.argv.slice(2), { out: (t) => process.stdout.write(`${t}\n`), err: (t) => process.stderr.write(`${t}\n`) }).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`gatehouse: ${describeError(e)}\n`);
    process.exitCode = 3;
  },
);
