import type { Context } from '../context.js';
import { decodeFresh, type LockingRead } from '../data-requests.js';
import type { CacheError } from '../errors.js';
import { decodeFailure, isFailureMarker, type LoadFailure } from '../lock-items.js';
import { NO_TAGS } from '../tags/limits.js';
import { now } from '../transport.js';
import type { FleetLock } from './fleet-lock.js';

// The fleet load's reads of the data key, checked for freshness and tags, and its polls (fleet-load.ts).

/** What a read of the data key found: a fresh value, or nothing to serve. */
export type Found = { readonly found: true; readonly value: unknown } | { readonly found: false };

/**
 * What a waiter's poll found: the value; the holder's failure; the lock taken by the poll itself
 * (`won`), free to take, or still held; a value in place of a stub that is not to be served (its
 * tags were invalidated meanwhile: the key's lock is now its lock key); or memcached did not answer
 * (`unavailable`: load without waiting).
 */
export type Polled =
  | { readonly kind: 'found'; readonly value: unknown }
  | { readonly kind: 'failed'; readonly failure: LoadFailure }
  | { readonly kind: 'won' | 'free' | 'held' | 'value' | 'unavailable' };

const NOT_FOUND: Found = { found: false };
const POLL_WON: Polled = { kind: 'won' };
const POLL_FREE: Polled = { kind: 'free' };
const POLL_HELD: Polled = { kind: 'held' };
const POLL_UNAVAILABLE: Polled = { kind: 'unavailable' };
const POLL_VALUE: Polled = { kind: 'value' };

/**
 * Reads the data key: a value that is fresh counts; a stale, missing or failed read does not. A
 * tagged value counts only if its tags, read now, still hold: another caller's load may have run
 * across an invalidation (T1).
 */
export function readFresh(context: Context, dataKey: string, declared: readonly string[] = NO_TAGS): Promise<Found> {
  return new Promise((resolve) => {
    readChecked(context, dataKey, declared, now() + context.settings.timeoutMs, (error, bytes) => {
      resolve(error === undefined ? found(context, bytes) : NOT_FOUND);
    });
  });
}

/** {@link readData} with the value's tags checked: a value they invalidated, even softly, reads as a miss. */
function readChecked(
  context: Context,
  dataKey: string,
  declared: readonly string[],
  deadline: number,
  done: (error: CacheError | undefined, bytes: Buffer | undefined) => void,
  locking?: LockingRead,
): void {
  context.tags.read(
    dataKey,
    undefined,
    '',
    declared,
    NO_TAGS,
    deadline,
    (error, bytes, check) => done(error, check === undefined || check.state === 'fresh' ? bytes : undefined),
    locking,
  );
}

function found(context: Context, bytes: Buffer | undefined): Found {
  const value = decodeFresh(context.policy, 'getOrSet', bytes);
  return value === undefined ? NOT_FOUND : { found: true, value };
}

/**
 * Polls a lock key and its data key, in that order and in one write: on one server, a lock seen
 * free was released after its value was stored, so the data read after it sees that value. (Across
 * a pool the order is not guaranteed; the holder's own check in `holdAndLoad` covers that.)
 */
export function pollLockKey(
  context: Context,
  dataKey: string,
  lock: FleetLock,
  declared: readonly string[],
): Promise<Polled> {
  return new Promise((resolve) => {
    let held: boolean | undefined;
    let failure: LoadFailure | undefined;
    let lockAnswered = false;
    let data: Found | undefined;
    let dataFailed = false;
    const settle = (): void => {
      if (!lockAnswered || (data === undefined && !dataFailed)) return;
      if (data?.found === true) resolve({ kind: 'found', value: data.value });
      else if (failure !== undefined) resolve({ kind: 'failed', failure });
      else resolve(dataFailed || held === undefined ? POLL_UNAVAILABLE : held ? POLL_HELD : POLL_FREE);
    };
    lock.check((answer, failed) => {
      held = answer;
      failure = failed;
      lockAnswered = true;
      settle();
    });
    readChecked(context, dataKey, declared, now() + context.settings.timeoutMs, (error, bytes) => {
      if (error === undefined) data = found(context, bytes);
      else dataFailed = true;
      settle();
    });
  });
}

/**
 * Polls a data key locked by its stub: one read, which on meta takes the stub if it is gone
 * (`mg … N`, adopted by `lock`): the value, the stub (held), a failure marker in its place, or
 * nothing (free: to be taken with an add).
 */
export function pollStub(context: Context, lock: FleetLock, declared: readonly string[]): Promise<Polled> {
  return new Promise((resolve) => {
    let won = false;
    const locking: LockingRead = {
      ttl: lock.expiry,
      won: (cas) => {
        lock.adopt(cas);
        won = true;
      },
    };
    const deadline = now() + context.settings.timeoutMs;
    context.tags.read(
      lock.key,
      undefined,
      '',
      declared,
      NO_TAGS,
      deadline,
      (error, bytes, check) => {
        if (won) return resolve(POLL_WON);
        if (error !== undefined) return resolve(POLL_UNAVAILABLE);
        if (bytes === undefined) return resolve(POLL_FREE);
        if (bytes.length === 0) return resolve(POLL_HELD);
        if (isFailureMarker(bytes)) return resolve({ kind: 'failed', failure: decodeFailure(bytes) });
        const fresh = check === undefined || check.state === 'fresh';
        const value = fresh ? decodeFresh(context.policy, 'getOrSet', bytes) : undefined;
        // A value past fresh (or invalidated by its tags) replaced the stub: it is locked elsewhere now.
        resolve(value === undefined ? POLL_VALUE : { kind: 'found', value });
      },
      locking,
    );
  });
}
