/**
 * Pure summary of a backup directory listing: the newest file, how many, how big, and the
 * size of the one before it (a newest backup far smaller than the last usually means a job
 * that died half-way or backed up an empty mount).
 */

export interface DirEntry {
  name: string;
  bytes: number;
  mtimeMs: number;
}

export interface DirSummary {
  count: number;
  totalBytes: number;
  latest: { name: string; bytes: number; time: string } | null;
  previousBytes: number | null;
}

/** Orders by modification time (newest first), ties by name so the result is deterministic. */
export function summarizeDir(entries: readonly DirEntry[]): DirSummary {
  const sorted = [...entries].sort((a, b) => b.mtimeMs - a.mtimeMs || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
  const first = sorted[0];
  return {
    count: sorted.length,
    totalBytes: sorted.reduce((s, e) => s + e.bytes, 0),
    latest: first ? { name: first.name, bytes: first.bytes, time: new Date(first.mtimeMs).toISOString() } : null,
    previousBytes: sorted[1]?.bytes ?? null,
  };
}
