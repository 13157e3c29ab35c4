import { checkKey, checkLoader, rejectingThrows, ttlOf } from './arguments.js';
import { encodeValue } from './codec.js';
import { decodeData, readData, storeData } from './data-requests.js';
import { toExpiry } from './expiry.js';
import { withOperation } from './failure-policy.js';
import type { Namespace, NamespaceState } from './namespaces.js';
import type { Context, Operations } from './operations.js';
import type { SetOptions } from './options.js';
import { now } from './transport.js';

/**
 * `getOrSet`: read through the cache to a loader.
 *
 * - The generation is resolved (and pinned) *before* the loader runs, and the loaded value is
 *   written under that same generation: if the namespace is cleared while the loader runs, the
 *   value lands in the dead generation and is never served (invariant I2).
 * - Concurrent callers of one key share one loader call (single-flight). Flights are keyed by the
 *   data key, which holds the generation, so a caller that started after a rotation never receives
 *   a value loaded before it.
 * - Cache trouble never keeps the loaded value from the caller: it goes to `onError`.
 */
export class ReadThrough {
  private readonly flights = new Map<string, Promise<unknown>>();

  constructor(
    private readonly context: Context,
    private readonly operations: Operations,
  ) {}

  getOrSet<R>(
    namespace: Namespace | NamespaceState,
    key: string,
    loader: () => R,
    options?: SetOptions,
  ): Promise<Awaited<R>> {
    const { transport, keys, generations, policy, settings } = this.context;
    return rejectingThrows(() => {
      const state = this.operations.stateOf(namespace);
      const keyHash = keys.keyHash(checkKey(key));
      const load = checkLoader<R>(loader);
      const expiry = toExpiry(ttlOf(options, settings.ttl));
      return generations.call<Buffer, Awaited<R>>(
        state,
        (head, deadline, done) => readData(transport, head + keyHash, deadline, done),
        (error, bytes, head, resolve, reject) => {
          if (error !== undefined) {
            // No generation to pin: load without caching (and without sharing the load).
            policy.report(withOperation(error, 'getOrSet'));
            runLoader(load).then(checkStorable).then(resolve, reject);
            return;
          }
          const cached = bytes === undefined ? undefined : decodeData(policy, 'getOrSet', bytes);
          if (cached !== undefined) resolve(cached as Awaited<R>);
          else this.flight(head + keyHash, load, expiry).then(resolve as (value: unknown) => void, reject);
        },
      );
    });
  }

  private flight<R>(dataKey: string, load: () => R, expiry: number): Promise<unknown> {
    const running = this.flights.get(dataKey);
    if (running !== undefined) return running;
    const flight = runLoader(load).then((value) => this.store(dataKey, value, expiry));
    this.flights.set(dataKey, flight);
    const land = (): void => {
      this.flights.delete(dataKey);
    };
    flight.then(land, land);
    return flight;
  }

  /** Writes the loaded value under the pinned generation, then hands it back whatever happened. */
  private store<T>(dataKey: string, value: T, expiry: number): Promise<T> {
    // A loader may find nothing: `undefined` is returned, and nothing is cached.
    if (value === undefined) return Promise.resolve(value);
    const bytes = encodeValue(value);
    const { transport, policy, settings, lifecycle } = this.context;
    if (lifecycle.closed) {
      // close() waits for requests, not loaders: what finishes after it is returned, not written.
      policy.report(lifecycle.closedError('getOrSet'));
      return Promise.resolve(value);
    }
    return new Promise<T>((resolve) => {
      storeData(transport, dataKey, bytes, expiry, now() + settings.timeoutMs, (error) => {
        if (error !== undefined) policy.report(withOperation(error, 'getOrSet'));
        resolve(value);
      });
    });
  }
}

/** A loaded value is checked the same way whether or not it can be cached. */
function checkStorable<T>(value: T): T {
  if (value !== undefined) encodeValue(value);
  return value;
}

/** Calls the loader, turning a synchronous throw into a rejection. */
function runLoader<R>(load: () => R): Promise<Awaited<R>> {
  return new Promise<Awaited<R>>((resolve) => resolve(load() as Awaited<R> | PromiseLike<Awaited<R>>));
}
