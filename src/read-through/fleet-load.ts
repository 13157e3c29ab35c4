import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from '../context.js';
import { CacheError } from '../errors.js';
import type { LoadFailure } from '../lock-items.js';
import { recordFailureMarker } from '../observability/trace.js';
import { now } from '../transport.js';
import { FleetLock } from './fleet-lock.js';
import { type Polled, pollLockKey, pollStub } from './fleet-reads.js';
import { declaredTags, holdAndLoad, type Loaded, type LoadJob, loadUnlocked, stillCurrent } from './holding.js';

/**
 * Waiting callers poll memcached (it has no notifications): first after 2 ms, then 1.25 times
 * longer each time up to 25 ms, with ±20% jitter so that the processes of a fleet do not poll in
 * step. A waiter sees a value about a tenth of the load's duration after it was stored (12 ms at
 * most), for about 40 polls a second per waiting key and process once capped (one small get each
 * on a missing key's stub, two on a lock key).
 */
const FIRST_POLL_MS = 2;
const POLL_GROWTH = 1.25;
const MAX_POLL_MS = 25;

const jittered = (ms: number): number => ms * (0.8 + 0.4 * Math.random());

/** The fleet lock of a job's key: its stub at the data key, or its lock key (holding.ts `AtDataKey`). */
export function lockOf(context: Context, job: LoadJob, stub = job.at.kind !== 'value'): FleetLock {
  const { transport, keys, settings } = context;
  const key = stub ? job.dataKey : keys.lockKey(job.dataKey);
  const lock = new FleetLock(transport, key, job.locking.ttl, settings.timeoutMs, stub);
  return stub && job.at.kind === 'won' ? lock.adopt(job.at.cas) : lock;
}

/**
 * Loads a missing value once in the fleet (DESIGN §8, I5): takes the key's lock and loads, or waits
 * for the holder's value — retaking a lock released or expired without a value, and loading anyway
 * once `lockWait` has passed. memcached trouble never makes a caller wait: it loads.
 *
 * A missing key's lock is its stub, which on meta the read that missed has already taken or found
 * held; then the winner loads at once, and a waiter's poll is one read that takes the stub if it is gone.
 */
export async function loadThroughFleet(context: Context, job: LoadJob): Promise<Loaded> {
  if (!job.locking.enabled) return loadUnlocked(context, job);
  const { stats, lifecycle } = context;
  let stub = job.at.kind !== 'value';
  let lock = lockOf(context, job);
  const declared = declaredTags(job);
  const giveUpAt = now() + job.locking.waitMs;
  let next: Polled['kind'] = job.at.kind === 'won' ? 'won' : job.at.kind === 'held' ? 'held' : 'free';
  let delay = FIRST_POLL_MS;
  let polled = false;
  for (;;) {
    // Nothing new starts after close(): the caller loads (and nothing is written).
    if (lifecycle.closed) {
      if (next === 'won') lock.release(() => {});
      return loadUnlocked(context, job);
    }
    if (next === 'free') {
      const taken = await lock.take();
      // memcached did not answer: load, don't wait for it — nor for the write, which would likely time out too.
      if (taken === 'unavailable') return loadUnlocked(context, job, false);
      next = taken;
    }
    if (next === 'won') {
      // close() came while the lock was being taken: release it at once (the transport takes the
      // delete until close() has seen it idle), so other processes need not wait for its expiry.
      if (lifecycle.closed) {
        lock.release(() => {});
        return loadUnlocked(context, job);
      }
      return { value: await holdAndLoad(context, job, lock, stub), waited: false };
    }
    // Held by another caller: wait for its value, or for the lock to be free again.
    const left = giveUpAt - now();
    if (left <= 0) return loadUnlocked(context, job);
    await sleep(Math.min(jittered(delay), left));
    delay = Math.min(delay * POLL_GROWTH, MAX_POLL_MS);
    if (lifecycle.closed) return loadUnlocked(context, job);
    if (!polled) stats.lockWaits += 1;
    polled = true;
    const seen = await (stub ? pollStub(context, lock, declared) : pollLockKey(context, job.dataKey, lock, declared));
    if (seen.kind === 'failed') {
      // The holder's loader failed: fail now (or serve stale, read-through.ts) rather than load in turn.
      throw failedElsewhere(context, job, seen.failure);
    }
    if (seen.kind === 'found') {
      if (await stillCurrent(context, job)) return { value: seen.value, waited: true };
      // Its generation was cleared while we waited: that value may predate the clear (I4).
      return loadUnlocked(context, job);
    }
    if (seen.kind === 'unavailable') return loadUnlocked(context, job, false);
    if (seen.kind === 'value') {
      // A value the waiters cannot serve replaced the stub: the key is locked at its lock key now.
      stub = false;
      lock = lockOf(context, job, false);
      next = 'free';
    } else {
      next = seen.kind;
    }
  }
}

/**
 * Refreshes a key in the background (stale-while-revalidate, or a value served from before a soft
 * clear) if this caller holds or can take its lock; never waits for another caller's refresh.
 */
export async function refreshIfFree(context: Context, job: LoadJob): Promise<void> {
  if (job.at.kind === 'held' || !job.locking.enabled) {
    // Held: another caller is loading it. Unlocked: each process refreshes on its own, once.
    if (!job.locking.enabled) await loadUnlocked(context, job);
    return;
  }
  const lock = lockOf(context, job);
  if (job.at.kind !== 'won' && (await lock.take()) !== 'won') return;
  // Closed while the lock was being taken: start nothing, but don't leave the lock behind.
  if (context.lifecycle.closed) return lock.release(() => {});
  await holdAndLoad(context, job, lock, job.at.kind !== 'value');
}

/** What a waiter rejects with when the holder's loader failed in another process (counted and traced). */
export function failedElsewhere(context: Context, job: Pick<LoadJob, 'trace'>, failure: LoadFailure): CacheError {
  context.stats.failuresSeen += 1;
  recordFailureMarker(job.trace, 'seen');
  const cause = new Error(failure.message);
  cause.name = failure.name;
  const message = `the getOrSet loader failed in the caller holding the fleet lock: ${failure.name}: ${failure.message}`;
  return context.stats.error(new CacheError('E_LOADER', message, { cause, operation: 'getOrSet' }));
}
