/** Reads a `*_file` secret at channel start-up; the error names the file, never its content. */
import { readFileSync } from "node:fs";
import { DeliveryError } from "./channel.js";

/** The file's content without the trailing newline; a DeliveryError if unreadable or empty. */
export function readSecret(path: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new DeliveryError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const value = text.replace(/\r?\n$/, "");
  if (value.length === 0) throw new DeliveryError(`${what} ${path} is empty`);
  return value;
}

/** The URL of a channel: inline `url`, or the content of `url_file`; http(s) only. */
export function resolveUrl(c: { url?: string | undefined; url_file?: string | undefined }, what: string): string {
  if (c.url) return c.url;
  const text = readSecret(c.url_file ?? "", `${what} URL file`).trim();
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new DeliveryError(`${what} URL file ${c.url_file} does not hold a URL`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new DeliveryError(`${what} URL file ${c.url_file} does not hold an http:// or https:// URL`);
  return u.href;
}
