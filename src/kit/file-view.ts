/**
 * The read-only file-system view a probe gets (ProbeContext), so monitors never import node:fs
 * and every root is configurable: `/` in production, a fixture tree in tests. Paths are the
 * box's own; under another root they are resolved inside it (`..` cannot climb out of it).
 * Errors keep Node's `code` (ENOENT, EACCES…) so a monitor can tell "absent" from "refused".
 */
import type { Stats } from "node:fs";
import { lstat, readdir, readFile, readlink, stat } from "node:fs/promises";
import { join, resolve } from "node:path";

/** What a FileView says about one directory entry. */
export interface FileInfo {
  kind: "file" | "directory" | "symlink" | "other";
  size: number;
  mtime: Date;
}

/**
 * A read-only view of the file system under a root (`/` in production, a fixture tree in
 * tests). Paths are the box's own absolute paths; errors keep Node's `code` (ENOENT, EACCES…).
 */
export interface FileView {
  /** Reads a file as UTF-8. */
  readFile(path: string): Promise<string>;
  /** Reads a file's bytes (compressed logs). */
  readBytes(path: string): Promise<Uint8Array>;
  /** Lists a directory, sorted. */
  readDir(path: string): Promise<string[]>;
  /** Describes the entry a path leads to (symlinks followed). */
  stat(path: string): Promise<FileInfo>;
  /** Describes the entry itself (a symlink stays a symlink). */
  lstat(path: string): Promise<FileInfo>;
  readLink(path: string): Promise<string>;
}

function info(s: Stats): FileInfo {
  const kind = s.isFile() ? "file" : s.isDirectory() ? "directory" : s.isSymbolicLink() ? "symlink" : "other";
  return { kind, size: s.size, mtime: s.mtime };
}

/** A view of the file system under `root` (default `/`, where paths pass through unchanged). */
export function rootedFileView(root = "/"): FileView {
  const base = resolve(root);
  const at = base === "/" ? (p: string) => p : (p: string) => join(base, resolve("/", p));
  return {
    readFile: (p) => readFile(at(p), "utf8"),
    readBytes: async (p) => new Uint8Array(await readFile(at(p))),
    readDir: async (p) => (await readdir(at(p))).sort(),
    stat: async (p) => info(await stat(at(p))),
    lstat: async (p) => info(await lstat(at(p))),
    readLink: (p) => readlink(at(p)),
  };
}
