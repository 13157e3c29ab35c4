import { checkKey, checkLoader, getOrSetOptionsOf, rejectingThrows, tagsOf } from '../arguments.js';
import type { GetOrSetOptions } from '../call-options.js';
import type { Context } from '../context.js';
import { decodeData } from '../data-requests.js';
import { CacheError } from '../errors.js';
import { withOperation } from '../failure-policy.js';
import { staleFor } from '../freshness.js';
import { decodeFailure, isFailureMarker } from '../lock-items.js';
import type { Namespace, NamespaceState } from '../namespaces.js';
import { countRead } from '../observability/counting.js';
import { observedLoader } from '../observability/loader.js';
import { currentOperation, forceOutcome, recordError, setOutcome } from '../observability/trace.js';
import type { Operations } from '../operations.js';
import { itemTagsFrom } from '../tags/tagged-read.js';
import { failedElsewhere, loadThroughFleet, refreshIfFree } from './fleet-load.js';
import { lockExpiry } from './fleet-lock.js';
import {
  type AtDataKey,
  HELD,
  type Loaded,
  type LoadJob,
  loadUnlocked,
  MISSING,
  stillCurrent,
  VALUE,
} from './holding.js';
import { type Loader, runLoader } from './loader.js';
import { joinWaitMs } from './locking.js';
import { releaseStub, StubsWon } from './stubs-won.js';
import { readCurrent, type StaleRead } from './tagged-reads.js';

/**
 * `getOrSet`: read through the cache to a loader (DESIGN §4 I2, §8 I4–I6).
 *
 * - The generation is resolved (and pinned) *before* the loader runs, and the loaded value is
 *   written under that same generation: if the namespace is cleared while the loader runs, the
 *   value lands in the dead generation and is never served (I2).
 * - Concurrent callers of one key share one load in this process, and with `lock` one caller in the
 *   whole fleet loads while the others wait for its value (fleet-load.ts, I5). Loads are keyed by
 *   the data key, which holds the generation, so a caller that started after a clear never receives
 *   a value loaded before it.
 * - A stale value is one past its fresh ttl in the generation read at the call's start — never one
 *   from before a clear (I4): inside the reader's `staleWhileRevalidate` it is returned at once and
 *   refreshed in the background (once in the fleet); inside `staleIfError` it answers a failed load.
 * - Cache trouble never keeps the loaded value from the caller: it goes to `onError`.
 */
export class ReadThrough {
  private readonly flights = new Map<string, Promise<Loaded>>();
  /** Loads shared while memcached is unreachable (nothing pinned, nothing cached): by namespace and key. */
  private readonly uncached = new Map<string, Promise<unknown>>();
  private readonly refreshing = new Set<string>();

  constructor(
    private readonly context: Context,
    private readonly operations: Operations,
  ) {}

  getOrSet<R>(
    namespace: Namespace | NamespaceState,
    key: string,
    loader: Loader<R>,
    options?: GetOrSetOptions,
  ): Promise<Awaited<R>> {
    const { keys, generations, policy, settings, stats } = this.context;
    return rejectingThrows(() => {
      const state = this.operations.stateOf(namespace);
      const keyHash = keys.keyHash(checkKey(key));
      // Counted in stats.loads (and marked 'loaded' on the trace) each time it really runs.
      const load = observedLoader(stats, checkLoader(loader));
      const { freshness, locking } = getOrSetOptionsOf(options, settings);
      const declared = tagsOf(options);
      // Before the read, so before the loader: what the item is computed from is no newer (T1).
      const capturedAt = Date.now();
      const trace = currentOperation();
      // Over meta the read takes the key's fleet lock if it misses (`mg … N`): the stubs it won.
      const stubs =
        locking.enabled && this.context.transport.stubs
          ? new StubsWon(this.context, lockExpiry(locking.ttl))
          : undefined;
      return generations.call<StaleRead, Awaited<R>>(
        state,
        (head, deadline, done) =>
          readCurrent(this.context, state, head, keyHash, declared, deadline, done, stubs?.readFor(head + keyHash)),
        (error, read, head, resolve, reject) => {
          // Only a stub won in the generation loaded in is kept (redone reads, errors: released).
          const wonCas = stubs?.keep(error === undefined ? head + keyHash : undefined);
          const settle = resolve as (value: unknown) => void;
          // Each caller says how its value came: its own load, another's (in this process or the fleet).
          const settleLoaded = ({ value, waited }: Loaded): void => {
            setOutcome(trace, waited ? 'waited' : 'loaded');
            settle(value);
          };
          // Forced: a stale-if-error answer follows a load that may already have marked the call 'loaded'.
          const serveStale = (value: unknown): void => {
            stats.staleServed += 1;
            forceOutcome(trace, 'stale');
            settle(value);
          };
          if (error !== undefined) {
            // No generation to pin: load without caching or locking (memcached is down), shared by
            // this process's callers of the key all the same — no stampede when the cache is gone.
            policy.report(withOperation(error, 'getOrSet'));
            this.loadUncached(`${state.hash}:${keyHash}`, load).then(settle, reject);
            return;
          }
          const tags =
            declared === undefined ? undefined : itemTagsFrom(declared, read?.records ?? new Map(), capturedAt);
          const at = atDataKey(read, wonCas);
          const job: LoadJob = { state, head, dataKey: head + keyHash, load, freshness, locking, tags, trace, at };
          const bytes = read?.bytes;
          // A load of the key just failed in another caller: a marker in place of its lock (DESIGN §6).
          const marker = locking.enabled && read?.lockItem !== undefined && isFailureMarker(read.lockItem);
          if (read?.cleared === true) {
            // Invalidated by a soft clear still inside its window: served, and refreshed once in the
            // fleet (unless that load just failed).
            const cached = decodeData(policy, 'getOrSet', bytes as Buffer);
            if (cached !== undefined) {
              stats.staleAfterClear += 1;
              stats.staleServed += 1;
              forceOutcome(trace, 'stale-after-clear');
              settle(cached);
              if (!marker) this.refresh(job);
              return;
            }
          }
          if (marker) {
            // Fail at once rather than load in turn.
            reject(failedElsewhere(this.context, job, decodeFailure(read.lockItem as Buffer)));
            return;
          }
          const cached =
            bytes === undefined || read?.cleared === true ? undefined : decodeData(policy, 'getOrSet', bytes);
          const stale = cached === undefined ? Number.NaN : staleFor(bytes as Buffer);
          if (stale < 0) {
            settle(countRead(stats, cached));
          } else if (stale < freshness.staleWhileRevalidateMs) {
            serveStale(cached);
            this.refresh(job);
          } else if (stale < freshness.staleIfErrorMs) {
            stats.misses += 1;
            this.flight(job).then(settleLoaded, (loaderError: unknown) =>
              // The stale value stands only if no clear has happened since it was read (I4).
              stillCurrent(this.context, job).then((current) => {
                if (!current) {
                  reject(loaderError);
                  return;
                }
                const report = loaderFailed(loaderError, 'a stale value was served instead (staleIfError)');
                policy.report(report);
                recordError(trace, report);
                serveStale(cached);
              }),
            );
          } else {
            stats.misses += 1;
            this.flight(job).then(settleLoaded, reject);
          }
        },
      );
    });
  }

  /** The load of a missing key, shared by this process's callers (the first caller's options apply). */
  private flight(job: LoadJob): Promise<Loaded> {
    const key = flightKey(job);
    const running = this.flights.get(key);
    if (running !== undefined) {
      // This caller's read took the stub that the running load waits for: its next poll takes it.
      if (job.at.kind === 'won') releaseStub(this.context, job.dataKey, job.at.cas);
      return this.join(running, job);
    }
    return shared(this.flights, key, loadThroughFleet(this.context, job));
  }

  /**
   * Waits for a load this process started for the key, for {@link joinWaitMs} at most: the time
   * that load may itself wait for another process's lock, then hold its own. A loader that never
   * settles must not hang every later caller (I5).
   */
  private join(running: Promise<Loaded>, job: LoadJob): Promise<Loaded> {
    return new Promise<Loaded>((resolve, reject) => {
      let gaveUp = false;
      const timer = setTimeout(() => {
        gaveUp = true;
        loadUnlocked(this.context, job).then(resolve, reject);
      }, joinWaitMs(job.locking));
      // Like the lock's renewal: a loader that never settles must not keep the process alive.
      timer.unref();
      running.then(
        (loaded) => {
          clearTimeout(timer);
          if (!gaveUp) resolve(loaded);
        },
        (error: unknown) => {
          clearTimeout(timer);
          if (!gaveUp) reject(error);
        },
      );
    });
  }

  /**
   * Refreshes a stale value in the background: only if nothing in this process is loading the key
   * already, and only by the caller in the fleet that holds or takes its lock — the others keep
   * serving the stale value meanwhile. Failures go to `onError`.
   */
  private refresh(job: LoadJob): void {
    const { policy, lifecycle } = this.context;
    if (lifecycle.closed || this.refreshing.has(job.dataKey) || this.flights.has(flightKey(job))) {
      if (job.at.kind === 'won') releaseStub(this.context, job.dataKey, job.at.cas);
      return;
    }
    this.refreshing.add(job.dataKey);
    refreshIfFree(this.context, job)
      .catch((error: unknown) => policy.report(loaderFailed(error, 'in a background refresh (staleWhileRevalidate)')))
      .finally(() => this.refreshing.delete(job.dataKey));
  }

  /** Loads when no generation could be pinned: nothing is cached, and close() still aborts it. */
  private loadUncached(key: string, load: Loader<unknown>): Promise<unknown> {
    const running = this.uncached.get(key);
    if (running !== undefined) return running;
    const controller = new AbortController();
    const untrack = this.context.lifecycle.track(controller);
    const loading = shared(this.uncached, key, runLoader(load, controller.signal));
    loading.then(untrack, untrack);
    return loading;
  }
}

/**
 * What a load is shared by in this process. Tagged: only callers that read the same tag versions
 * share a load — one that started after an invalidation must not receive a value computed before it (T1).
 */
function flightKey(job: LoadJob): string {
  return job.tags === undefined ? job.dataKey : `${job.dataKey}|${job.tags.tags.map((tag) => tag.version).join()}`;
}

/** Where the key's fleet lock is, by what its read found (holding.ts). */
function atDataKey(read: StaleRead | undefined, wonCas: bigint | undefined): AtDataKey {
  if (wonCas !== undefined) return { kind: 'won', cas: wonCas };
  if (read?.lockItem !== undefined) return HELD;
  return read?.occupied === true ? VALUE : MISSING;
}

/** Keeps `loading` under `key` in `loads` until it settles, so that later callers can share it. */
function shared<T>(loads: Map<string, Promise<T>>, key: string, loading: Promise<T>): Promise<T> {
  loads.set(key, loading);
  const land = (): void => {
    loads.delete(key);
  };
  loading.then(land, land);
  return loading;
}

/** A loader error nobody receives as a rejection, for `onError`. */
function loaderFailed(error: unknown, what: string): CacheError {
  const message = error instanceof Error ? error.message : String(error);
  return new CacheError('E_LOADER', `the getOrSet loader failed ${what}: ${message}`, {
    cause: error,
    operation: 'getOrSet',
  });
}
