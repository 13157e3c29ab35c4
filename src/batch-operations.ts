import {
  checkKeys,
  computedAtOf,
  type Entries,
  entriesOf,
  rejectingThrows,
  tagsOf,
  writeOptionsOf,
} from './arguments.js';
import type { SetOptions } from './call-options.js';
import { encodeValue } from './codec.js';
import type { Context } from './context.js';
import { decodeFresh, deleteData, dropOlderValue, storeData } from './data-requests.js';
import { CacheError } from './errors.js';
import { planWrite, type WritePlan } from './freshness.js';
import type { Namespace, NamespaceState } from './namespaces.js';
import { countDeletes, countMultiRead } from './observability/counting.js';
import { currentOperation, recordKeyCount } from './observability/trace.js';
import type { Operations } from './operations.js';

/**
 * Calls on many keys of one namespace. Each runs under one generation (one token lookup per call,
 * shared with the other calls written with it), and its requests go out in the same write: memjs has no
 * multi-get, pipelined single requests on one socket are the multi-get.
 */
export class BatchOperations {
  constructor(
    private readonly context: Context,
    private readonly operations: Operations,
  ) {}

  getMulti<T>(namespace: Namespace | NamespaceState, keys: readonly string[]): Promise<Map<string, T>> {
    const { generations, policy, stats, tags } = this.context;
    return rejectingThrows(() => {
      const hashes = this.hashKeys(keys);
      const state = this.operations.stateOf(namespace);
      return generations.call<Map<string, Buffer>, Map<string, T>>(
        state,
        (head, deadline, done) => {
          const reads = new Map<string, { readonly dataKey: string; readonly keyHash: string }>();
          for (const [key, hash] of hashes) reads.set(key, { dataKey: head + hash, keyHash: hash });
          // Tags checked per item; the records of tags not known beforehand are read together afterwards.
          tags.readMany(reads, state.hash, deadline, done);
        },
        (error, found, _head, resolve, reject) => {
          const values = new Map<string, T>();
          // In the order of `keys`, not of the replies.
          for (const key of hashes.keys()) {
            const bytes = found?.get(key);
            const value = decodeFresh(policy, 'getMulti', bytes);
            if (value !== undefined) values.set(key, value as T);
          }
          countMultiRead(stats, values.size, error === undefined ? hashes.size : values.size);
          if (error !== undefined) policy.fail('getMulti', error, values, resolve, reject);
          else resolve(values);
        },
      );
    });
  }

  setMulti(namespace: Namespace | NamespaceState, entries: Entries<unknown>, options?: SetOptions): Promise<boolean> {
    const { transport, keys, generations, policy, settings, stats } = this.context;
    return rejectingThrows(() => {
      const state = this.operations.stateOf(namespace);
      const freshness = writeOptionsOf(options, settings);
      // A plan per key: with ttlJitter, keys written together must not expire together.
      const itemTags = tagsOf(options);
      const computedAt = computedAtOf(options);
      const encoded = new Map<string, { bytes: Buffer; readonly value: unknown; readonly plan: WritePlan }>();
      for (const [key, value] of entriesOf(entries)) {
        const plan = planWrite(freshness);
        encoded.set(keys.keyHash(key), { bytes: encodeValue(value, plan.freshUntil), value, plan });
      }
      recordKeyCount(currentOperation(), encoded.size);
      const store = (head: string, deadline: number, done: (error: CacheError | undefined, stored: number) => void) =>
        forEachRequest(
          encoded,
          (hash, { bytes, plan }, settle) => storeData(transport, head + hash, bytes, plan.expiry, deadline, settle),
          (error, failures) =>
            done(error && summarise(error, failures, encoded.size, 'stored'), encoded.size - failures),
        );
      return generations.call<number, boolean>(
        state,
        (head, deadline, done) => {
          if (itemTags === undefined) return store(head, deadline, done);
          // Tagged: the tags' versions are read once, at write time, for every value (as in set).
          this.context.tags.capture(itemTags, computedAt, deadline, (error, item) => {
            // Unable to tag the new values: the older ones must not stay readable either (I3).
            if (error !== undefined)
              return forEachRequest(
                encoded,
                (hash, _entry, settle) => dropOlderValue(transport, head + hash, error, deadline, settle),
                (dropError, failures) => done(dropError && summarise(dropError, failures, encoded.size, 'stored'), 0),
              );
            if (item === undefined) return done(undefined, 0); // invalidated since computedAt
            for (const entry of encoded.values()) entry.bytes = encodeValue(entry.value, entry.plan.freshUntil, item);
            store(head, deadline, done);
          });
        },
        (error, stored = 0, _head, resolve, reject) => {
          stats.stored += stored;
          stats.notStored += encoded.size - stored;
          if (error !== undefined) policy.fail('setMulti', error, false, resolve, reject);
          else resolve(stored === encoded.size);
        },
      );
    });
  }

  deleteMulti(namespace: Namespace | NamespaceState, keys: readonly string[]): Promise<number> {
    const { transport, generations, policy, stats } = this.context;
    return rejectingThrows(() => {
      const hashes = this.hashKeys(keys);
      return generations.call<number, number>(
        this.operations.stateOf(namespace),
        (head, deadline, done) => {
          let existed = 0;
          forEachRequest(
            hashes,
            (_, hash, settle) =>
              deleteData(transport, head + hash, deadline, (error, found) => {
                if (found === true) existed += 1;
                settle(error);
              }),
            (error, failures) => done(error && summarise(error, failures, hashes.size, 'deleted'), existed),
          );
        },
        (error, existed, _head, resolve, reject) => {
          if (error !== undefined) reject(policy.thrown(error, 'deleteMulti'));
          else resolve(countDeletes(stats, existed ?? 0));
        },
      );
    });
  }

  /** Each distinct key with its hash, in the order of first appearance. */
  private hashKeys(keys: readonly string[]): Map<string, string> {
    const hashes = new Map<string, string>();
    for (const key of checkKeys(keys)) {
      if (!hashes.has(key)) hashes.set(key, this.context.keys.keyHash(key));
    }
    recordKeyCount(currentOperation(), hashes.size);
    return hashes;
  }
}

/**
 * Starts one request per entry and calls `done` once all have settled, with the first error and
 * how many failed. Calls `done` at once for no entries.
 */
function forEachRequest<K, V>(
  entries: ReadonlyMap<K, V>,
  request: (key: K, value: V, settle: (error: CacheError | undefined) => void) => void,
  done: (firstError: CacheError | undefined, failures: number) => void,
): void {
  let remaining = entries.size;
  let firstError: CacheError | undefined;
  let failures = 0;
  if (remaining === 0) {
    done(undefined, 0);
    return;
  }
  const settle = (error: CacheError | undefined): void => {
    if (error !== undefined) {
      firstError ??= error;
      failures += 1;
    }
    remaining -= 1;
    if (remaining === 0) done(firstError, failures);
  };
  for (const [key, value] of entries) request(key, value, settle);
}

/** One error for a batch: how many requests failed, and the first failure's code and cause. */
function summarise(first: CacheError, failures: number, total: number, what: string): CacheError {
  if (total === 1) return first;
  return new CacheError(first.code, `${failures} of ${total} values were not ${what}: ${first.message}`, {
    cause: first.cause ?? first,
  });
}
