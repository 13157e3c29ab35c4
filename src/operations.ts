import { checkKey, computedAtOf, rejectingThrows, tagsOf, writeOptionsOf } from './arguments.js';
import { BatchOperations } from './batch-operations.js';
import type { InvalidateOptions, SetOptions } from './call-options.js';
import { encodeValue } from './codec.js';
import type { Context } from './context.js';
import { decodeFresh, deleteData, dropOlderValue, storeData } from './data-requests.js';
import { planWrite } from './freshness.js';
import { type Namespace, NamespaceState } from './namespaces.js';
import { countDeleted, countRead } from './observability/counting.js';
import { currentOperation, recordNamespace } from './observability/trace.js';
import { ReadThrough } from './read-through/read-through.js';
import { checkStaleFor, NO_TAGS } from './tags/limits.js';
import { TagOperations } from './tags/tag-operations.js';
import type { Level } from './tokens.js';
import { now } from './transport.js';

/**
 * The cache's operations on single keys and whole namespaces, taking a namespace as users give it
 * or as a namespace handle holds it. Arguments are checked before anything is sent: bad ones
 * reject with a TypeError or RangeError.
 */
export class Operations {
  /** getMulti, setMulti, deleteMulti. */
  readonly batch: BatchOperations;
  /** getOrSet. */
  readonly readThrough: ReadThrough;
  /** getEntry, invalidateTags, getTagStates. */
  readonly tags: TagOperations;

  constructor(private readonly context: Context) {
    this.batch = new BatchOperations(context, this);
    this.readThrough = new ReadThrough(context, this);
    this.tags = new TagOperations(context, this);
  }

  /** The derived state of a namespace. @throws TypeError for an invalid namespace. */
  stateOf(namespace: Namespace | NamespaceState): NamespaceState {
    const state = namespace instanceof NamespaceState ? namespace : this.context.namespaces.of(namespace);
    // The trace shows the path as checked (a frozen copy), read once.
    recordNamespace(currentOperation(), state.path);
    return state;
  }

  get<T>(namespace: Namespace | NamespaceState, key: string): Promise<T | undefined> {
    const { keys, generations, policy, stats, tags } = this.context;
    return rejectingThrows(() => {
      const keyHash = keys.keyHash(checkKey(key));
      const state = this.stateOf(namespace);
      return generations.call<Buffer, T | undefined>(
        state,
        // A value its tags invalidated, even softly, is a miss for get (DESIGN §12, I4 amended).
        (head, deadline, done) =>
          tags.read(head + keyHash, state.hash, keyHash, NO_TAGS, NO_TAGS, deadline, (error, bytes, check) =>
            done(error, check === undefined || check.state === 'fresh' ? bytes : undefined),
          ),
        (error, bytes, _head, resolve, reject) => {
          if (error !== undefined) policy.fail('get', error, undefined, resolve, reject);
          else resolve(countRead(stats, decodeFresh(policy, 'get', bytes) as T | undefined));
        },
      );
    });
  }

  set(namespace: Namespace | NamespaceState, key: string, value: unknown, options?: SetOptions): Promise<boolean> {
    const { transport, keys, generations, policy, settings, stats } = this.context;
    return rejectingThrows(() => {
      const state = this.stateOf(namespace);
      const keyHash = keys.keyHash(checkKey(key));
      const { expiry, freshUntil } = planWrite(writeOptionsOf(options, settings));
      const itemTags = tagsOf(options);
      const computedAt = computedAtOf(options);
      let bytes = encodeValue(value, freshUntil); // checks the value before anything is sent
      return generations.call<boolean, boolean>(
        state,
        (head, deadline, done) => {
          if (itemTags === undefined) return storeData(transport, head + keyHash, bytes, expiry, deadline, done);
          // Tagged: the tags' versions are read at write time, as the namespace's token is.
          this.context.tags.capture(itemTags, computedAt, deadline, (error, item) => {
            // Unable to tag the new value: the older one must not stay readable either (I3).
            if (error !== undefined) return dropOlderValue(transport, head + keyHash, error, deadline, done);
            // Invalidated since computedAt: not stored; what is there is older (invalid) or newer (valid).
            if (item === undefined) return done(undefined, false);
            bytes = encodeValue(value, freshUntil, item);
            storeData(transport, head + keyHash, bytes, expiry, deadline, done);
          });
        },
        (error, stored, _head, resolve, reject) => {
          if (error === undefined && stored === true) stats.stored += 1;
          else stats.notStored += 1;
          if (error !== undefined) policy.fail('set', error, false, resolve, reject);
          else resolve(stored === true);
        },
      );
    });
  }

  delete(namespace: Namespace | NamespaceState, key: string): Promise<boolean> {
    const { transport, keys, generations, policy, stats } = this.context;
    return rejectingThrows(() => {
      const keyHash = keys.keyHash(checkKey(key));
      return generations.call<boolean, boolean>(
        this.stateOf(namespace),
        (head, deadline, done) => deleteData(transport, head + keyHash, deadline, done),
        (error, existed, _head, resolve, reject) => {
          if (error !== undefined) reject(policy.thrown(error, 'delete'));
          else resolve(countDeleted(stats, existed === true));
        },
      );
    });
  }

  deleteNamespace(namespace: Namespace | NamespaceState, options?: InvalidateOptions): Promise<void> {
    return rejectingThrows(() => {
      const state = this.stateOf(namespace);
      const staleForMs = checkStaleFor(options);
      if (staleForMs > 0) return this.tags.softClear(state, staleForMs);
      const level = state.levels[state.levels.length - 1] as Level;
      return new Promise<void>((resolve, reject) => {
        this.context.tokens.rotate(level, now() + this.context.settings.timeoutMs, (error) => {
          if (error === undefined) this.context.stats.namespaceClears += 1;
          if (error !== undefined) reject(this.context.policy.thrown(error, 'deleteNamespace'));
          else resolve();
        });
      });
    });
  }
}
