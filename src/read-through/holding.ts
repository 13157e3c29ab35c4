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
import type { FleetLock } from './fleet-lock.js';
import { readFresh } from './fleet-reads.js';
import { type Loader, runLoader } from './loader.js';
import { keepLock } from './lock-keeping.js';
import type { Locking } from './locking.js';

// Loading a key and storing its value: as the fleet lock's holder, or without the lock.

/**
 * What `getOrSet`'s read found at the data key, which says where the key's fleet lock is (DESIGN §8):
 * a missing value is locked by an empty item at the data key itself (its *stub*, which the value
 * replaces), a value that is there but not to be served at a separate lock key. `missing`: nothing
 * there; `won`: the read created the stub and holds it (meta `mg … N`), with its CAS; `held`:
 * another caller's stub, a load is under way; `value`: a value (stale, or invalidated by its tags).
 */
export type AtDataKey =
  | { readonly kind: 'missing' | 'held' | 'value' }
  | { readonly kind: 'won'; readonly cas: bigint };

/** The read found nothing at the data key. */
export const MISSING: AtDataKey = { kind: 'missing' };
/** The read found another caller's stub. */
export const HELD: AtDataKey = { kind: 'held' };
/** The read found a value it will not serve. */
export const VALUE: AtDataKey = { kind: 'value' };

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
  /** What the read found at the data key. */
  readonly at: AtDataKey;
}

/** A value loaded through the fleet, and whether it came from another caller's load. */
export interface Loaded {
  readonly value: unknown;
  /** This process waited for another's lock and got that caller's value. */
  readonly waited: boolean;
}

/**
 * Loads and writes without the fleet lock (`lock: false`, a caller that waited long enough, a
 * closed cache), waiting for the write unless memcached was just seen failing (`waitForWrite`).
 */
export async function loadUnlocked(context: Context, job: LoadJob, waitForWrite = true): Promise<Loaded> {
  return { value: await loadAndStore(context, job, undefined, undefined, waitForWrite), waited: false };
}

/**
 * Loads as the lock's holder, keeps the lock while the loader runs (see {@link keepLock}) and lets
 * it go once the value is stored — without waiting: the caller has its value once it is written.
 * A stub (`stub`) was taken with the miss itself, and the value replaces it; a lock key was taken
 * after the miss, so this first checks that nobody stored the value in between (else two loads
 * could run), and releases the lock after the write.
 */
export async function holdAndLoad(context: Context, job: LoadJob, lock: FleetLock, stub: boolean): Promise<unknown> {
  const unhold = context.lifecycle.hold(lock);
  const release = (): void => {
    unhold();
    lock.release((error) => {
      // After close() the transport may refuse it: the lock then ends at its expiry.
      if (error !== undefined && error.code !== 'E_CLOSED') context.policy.report(withOperation(error, 'getOrSet'));
    });
  };
  // A value stored in place of a stub ends it; a stub left without one (not cached, not stored) goes.
  const afterStore = (stored: boolean): void => {
    if (stub && stored) {
      unhold();
      lock.forget();
    } else {
      release();
    }
  };
  const stopKeeping = keepLock(context, lock, job.locking.waitMs);
  try {
    if (!stub) {
      const stored = await readFresh(context, job.dataKey, declaredTags(job));
      if (stored.found && (await stillCurrent(context, job))) {
        release();
        return stored.value;
      }
    }
    return await loadAndStore(context, job, undefined, afterStore);
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

/**
 * Runs the loader and writes what it returns under the pinned generation, then resolves the value:
 * once a `getOrSet` resolved, every process reads the value (the write has its own deadline, so
 * this waits one `timeout` at most) — unless memcached was just seen failing (`waitForWrite` false):
 * then the value is returned at once and the write goes on in the background. `afterStore` runs
 * from the write's own callback, told whether the value was stored — a lock release sent there is
 * in flight before `close()` can see the transport idle — and is not awaited.
 * Cache trouble goes to `onError`; `undefined` is not cached; after `close()` nothing is written:
 * close waits for requests, never for loaders.
 */
async function loadAndStore(
  context: Context,
  job: LoadJob,
  controller = new AbortController(),
  afterStore: (stored: boolean) => void = () => {},
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
    afterStore(false);
    return value;
  }
  if (lifecycle.closed) {
    policy.report(lifecycle.closedError('getOrSet'));
    afterStore(false);
    return value;
  }
  const { expiry, freshUntil } = planWrite(job.freshness);
  const bytes = encodeValue(value, freshUntil, job.tags);
  const written = new Promise<void>((resolve) => {
    storeData(transport, job.dataKey, bytes, expiry, now() + settings.timeoutMs, (error) => {
      if (error !== undefined) policy.report(withOperation(error, 'getOrSet'));
      afterStore(error === undefined);
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
export function declaredTags(job: LoadJob): readonly string[] {
  return job.tags === undefined ? NO_TAGS : job.tags.tags.map((tag) => tag.name);
}
