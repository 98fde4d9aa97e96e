/**
 * A fixed-window request counter per key (peer address), in memory: enough to stop a runaway or
 * hostile client from filling the database through the osquery endpoints. Bounded: at most
 * `maxKeys` keys are tracked; when full, the oldest windows are dropped first.
 */
export class WindowLimiter {
  private readonly hits = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly maxKeys = 10_000,
  ) {}

  /** Counts one request for `key`; false when the key is over its limit in the current window. */
  allow(key: string, now: number): boolean {
    let w = this.hits.get(key);
    if (!w || now - w.start >= this.windowMs) {
      this.hits.delete(key);
      if (this.hits.size >= this.maxKeys) {
        for (const [k, v] of this.hits) if (now - v.start >= this.windowMs || this.hits.size >= this.maxKeys) this.hits.delete(k);
      }
      w = { start: now, count: 0 };
      this.hits.set(key, w);
    }
    w.count++;
    return w.count <= this.limit;
  }
}
