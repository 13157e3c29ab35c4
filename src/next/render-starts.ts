/** How many keys' render starts are kept: a start that no `set` takes is dropped with the rest. */
const MAX_KEYS = 10_000;

/**
 * @internal When this process last saw Next about to render each key of the incremental cache: the
 * time of the `get` that missed, found a stale entry or one past its revalidate time. Next gives
 * the incremental `set` no render start (unlike `'use cache'`'s `timestamp`); the `get` before the
 * render is the closest the handler sees. The earliest such `get` since the key's last `set` counts.
 */
export class RenderStarts {
  private readonly starts = new Map<string, number>();

  /** A `get` at `time` after which Next renders `cacheKey`. */
  saw(cacheKey: string, time: number): void {
    if (this.starts.has(cacheKey)) return;
    if (this.starts.size >= MAX_KEYS) this.starts.clear();
    this.starts.set(cacheKey, time);
  }

  /** The render start of `cacheKey`'s `set`, if a `get` saw one; forgotten once taken. */
  take(cacheKey: string): number | undefined {
    const time = this.starts.get(cacheKey);
    if (time !== undefined) this.starts.delete(cacheKey);
    return time;
  }
}
