import { setTimeout as sleep } from 'node:timers/promises';
import { encodeValue } from '../codec.js';
import type { Context } from '../context.js';
import { decodeData, readData, storeData } from '../data-requests.js';
import { CacheError } from '../errors.js';
import { withOperation } from '../failure-policy.js';
import { type Freshness, planWrite, staleFor } from '../freshness.js';
import { now } from '../transport.js';
import { FleetLock } from './fleet-lock.js';
import { type Loader, runLoader } from './loader.js';
import type { Locking } from './locking.js';

/** One key to load through the fleet: where, with what, and under which options. */
export interface LoadJob {
  /** The data key, in the generation pinned before loading (I2). */
  readonly dataKey: string;
  readonly load: Loader<unknown>;
  readonly freshness: Freshness;
  readonly locking: Locking;
}

/**
 * Waiting callers poll memcached (it has no notifications): first after 5 ms, then 1.5 times
 * longer each time up to 100 ms, with ±20% jitter so that the processes of a fleet do not poll in step.
 */
const FIRST_POLL_MS = 5;
const MAX_POLL_MS = 100;

const jittered = (ms: number): number => ms * (0.8 + 0.4 * Math.random());

/** A value loaded through the fleet, and whether it came from another caller's load. */
export interface Loaded {
  readonly value: unknown;
  /** This process waited for another's lock and got that caller's value. */
  readonly waited: boolean;
}

/**
 * Loads a missing value once in the fleet (DESIGN §8, I5): takes the key's lock and loads, or waits
 * for the holder's value — retaking a lock released or expired without a value, and loading anyway
 * once `lockWait` has passed. memcached trouble never makes a caller wait: it loads.
 */
export async function loadThroughFleet(context: Context, job: LoadJob): Promise<Loaded> {
  if (!job.locking.enabled) return loaded(await loadAndStore(context, job, undefined));
  const { transport, keys, settings, stats, lifecycle } = context;
  const lock = new FleetLock(transport, keys.lockKey(job.dataKey), job.locking.ttl, settings.timeoutMs);
  const giveUpAt = now() + job.locking.waitMs;
  let delay = FIRST_POLL_MS;
  let waiting = false;
  for (;;) {
    const taken = await lock.take();
    if (taken === 'won') return loaded(await holdAndLoad(context, job, lock));
    if (taken === 'unavailable') return loaded(await loadAndStore(context, job, undefined));
    // Held by another caller: wait for its value, or for the lock to be free again.
    if (!waiting) stats.lockWaits += 1;
    waiting = true;
    for (;;) {
      const left = giveUpAt - now();
      if (left <= 0) return loaded(await loadAndStore(context, job, undefined));
      await sleep(Math.min(jittered(delay), left));
      delay = Math.min(delay * 1.5, MAX_POLL_MS);
      // Nothing is sent after close(): stop waiting and load (the value is returned, not written).
      if (lifecycle.closed) return loaded(await loadAndStore(context, job, undefined));
      const polled = await poll(context, job.dataKey, lock);
      if (polled.found) return { value: polled.value, waited: true };
      if (polled.lock === undefined) return loaded(await loadAndStore(context, job, undefined));
      if (!polled.lock) break;
    }
  }
}

const loaded = (value: unknown): Loaded => ({ value, waited: false });

/**
 * Loads as the lock's holder: checks first that nobody stored the value between this caller's miss
 * and its lock (else two loads could run), aborts the loader's signal when the lock expires, and
 * releases the lock once the value is stored.
 */
export async function holdAndLoad(context: Context, job: LoadJob, lock: FleetLock): Promise<unknown> {
  const expiry = new AbortController();
  const timer = setTimeout(() => {
    expiry.abort(new CacheError('E_LOCK_EXPIRED', `the fleet lock expired after ${lock.ttl} s; others may be loading`));
  }, lock.ttl * 1000);
  timer.unref();
  try {
    const stored = await readFresh(context, job.dataKey);
    return stored.found ? stored.value : await loadAndStore(context, job, expiry);
  } finally {
    clearTimeout(timer);
    // Nothing is sent after close(): the lock then ends at its expiry, as if this process had died.
    if (!context.lifecycle.closed) {
      const error = await lock.release();
      if (error !== undefined) context.policy.report(withOperation(error, 'getOrSet'));
    }
  }
}

/**
 * Runs the loader and writes what it returns under the pinned generation; cache trouble goes to
 * `onError`, never keeps the value from the caller. `undefined` is returned and not cached.
 * After `close()` nothing is written: close waits for requests, never for loaders.
 */
async function loadAndStore(context: Context, job: LoadJob, controller: AbortController | undefined): Promise<unknown> {
  const { lifecycle, policy, transport, settings } = context;
  const load = controller ?? new AbortController();
  const untrack = lifecycle.track(load);
  let value: unknown;
  try {
    value = await runLoader(job.load, load.signal);
  } finally {
    untrack();
  }
  if (value === undefined) return value;
  if (lifecycle.closed) {
    policy.report(lifecycle.closedError('getOrSet'));
    return value;
  }
  const { expiry, freshUntil } = planWrite(job.freshness);
  const bytes = encodeValue(value, freshUntil);
  await new Promise<void>((resolve) => {
    storeData(transport, job.dataKey, bytes, expiry, now() + settings.timeoutMs, (error) => {
      if (error !== undefined) policy.report(withOperation(error, 'getOrSet'));
      resolve();
    });
  });
  return value;
}

type Found = { readonly found: true; readonly value: unknown } | { readonly found: false };
type Polled = Found & { readonly lock?: boolean | undefined };

const NOT_FOUND: Found = { found: false };

/** Reads the data key: a value that is fresh counts; a stale, missing or failed read does not. */
function readFresh(context: Context, dataKey: string): Promise<Found> {
  return new Promise((resolve) => {
    readData(context.transport, dataKey, now() + context.settings.timeoutMs, (error, bytes) => {
      resolve(error === undefined ? found(context, bytes) : NOT_FOUND);
    });
  });
}

function found(context: Context, bytes: Buffer | undefined): Found {
  if (bytes === undefined || staleFor(bytes) >= 0) return NOT_FOUND;
  const value = decodeData(context.policy, 'getOrSet', bytes);
  return value === undefined ? NOT_FOUND : { found: true, value };
}

/**
 * Reads the lock and the data key, in that order and in one write: on one server, a lock seen free
 * was released after its value was stored, so the data read after it sees that value. (Across a
 * pool the order is not guaranteed; the holder's own check in {@link holdAndLoad} covers that.)
 */
function poll(context: Context, dataKey: string, lock: FleetLock): Promise<Polled> {
  return new Promise((resolve) => {
    let held: boolean | undefined;
    let lockAnswered = false;
    let data: Found | undefined;
    let dataFailed = false;
    const settle = (): void => {
      if (!lockAnswered || (data === undefined && !dataFailed)) return;
      if (data?.found === true) resolve(data);
      else resolve({ found: false, lock: dataFailed ? undefined : held });
    };
    lock.check((answer) => {
      held = answer;
      lockAnswered = true;
      settle();
    });
    readData(context.transport, dataKey, now() + context.settings.timeoutMs, (error, bytes) => {
      if (error === undefined) data = found(context, bytes);
      else dataFailed = true;
      settle();
    });
  });
}
