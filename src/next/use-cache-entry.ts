/**
 * The layout of a `'use cache'` entry in memcached: a 4-byte big-endian length, that many bytes of
 * JSON metadata (Next's `CacheEntry` without its stream), then the stream's bytes, whole.
 */

declare global {
  /**
   * `UseCacheEntry.value` is a web `ReadableStream`, a global of Node's types and of the DOM's. This
   * empty declaration merges with either, and lets the declarations compile where neither is loaded.
   */
  // biome-ignore lint/suspicious/noExplicitAny: must match the DOM's and Node's declarations exactly.
  interface ReadableStream<R = any> {}
}

/** Next's `CacheEntry` (next/dist/server/lib/cache-handlers/types), declared here: the core imports nothing of Next. */
export interface UseCacheEntry {
  /** The serialized value. A new stream per `get`; consumed once by `set`. */
  value: ReadableStream<Uint8Array>;
  /** The entry's tags, without soft tags. */
  tags: string[];
  /** For the client; seconds. */
  stale: number;
  /** When the entry was created; epoch ms. */
  timestamp: number;
  /** How long the entry may be used at all; seconds. */
  expire: number;
  /** How long until it is revalidated; seconds. `-1`: revalidate on the next read. */
  revalidate: number;
}

/** @internal The metadata of an entry: everything but its stream. */
export type EntryMetadata = Omit<UseCacheEntry, 'value'>;

const LENGTH_BYTES = 4;

/** @internal One buffer holding the metadata and the body. */
export function encodeEntry(metadata: EntryMetadata, body: Uint8Array): Buffer {
  const { tags, stale, timestamp, expire, revalidate } = metadata;
  const json = Buffer.from(JSON.stringify({ tags, stale, timestamp, expire, revalidate }));
  const head = Buffer.alloc(LENGTH_BYTES);
  head.writeUInt32BE(json.length);
  return Buffer.concat([head, json, body]);
}

/**
 * @internal The metadata and body of a stored entry, or `undefined` when the bytes are not an
 * entry this handler wrote (a foreign or corrupt value reads as a miss).
 */
export function decodeEntry(stored: unknown): { metadata: EntryMetadata; body: Uint8Array } | undefined {
  if (!(stored instanceof Uint8Array) || stored.length < LENGTH_BYTES) return undefined;
  const bytes = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
  const length = bytes.readUInt32BE(0);
  if (LENGTH_BYTES + length > bytes.length) return undefined;
  let metadata: unknown;
  try {
    metadata = JSON.parse(bytes.toString('utf8', LENGTH_BYTES, LENGTH_BYTES + length));
  } catch {
    return undefined;
  }
  if (!isMetadata(metadata)) return undefined;
  return { metadata, body: bytes.subarray(LENGTH_BYTES + length) };
}

function isMetadata(value: unknown): value is EntryMetadata {
  if (typeof value !== 'object' || value === null) return false;
  const { tags, stale, timestamp, expire, revalidate } = value as Record<string, unknown>;
  return (
    Array.isArray(tags) &&
    tags.every((tag) => typeof tag === 'string') &&
    [stale, timestamp, expire, revalidate].every((field) => typeof field === 'number')
  );
}

/** @internal All of a stream's bytes; rejects when the stream errors (a partial entry is never kept). */
export async function readWhole(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** @internal A new one-time stream over `bytes`. */
export function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}
