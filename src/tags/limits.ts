import { optionsRecord } from '../arguments.js';
import { describe } from '../describe.js';
import { RELATIVE_EXPIRY_LIMIT } from '../expiry.js';

/** @internal No tags: the one empty list every caller shares. */
export const NO_TAGS: readonly string[] = [];

/** The most tags one item may carry, and one read may check: Next.js allows 128 per entry. */
export const MAX_TAGS = 128;
/** The longest tag, in UTF-16 code units (Next.js caps its tags at 256; paths may be longer). */
export const MAX_TAG_LENGTH = 1024;

/**
 * @internal The distinct tags of `tags`, in order of first appearance, each read once.
 *
 * @throws TypeError when `tags` is not an array of non-empty strings; RangeError when it holds more
 *   than {@link MAX_TAGS} distinct tags or a tag longer than {@link MAX_TAG_LENGTH}.
 */
export function checkTags(tags: unknown, name = 'tags'): readonly string[] {
  if (!Array.isArray(tags)) {
    throw new TypeError(`Expected \`${name}\` to be an array of non-empty strings, got ${describe(tags)}`);
  }
  const length = tags.length;
  const distinct = new Set<string>();
  for (let index = 0; index < length; index += 1) {
    const tag: unknown = tags[index];
    if (typeof tag !== 'string' || tag.length === 0) {
      throw new TypeError(`Expected every tag to be a non-empty string, got ${describe(tag)} at index ${index}`);
    }
    if (tag.length > MAX_TAG_LENGTH) {
      throw new RangeError(
        `Expected every tag to be at most ${MAX_TAG_LENGTH} characters long, got ${tag.length} at index ${index}`,
      );
    }
    distinct.add(tag);
  }
  if (distinct.size > MAX_TAGS) {
    throw new RangeError(`Expected at most ${MAX_TAGS} distinct tags, got ${distinct.size}`);
  }
  return [...distinct];
}

const INVALIDATE_OPTIONS: ReadonlySet<string> = new Set(['staleFor']);

/**
 * @internal A soft-invalidation window (`staleFor`), in ms; 0 for a hard invalidation.
 *
 * @throws TypeError or RangeError when it is not a finite number of seconds >= 0 (at most 30 days).
 */
export function checkStaleFor(options: unknown): number {
  if (options === undefined) return 0;
  const staleFor = optionsRecord(options, INVALIDATE_OPTIONS, 'an invalidation', '{ staleFor: 60 }').staleFor;
  if (staleFor === undefined) return 0;
  if (typeof staleFor !== 'number' || !Number.isFinite(staleFor) || staleFor < 0 || staleFor > RELATIVE_EXPIRY_LIMIT) {
    throw new (typeof staleFor === 'number' ? RangeError : TypeError)(
      `Expected \`staleFor\` to be a number of seconds >= 0 and at most ${RELATIVE_EXPIRY_LIMIT} (30 days), got ${describe(staleFor)}`,
    );
  }
  return staleFor * 1000;
}
