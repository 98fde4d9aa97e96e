/**
 * Config errors name the key path (and, once the loader maps it, the line):
 * `monitors.firewall.backend (line 12): expected one of auto, nftables, …`.
 */
export type KeyPath = ReadonlyArray<string | number>;

export interface ConfigIssue {
  path: KeyPath;
  message: string;
  line?: number;
}

export function formatKeyPath(path: KeyPath): string {
  return path.reduce<string>((acc, k) => (typeof k === "number" ? `${acc}[${k}]` : acc ? `${acc}.${k}` : k), "") || "(root)";
}

export function formatIssue(i: ConfigIssue): string {
  return `${formatKeyPath(i.path)}${i.line ? ` (line ${i.line})` : ""}: ${i.message}`;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly issues: ConfigIssue[]) {
    super(issues.map(formatIssue).join("\n"));
  }

  /** The same issues with `prefix` prepended to every path (a monitor's key under `monitors`). */
  under(prefix: KeyPath): ConfigError {
    return new ConfigError(this.issues.map((i) => ({ ...i, path: [...prefix, ...i.path] })));
  }

  withLines(lineOf: (path: KeyPath) => number | undefined): ConfigError {
    return new ConfigError(this.issues.map((i) => ({ ...i, line: i.line ?? lineOf(i.path) })));
  }
}
