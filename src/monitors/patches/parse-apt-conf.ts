/**
 * Parses apt.conf(5) syntax into flat, lower-cased `a::b::c` keys, which is how apt itself
 * looks options up (case-insensitively). Handles both `A::B "v";` and nested `A { B "v"; };`,
 * `//`, `#` and C-style comments. `#include` and `#clear` directives are skipped.
 */
import { ProbeError } from "../monitor.js";

type Token = { kind: "word" | "string" | "{" | "}" | ";"; text: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === "#") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      if (end < 0) throw new ProbeError("apt config: unterminated /* comment");
      i = end + 2;
    } else if (c === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0) throw new ProbeError("apt config: unterminated quoted string");
      tokens.push({ kind: "string", text: text.slice(i + 1, end) });
      i = end + 1;
    } else if (c === "{" || c === "}" || c === ";") {
      tokens.push({ kind: c, text: c });
      i++;
    } else {
      let j = i;
      while (j < text.length && !/[\s{};"]/.test(text[j]!)) j++;
      tokens.push({ kind: "word", text: text.slice(i, j) });
      i = j;
    }
  }
  return tokens;
}

/**
 * Returns the options one file sets. Later assignments win, like in apt. Throws ProbeError on
 * text that is not apt configuration (unbalanced braces, a value without a name).
 */
export function parseAptConf(text: string): Map<string, string> {
  const tokens = tokenize(text);
  const out = new Map<string, string>();
  const stack: string[] = [];
  let i = 0;
  while (i < tokens.length) {
    const t = tokens[i]!;
    if (t.kind === "}") {
      if (stack.length === 0) throw new ProbeError("apt config: unbalanced }");
      stack.pop();
      i++;
      if (tokens[i]?.kind === ";") i++;
      continue;
    }
    if (t.kind === ";") {
      i++;
      continue;
    }
    if (t.kind === "string" && tokens[i + 1]?.kind === ";" && stack.length > 0) {
      // A list item such as `Unattended-Upgrade::Origins-Pattern { "origin=Debian"; };`.
      i += 2;
      continue;
    }
    if (t.kind !== "word") throw new ProbeError(`apt config: expected an option name, got ${JSON.stringify(t.text)}`);
    const name = [...stack, t.text].join("::").toLowerCase();
    const next = tokens[i + 1];
    if (next?.kind === "{") {
      stack.push(t.text);
      i += 2;
    } else if (next?.kind === "string" || next?.kind === "word") {
      if (tokens[i + 2]?.kind !== ";") throw new ProbeError(`apt config: missing ; after ${name}`);
      out.set(name, next.text);
      i += 3;
    } else if (next?.kind === ";") {
      out.set(name, "");
      i += 2;
    } else {
      throw new ProbeError(`apt config: unexpected end after ${name}`);
    }
  }
  if (stack.length > 0) throw new ProbeError("apt config: unclosed {");
  return out;
}

const IGNORED = [/~$/, /\.disabled$/, /\.bak$/, /\.dpkg-[a-z]+$/, /\.ucf-[a-z]+$/, /\.save$/, /\.orig$/, /\.distUpgrade$/];

/** Whether apt reads a file of apt.conf.d (apt's own name rules), so the monitor agrees with apt. */
export function aptReadsPart(name: string): boolean {
  return /^[A-Za-z0-9_.-]+$/.test(name) && !IGNORED.some((r) => r.test(name));
}

/** apt's reading of APT::Periodic::Unattended-Upgrade: "0" or empty disables, anything else enables. */
export function unattendedUpgradeEnabled(options: Map<string, string>): boolean {
  const v = options.get("apt::periodic::unattended-upgrade");
  return v !== undefined && v.trim() !== "" && v.trim() !== "0";
}
