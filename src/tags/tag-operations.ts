import { checkKey, optionsRecord, rejectingThrows } from '../arguments.js';
import type { CacheEntry, TagState } from '../call-options.js';
import { freshUntilOf } from '../codec.js';
import type { Context } from '../context.js';
import { decodeData } from '../data-requests.js';
import type { CacheError } from '../errors.js';
import { isLockItem } from '../lock-items.js';
import type { Namespace, NamespaceState } from '../namespaces.js';
import { countRead } from '../observability/counting.js';
import { currentOperation, recordKeyCount } from '../observability/trace.js';
import type { Operations } from '../operations.js';
import type { Level } from '../tokens.js';
import { now } from '../transport.js';
import { checkStaleFor, checkTags, NO_TAGS } from './limits.js';
import { previousGeneration, softClear } from './soft-clear.js';
import type { TagCheck } from './tagged-read.js';

/** What a `getEntry` read found: the bytes, their tag check, and when a soft clear made them stale. */
interface Found {
  readonly bytes: Buffer;
  readonly check: TagCheck | undefined;
  /** Epoch ms of the namespace soft clear the bytes are from before; NaN when they are current. */
  readonly clearedAt: number;
}

/**
 * The tag calls (DESIGN §12): `getEntry`, `invalidateTags`, `getTagStates`, and the soft clear of a
 * namespace.
 */
export class TagOperations {
  constructor(
    private readonly context: Context,
    private readonly operations: Operations,
  ) {}

  /**
   * An entry with its freshness: fresh, or stale (past its ttl, or invalidated by a soft clear still
   * inside its `staleFor`); `undefined` on a miss and for anything hard-invalidated or expired.
   */
  getEntry<T>(
    namespace: Namespace | NamespaceState,
    key: string,
    options?: unknown,
  ): Promise<CacheEntry<T> | undefined> {
    const { keys, generations, policy, stats, tags, transport } = this.context;
    return rejectingThrows(() => {
      const keyHash = keys.keyHash(checkKey(key));
      const readTime = readTimeTags(options);
      const state = this.operations.stateOf(namespace);
      return generations.call<Found, CacheEntry<T> | undefined>(
        state,
        (head, deadline, done) =>
          tags.read(head + keyHash, state.hash, keyHash, NO_TAGS, readTime, deadline, (error, bytes, check) => {
            if (error !== undefined) return done(error, undefined);
            if (bytes !== undefined && !isLockItem(bytes))
              return done(undefined, { bytes, check, clearedAt: Number.NaN });
            // A miss (or a load under way): the value may still be in the generation before a soft clear.
            const tokens = state.levels.map((level: Level) => level.token);
            if (tokens.some((token) => token === undefined)) return done(undefined, undefined);
            previousGeneration(transport, state, tokens as string[], deadline, (previous) => {
              if (previous === undefined) return done(undefined, undefined);
              tags.read(previous.head + keyHash, undefined, keyHash, NO_TAGS, readTime, deadline, (_, old, oldCheck) =>
                done(
                  undefined,
                  old === undefined ? undefined : { bytes: old, check: oldCheck, clearedAt: previous.clearedAt },
                ),
              );
            });
          }),
        (error, found, _head, resolve, reject) => {
          const entry = found === undefined ? undefined : this.entryOf<T>(found);
          if (error !== undefined) policy.fail('getEntry', error, undefined, resolve, reject);
          else resolve(countRead(stats, entry));
        },
      );
    });
  }

  private entryOf<T>({ bytes, check, clearedAt }: Found): CacheEntry<T> | undefined {
    if (check?.state === 'expired') return undefined;
    const value = decodeData(this.context.policy, 'getEntry', bytes);
    if (value === undefined) return undefined;
    let staleSince = Number.POSITIVE_INFINITY;
    const freshUntil = freshUntilOf(bytes);
    if (Date.now() >= freshUntil) staleSince = freshUntil;
    if (check?.state === 'stale') staleSince = Math.min(staleSince, check.staleSince);
    if (!Number.isNaN(clearedAt)) staleSince = Math.min(staleSince, clearedAt);
    const item = check?.item;
    const common = {
      value: value as T,
      writtenAt: item?.writtenAt ?? 0,
      tags: item?.tags.map((tag) => tag.name) ?? NO_TAGS,
    };
    return staleSince === Number.POSITIVE_INFINITY
      ? { ...common, state: 'fresh' }
      : { ...common, state: 'stale', staleSince };
  }

  /**
   * Invalidates every item carrying any of `tags`, in every namespace: one write per tag. Rejects
   * with a `CacheError` unless every write was acknowledged.
   */
  invalidateTags(tags: unknown, options?: unknown): Promise<void> {
    const { policy, stats, settings } = this.context;
    return rejectingThrows(() => {
      const names = checkTags(tags);
      const staleForMs = checkStaleFor(options);
      recordKeyCount(currentOperation(), names.length);
      const deadline = now() + settings.timeoutMs;
      return new Promise<void>((resolve, reject) => {
        let remaining = names.length;
        let firstError: CacheError | undefined;
        if (remaining === 0) return resolve();
        for (const name of names) {
          this.context.tags.records.invalidate(name, staleForMs, deadline, (error) => {
            if (error === undefined) stats.tagInvalidations += 1;
            firstError ??= error;
            remaining -= 1;
            if (remaining > 0) return;
            if (firstError !== undefined) reject(policy.thrown(firstError, 'invalidateTags'));
            else resolve();
          });
        }
      });
    });
  }

  /**
   * The state of each tag's record (created, as expired now, where missing). Rejects with a
   * `CacheError` when memcached fails: an empty answer would read as "never invalidated".
   */
  getTagStates(tags: unknown): Promise<Map<string, TagState>> {
    const { policy, settings } = this.context;
    return rejectingThrows(() => {
      const names = checkTags(tags);
      recordKeyCount(currentOperation(), names.length);
      return new Promise((resolve, reject) => {
        this.context.tags.records.read(names, now() + settings.timeoutMs, (error, records) => {
          if (error !== undefined) return reject(policy.thrown(error, 'getTagStates'));
          const states = new Map<string, TagState>();
          for (const name of names) {
            const record = records.get(name);
            if (record !== undefined) states.set(name, { staleAt: record.staleAt, expiredAt: record.expiredAt });
          }
          resolve(states);
        });
      });
    });
  }

  /** `deleteNamespace(ns, { staleFor })` (soft-clear.ts). */
  softClear(state: NamespaceState, staleForMs: number): Promise<void> {
    const { transport, tokens, settings, stats, policy } = this.context;
    const level = state.levels[state.levels.length - 1] as Level;
    return new Promise<void>((resolve, reject) => {
      softClear(transport, tokens, level, staleForMs, now() + settings.timeoutMs, (error) => {
        if (error !== undefined) return reject(policy.thrown(error, 'deleteNamespace'));
        stats.namespaceClears += 1;
        resolve();
      });
    });
  }
}

const GET_ENTRY_OPTIONS: ReadonlySet<string> = new Set(['tags']);

/**
 * The read-time tags of `getEntry`'s options.
 *
 * @throws TypeError or RangeError for options that are not `{ tags }` with valid tags.
 */
function readTimeTags(options: unknown): readonly string[] {
  if (options === undefined) return NO_TAGS;
  const tags = optionsRecord(options, GET_ENTRY_OPTIONS, 'getEntry', "{ tags: ['a'] }").tags;
  return tags === undefined ? NO_TAGS : checkTags(tags);
}
