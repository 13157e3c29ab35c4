import { tracingChannel } from 'node:diagnostics_channel';
import type { CacheErrorCode, CacheOperation } from '../errors.js';

/** The name of the tracing channel every public operation of every cache is published on. */
export const OPERATION_CHANNEL = 'memjs-namespaces:operation';

/**
 * How an operation ended, as its channel context says at `asyncEnd`:
 *
 * - `'hit'` / `'miss'`: `get` found the key or not; `getMulti` found every key or none;
 *   `getOrSet` answered from the cache.
 * - `'partial'`: `getMulti` found some of its keys ({@link OperationContext.hits} says how many).
 * - `'stored'`: `set` / `setMulti` stored every value.
 * - `'deleted'` / `'not-found'`: `delete` / `deleteMulti` deleted a key, or found none to delete.
 * - `'cleared'`: `deleteNamespace` was acknowledged.
 * - `'loaded'`: `getOrSet` called its loader.
 * - `'stale'`: `getOrSet` answered with a value past its fresh time; `getEntry` found a stale entry.
 * - `'stale-after-clear'`: `getOrSet` answered with a value a soft clear (`staleFor`) invalidated,
 *   while one refresh runs in the fleet.
 * - `'invalidated'`: `invalidateTags` was acknowledged for every tag.
 * - `'waited'`: `getOrSet` waited for another process's load (fleet lock) and answered with its value.
 * - `'error'`: the call failed, whether it rejected or failed open; see
 *   {@link OperationContext.errorCode} and {@link OperationContext.error}.
 */
export type OperationOutcome =
  | 'hit'
  | 'miss'
  | 'partial'
  | 'stored'
  | 'deleted'
  | 'not-found'
  | 'cleared'
  | 'loaded'
  | 'stale'
  | 'stale-after-clear'
  | 'invalidated'
  | 'waited'
  | 'error';

/** The memcached a cache talks to, as far as it is known when the cache is made. */
export interface CacheDescription {
  /** The cache's `prefix`. */
  readonly prefix: string;
  /** Its memcached servers, as configured: in the order of `servers`, or of a `client`'s servers. */
  readonly servers: readonly { readonly host: string; readonly port: number }[];
  /**
   * The wire protocol its connections speak, read when asked. With `protocol` given, a `client` or
   * SASL credentials: that protocol (`'binary'` for the last two). Detected (the default): what the
   * first server's connection speaks now — `'binary'` while it fell back to binary, else `'meta'`
   * (also before it connects and between connections); another server's connection may differ.
   */
  readonly protocol: 'meta' | 'text' | 'binary';
  /** Whether its connections are encrypted. */
  readonly tls: boolean;
}

/**
 * The context object of one operation on the `memjs-namespaces:operation` tracing channel. The same
 * object goes through `start`, `end`, `asyncStart` and `asyncEnd` (and `error` when the call
 * rejects); the fields after `cache` are filled in by the time `asyncEnd` is published.
 *
 * It carries the key as given (single-key calls): keys are often personal data, so a subscriber that
 * ships contexts elsewhere should leave it out unless told otherwise.
 */
export interface OperationContext {
  /** The public operation (`handle.clear()` is `'deleteNamespace'`). */
  readonly operation: CacheOperation;
  /** The namespace path (a string namespace is a one-level path). */
  readonly namespace: readonly string[];
  /** The key, for `get`, `set`, `delete` and `getOrSet`. */
  readonly key?: string;
  /** How many distinct keys a `getMulti`, `setMulti` or `deleteMulti` names, when the arguments tell. */
  readonly keyCount?: number;
  /** The cache that runs the operation. */
  readonly cache: CacheDescription;
  /** How the call ended. */
  outcome?: OperationOutcome;
  /** The `code` of the `CacheError` the call failed with, whether it rejected or failed open. */
  errorCode?: CacheErrorCode;
  /** `getMulti`: how many keys were found. */
  hits?: number;
  /**
   * `getOrSet`, when its load failed (DESIGN §6): `'left'` — this call held the fleet lock and left a
   * failure marker for the waiters; `'seen'` — it found another caller's marker and did not load.
   */
  failureMarker?: 'left' | 'seen';
  /** What the call resolved with (set by the tracing channel). */
  result?: unknown;
  /** What the call rejected with (set by the tracing channel). */
  error?: unknown;
}

/**
 * The channel itself. Every publication is guarded by `hasSubscribers`, so with no subscriber no
 * context is built and nothing is published (lru-cache's approach): the hot path pays one check.
 * @internal Users get it from public-channel.ts, typed without Node's types.
 */
export const operationChannel = tracingChannel<unknown, OperationContext>(OPERATION_CHANNEL);
