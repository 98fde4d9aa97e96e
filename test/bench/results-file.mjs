// test/bench/RESULTS.md is kept by section: each benchmark section's table and notes sit between
// `<!-- bench:NAME -->` and `<!-- /bench:NAME -->` with the date and machine of the run that
// measured them. A run of some sections (GH_BENCH_ONLY=…) replaces only those blocks; the other
// sections and any text outside the blocks (hand-written supplementary runs) stay as they were.

/** Section names in the order `npm run bench` runs them (and RESULTS.md lists them). */
export const SECTION_ORDER = ["footprint", "console", "alert", "history", "check"];

const open = (name) => `<!-- bench:${name} -->`;
const close = (name) => `<!-- /bench:${name} -->`;
const GENERATED_END = "<!-- /bench -->";

/** One section's block: its heading line, then the markdown it measured. */
export function sectionBlock(name, heading, body) {
  return `${open(name)}\n${heading}\n\n${body.trim()}\n${close(name)}`;
}

/**
 * RESULTS.md text with `blocks` ({name: blockText from sectionBlock}) put in: an existing block
 * of that name is replaced in place; a new one goes after the block of the section before it in
 * SECTION_ORDER (or at the start of the generated part). `preamble` is the file's opening text,
 * used when `text` has no generated part yet.
 */
export function mergeSections(text, blocks, preamble) {
  let out = text.includes(GENERATED_END) ? text : `${preamble.trim()}\n\n${GENERATED_END}\n${text.trim() ? `\n${text.trim()}\n` : ""}`;
  for (const name of SECTION_ORDER) {
    const block = blocks[name];
    if (!block) continue;
    const a = out.indexOf(open(name));
    const b = out.indexOf(close(name));
    if (a >= 0 && b > a) {
      out = out.slice(0, a) + block + out.slice(b + close(name).length);
      continue;
    }
    // After the nearest earlier section present, else just before the end of the generated part.
    let at = -1;
    for (const prev of SECTION_ORDER.slice(0, SECTION_ORDER.indexOf(name)).reverse()) {
      const e = out.indexOf(close(prev));
      if (e >= 0) {
        at = e + close(prev).length;
        break;
      }
    }
    if (at < 0) {
      const firstLater = SECTION_ORDER.slice(SECTION_ORDER.indexOf(name) + 1)
        .map((n) => out.indexOf(open(n)))
        .filter((i) => i >= 0);
      at = firstLater.length ? Math.min(...firstLater) : out.indexOf(GENERATED_END);
      out = `${out.slice(0, at)}${block}\n\n${out.slice(at)}`;
    } else {
      out = `${out.slice(0, at)}\n\n${block}${out.slice(at)}`;
    }
  }
  return out.endsWith("\n") ? out : `${out}\n`;
}

/** The names of the sections a RESULTS.md text holds, in file order. */
export function sectionsIn(text) {
  return [...text.matchAll(/<!-- bench:(\w+) -->/g)].map((m) => m[1]);
}
