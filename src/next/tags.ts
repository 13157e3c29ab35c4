import { createHash } from 'node:crypto';
import { CacheError, MAX_TAG_LENGTH, MAX_TAGS } from '../index.js';

/** What a tag over {@link MAX_TAG_LENGTH} becomes: this prefix and the SHA-256 of its UTF-16 code units. */
const LONG_TAG_PREFIX = 'memjs-namespaces/sha256:';

/**
 * @internal Next's tags as the cache takes them: empty ones dropped (`a,,b` in a page's tag
 * header), each once, and one over {@link MAX_TAG_LENGTH} (a long URL's implicit `_N_T_/…` tag:
 * Next does not cap those) replaced by its digest — the same on write, read and invalidation, so
 * that invalidating the long tag still reaches the entries carrying it.
 */
export function cacheTags(tags: readonly string[]): string[] {
  const distinct = new Set<string>();
  for (const tag of tags) {
    if (typeof tag !== 'string' || tag === '') continue;
    // UTF-16 code units, not UTF-8: lossless for tags with lone surrogates.
    const digest = (): string => createHash('sha256').update(Buffer.from(tag, 'utf16le')).digest('hex');
    distinct.add(tag.length > MAX_TAG_LENGTH ? LONG_TAG_PREFIX + digest() : tag);
  }
  return [...distinct];
}

/**
 * @internal The error for an entry or a read with more tags than the cache checks per item or read
 * ({@link MAX_TAGS}; Next collects a page's fetch tags without a cap), or `undefined` when they fit.
 * @param outcome - what the handler did instead, for the message.
 * @param operation - the cache operation the handler would have made.
 */
export function tooManyTags(
  tags: readonly string[],
  outcome: string,
  operation: 'getEntry' | 'set',
): CacheError | undefined {
  if (tags.length <= MAX_TAGS) return undefined;
  const message = `${outcome}: ${tags.length} distinct tags, more than the ${MAX_TAGS} the cache checks`;
  return new CacheError('E_TAG', message, { operation });
}
