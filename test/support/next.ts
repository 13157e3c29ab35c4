import type { UseCacheEntry } from '../../src/next/index.js';

/**
 * Returns once the wall clock has moved past the current millisecond. Next compares an entry's time
 * with an invalidation's strictly: an invalidation in the entry's own millisecond does not reach it.
 */
export function nextMillisecond(): void {
  const now = Date.now();
  while (Date.now() === now) {
    // Spins for under a millisecond.
  }
}

/** An entry as Next hands it to `set`, computed now. */
export function entryOf(body: string | Uint8Array, fields: Partial<Omit<UseCacheEntry, 'value'>> = {}): UseCacheEntry {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  return {
    value: new ReadableStream({
      start(controller) {
        controller.enqueue(bytes);
        controller.close();
      },
    }),
    tags: [],
    stale: 300,
    timestamp: Date.now(),
    expire: 3600,
    revalidate: 900,
    ...fields,
  };
}

/** The body of an entry `get` returned, as text; `undefined` for a miss. */
export async function text(entry: UseCacheEntry | undefined): Promise<string | undefined> {
  return entry === undefined ? undefined : new Response(entry.value).text();
}
