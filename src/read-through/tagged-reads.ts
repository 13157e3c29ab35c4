import type { Context } from '../context.js';
import type { LockingRead } from '../data-requests.js';
import type { CacheError } from '../errors.js';
import { staleFor } from '../freshness.js';
import { isLockItem } from '../lock-items.js';
import type { NamespaceState } from '../namespaces.js';
import { NO_TAGS } from '../tags/limits.js';
import { previousGeneration } from '../tags/soft-clear.js';
import type { TagRecord } from '../tags/tag-record.js';

/** What `getOrSet` read: the bytes, whether a soft clear (of a tag or the namespace) invalidated them, and the tag records read. */
export interface StaleRead {
  /** A value's bytes (never a lock item), or `undefined`. */
  readonly bytes: Buffer | undefined;
  /** The bytes are from before a soft clear still inside its `staleFor`: servable only as stale (I4 amended). */
  readonly cleared: boolean;
  readonly records: ReadonlyMap<string, TagRecord>;
  /** What the fleet lock left at the data key instead of a value: an empty item (a load under way) or a failure marker. */
  readonly lockItem: Buffer | undefined;
  /** The data key holds a value (servable or not): a load must not lock at the data key itself. */
  readonly occupied: boolean;
}

/**
 * `getOrSet`'s read (DESIGN §12): the data key with its tags checked — declared tags in the same
 * write — and, when that misses or its tags hard-invalidated it, the same key in the generation
 * before a soft clear of the namespace, if one is still open (one more round trip, on misses only).
 * With `locking`, the data read takes the key's fleet lock if it misses (meta).
 */
export function readCurrent(
  context: Context,
  state: NamespaceState,
  head: string,
  keyHash: string,
  declared: readonly string[] | undefined,
  deadline: number,
  done: (error: CacheError | undefined, read: StaleRead | undefined) => void,
  locking?: LockingRead,
): void {
  context.tags.read(
    head + keyHash,
    state.hash,
    keyHash,
    declared ?? NO_TAGS,
    NO_TAGS,
    deadline,
    (error, bytes, check, records) => {
      if (error !== undefined) return done(error, undefined);
      const lockItem = bytes !== undefined && isLockItem(bytes) ? bytes : undefined;
      const value = lockItem === undefined ? bytes : undefined;
      if (value !== undefined && check?.state !== 'expired') {
        return done(undefined, { bytes: value, cleared: check?.state === 'stale', records, lockItem, occupied: true });
      }
      const occupied = value !== undefined;
      readPrevious(context, state, keyHash, deadline, (old) =>
        done(undefined, { bytes: old, cleared: old !== undefined, records, lockItem, occupied }),
      );
    },
    locking,
  );
}

/**
 * The key's bytes in the generation before an open soft clear of the namespace, if they are there,
 * within their own fresh time, and not expired by their tags; `undefined` otherwise (and on errors:
 * a stale answer is only ever a bonus).
 */
function readPrevious(
  context: Context,
  state: NamespaceState,
  keyHash: string,
  deadline: number,
  done: (bytes: Buffer | undefined) => void,
): void {
  const tokens: string[] = [];
  for (const level of state.levels) {
    if (level.token === undefined) {
      done(undefined);
      return;
    }
    tokens.push(level.token);
  }
  previousGeneration(context.transport, state, tokens, deadline, (previous) => {
    if (previous === undefined) return done(undefined);
    context.tags.read(
      previous.head + keyHash,
      undefined,
      keyHash,
      NO_TAGS,
      NO_TAGS,
      deadline,
      (error, bytes, check) => {
        const usable = error === undefined && bytes !== undefined && check?.state !== 'expired' && staleFor(bytes) < 0;
        done(usable ? bytes : undefined);
      },
    );
  });
}
