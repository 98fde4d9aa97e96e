// `npm run bench`: every benchmark, one markdown table of Gatehouse beside its anchors, written
// to bench-results/latest.md too. Anchors that are missing are named with how to install them.
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { footprint } from "./footprint.mjs";
import { table } from "./lib.mjs";

const rows = [];
const notes = [];

const fp = await footprint();
rows.push({
  figure: "resident memory after warm-up (MiB)",
  gatehouse: (fp.gh.rssKiB / 1024).toFixed(1),
  anchor: `${(fp.bare.rssKiB / 1024).toFixed(1)} (bare hono + better-sqlite3)`,
  ratio: `${(fp.gh.rssKiB / fp.bare.rssKiB).toFixed(2)}x`,
  goal: "≤ 1.3x",
});

const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
const out = [`Machine: ${machine}`, `Date: ${new Date().toISOString()}`, "", table(rows), "", ...notes].join("\n");
console.log(out);
mkdirSync("bench-results", { recursive: true });
writeFileSync("bench-results/latest.md", `${out}\n`);
