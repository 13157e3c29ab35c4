import { setTimeout as sleep } from 'node:timers/promises';
import { encodeValue } from '../codec.js';
import type { Context } from '../context.js';
import { storeData } from '../data-requests.js';
import { CacheError } from '../errors.js';
import { withOperation } from '../failure-policy.js';
import { type Freshness, planWrite } from '../freshness.js';
import type { NamespaceState } from '../namespaces.js';
import type { OperationContext } from '../observability/channel.js';
import { recordFailureMarker } from '../observability/trace.js';
import type { ItemTags } from '../tags/item-tags.js';
import { NO_TAGS } from '../tags/limits.js';
import { now } from '../transport.js';
import { FleetLock, type LoadFailure } from './fleet-lock.js';
import { poll, readFresh } from './fleet-reads.js';
import { type Loader, runLoader } from './loader.js';
import { keepLock } from './lock-keeping.js';
import type { Locking } from './locking.js';

/** One key to load through the fleet: where, with what, and under which options. */
export interface LoadJob {
  readonly state: NamespaceState;
  /** The data-key head of the generation pinned before loading (I2). */
  readonly head: string;
  /** The data key, in that generation. */
  readonly dataKey: string;
  readonly load: Loader<unknown>;
  readonly freshness: Freshness;
  readonly locking: Locking;
  /** The item's tags with their versions read before the loader runs (T1); `undefined`: untagged. */
  readonly tags?: ItemTags | undefined;
  /** The trace of the call that started the load (its joiners share it), for failure markers. */
  readonly trace?: OperationContext | undefined;
}

/** A value loaded through the fleet, and whether it came from another caller's load. */
export interface Loaded {
  readonly value: unknown;
  /** This process waited for another's lock and got that caller's value. */
  readonly waited: boolean;
}

/**
 * Waiting callers poll memcached (it has no notifications): first after 2 ms, then 1.25 times
 * longer each time up to 25 ms, with ±20% jitter so that the processes of a fleet do not poll in
 * step. A waiter sees a value about a tenth of the load's duration after it was stored (12 ms at
 * most), for about 40 polls a second per waiting key and process (two small gets each) once capped.
 */
const FIRST_POLL_MS = 2;
const POLL_GROWTH = 1.25;
const MAX_POLL_MS = 25;

const jittered = (ms: number): number => ms * (0.8 + 0.4 * Math.random());

/**
 * Loads a missing value once in the fleet (DESIGN §8, I5): takes the key's lock and loads, or waits
 * for the holder's value — retaking a lock released or expired without a value, and loading anyway
 * once `lockWait` has passed. memcached trouble never makes a caller wait: it loads.
 */
export async function loadThroughFleet(context: Context, job: LoadJob): Promise<Loaded> {
  if (!job.locking.enabled) return loadUnlocked(context, job);
  const { transport, keys, settings, stats, lifecycle } = context;
  const lock = new FleetLock(transport, keys.lockKey(job.dataKey), job.locking.ttl, settings.timeoutMs);
  const giveUpAt = now() + job.locking.waitMs;
  let delay = FIRST_POLL_MS;
  let polled = false;
  for (;;) {
    // Nothing new starts after close(): no lock is taken, the caller loads (and nothing is written).
    if (lifecycle.closed) return loadUnlocked(context, job);
    const taken = await lock.take();
    if (taken === 'won') {
      // close() came while the add was in flight: release the lock at once (the transport takes the
      // delete until close() has seen it idle), so other processes need not wait for its expiry.
      if (lifecycle.closed) {
        lock.release(() => {});
        return loadUnlocked(context, job);
      }
      return { value: await holdAndLoad(context, job, lock), waited: false };
    }
    // memcached did not answer: load, don't wait for it — nor for the write, which would likely time out too.
    if (taken === 'unavailable') return loadUnlocked(context, job, false);
    // Held by another caller: wait for its value, or for the lock to be free again.
    for (;;) {
      const left = giveUpAt - now();
      if (left <= 0) return loadUnlocked(context, job);
      await sleep(Math.min(jittered(delay), left));
      delay = Math.min(delay * POLL_GROWTH, MAX_POLL_MS);
      if (lifecycle.closed) return loadUnlocked(context, job);
      if (!polled) stats.lockWaits += 1;
      polled = true;
      const seen = await poll(context, job.dataKey, lock, declaredTags(job));
      if (seen.failure !== undefined) {
        // The holder's loader failed: fail now (or serve stale, read-through.ts) rather than load in turn.
        stats.failuresSeen += 1;
        recordFailureMarker(job.trace, 'seen');
        throw stats.error(failedElsewhere(seen.failure));
      }
      if (seen.found) {
        if (await stillCurrent(context, job)) return { value: seen.value, waited: true };
        // Its generation was cleared while we waited: that value may predate the clear (I4).
        return loadUnlocked(context, job);
      }
      if (seen.lock === undefined) return loadUnlocked(context, job, false);
      if (!seen.lock) break;
    }
  }
}

/**
 * Loads and writes without the fleet lock (`lock: false`, a caller that waited long enough, a
 * closed cache), waiting for the write unless memcached was just seen failing (`waitForWrite`).
 */
export async function loadUnlocked(context: Context, job: LoadJob, waitForWrite = true): Promise<Loaded> {
  return { value: await loadAndStore(context, job, undefined, undefined, waitForWrite), waited: false };
}

/**
 * Loads as the lock's holder: checks first that nobody stored the value between this caller's miss
 * and its lock (else two loads could run), keeps the lock while the loader runs (see
 * {@link keepLock}), and releases it once the value is stored — without waiting for the release:
 * the caller has its value once it is written.
 */
export async function holdAndLoad(context: Context, job: LoadJob, lock: FleetLock): Promise<unknown> {
  const unhold = context.lifecycle.hold(lock);
  const release = (): void => {
    unhold();
    lock.release((error) => {
      // After close() the transport may refuse it: the lock then ends at its expiry.
      if (error !== undefined && error.code !== 'E_CLOSED') context.policy.report(withOperation(error, 'getOrSet'));
    });
  };
  const stopKeeping = keepLock(context, lock, job.locking.waitMs);
  try {
    const stored = await readFresh(context, job.dataKey, declaredTags(job));
    if (stored.found && (await stillCurrent(context, job))) {
      release();
      return stored.value;
    }
    return await loadAndStore(context, job, undefined, release);
  } catch (error) {
    if (isAbort(error) || context.lifecycle.closed) {
      release();
    } else {
      // The loader failed: a short marker in place of the lock tells the waiters at once (DESIGN §6).
      unhold();
      lock.markFailed(error, (marked) => {
        if (!marked) return;
        context.stats.failureMarkers += 1;
        recordFailureMarker(job.trace, 'left');
      });
    }
    throw error;
  } finally {
    stopKeeping();
  }
}

/** The cache aborted the loader (closed, or its lock lost): not a failure of the data source. */
function isAbort(error: unknown): boolean {
  return error instanceof CacheError && (error.code === 'E_CLOSED' || error.code === 'E_LOCK_EXPIRED');
}

/** What a waiter rejects with when the holder's loader failed in another process. */
function failedElsewhere(failure: LoadFailure): CacheError {
  const cause = new Error(failure.message);
  cause.name = failure.name;
  return new CacheError(
    'E_LOADER',
    `the getOrSet loader failed in the caller holding the fleet lock: ${failure.name}: ${failure.message}`,
    {
      cause,
      operation: 'getOrSet',
    },
  );
}

/**
 * Runs the loader and writes what it returns under the pinned generation, then resolves the value:
 * once a `getOrSet` resolved, every process reads the value (the write has its own deadline, so
 * this waits one `timeout` at most) — unless memcached was just seen failing (`waitForWrite` false):
 * then the value is returned at once and the write goes on in the background. `afterStore` runs
 * from the write's own callback — a lock release sent there is in flight before `close()` can see
 * the transport idle — and is not awaited.
 * Cache trouble goes to `onError`; `undefined` is not cached; after `close()` nothing is written:
 * close waits for requests, never for loaders.
 */
async function loadAndStore(
  context: Context,
  job: LoadJob,
  controller = new AbortController(),
  afterStore: () => void = () => {},
  waitForWrite = true,
): Promise<unknown> {
  const { lifecycle, policy, transport, settings } = context;
  const untrack = lifecycle.track(controller);
  let value: unknown;
  try {
    value = await runLoader(job.load, controller.signal);
  } finally {
    untrack();
  }
  if (value === undefined) {
    afterStore();
    return value;
  }
  if (lifecycle.closed) {
    policy.report(lifecycle.closedError('getOrSet'));
    afterStore();
    return value;
  }
  const { expiry, freshUntil } = planWrite(job.freshness);
  const bytes = encodeValue(value, freshUntil, job.tags);
  const written = new Promise<void>((resolve) => {
    storeData(transport, job.dataKey, bytes, expiry, now() + settings.timeoutMs, (error) => {
      if (error !== undefined) policy.report(withOperation(error, 'getOrSet'));
      afterStore();
      resolve();
    });
  });
  if (waitForWrite) await written;
  return value;
}

/**
 * Whether the generation pinned for the job is still the namespace's current one, by a token read
 * sent now. A value stored by *another* caller may have been loaded across a clear (I2): once the
 * clear has resolved, nothing from before it may be served (I4). `false` when it cannot be told.
 */
export function stillCurrent(context: Context, job: LoadJob): Promise<boolean> {
  return new Promise((resolve) => {
    context.generations.resolveHead(job.state, now() + context.settings.timeoutMs, (error, head) => {
      resolve(error === undefined && head === job.head);
    });
  });
}

/** The tags a job's item is written with: read with its data on every poll. */
function declaredTags(job: LoadJob): readonly string[] {
  return job.tags === undefined ? NO_TAGS : job.tags.tags.map((tag) => tag.name);
}
