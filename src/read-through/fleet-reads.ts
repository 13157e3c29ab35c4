import type { Context } from '../context.js';
import { decodeFresh } from '../data-requests.js';
import type { CacheError } from '../errors.js';
import { NO_TAGS } from '../tags/limits.js';
import { now } from '../transport.js';
import type { FleetLock, LoadFailure } from './fleet-lock.js';

// The fleet load's reads of the data key, checked for freshness and tags, and its polls (fleet-load.ts).

/** What a read of the data key found: a fresh value, or nothing to serve. */
export type Found = { readonly found: true; readonly value: unknown } | { readonly found: false };
type Polled = Found & { readonly lock?: boolean | undefined; readonly failure?: LoadFailure | undefined };

const NOT_FOUND: Found = { found: false };

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
): void {
  context.tags.read(dataKey, undefined, '', declared, NO_TAGS, deadline, (error, bytes, check) =>
    done(error, check === undefined || check.state === 'fresh' ? bytes : undefined),
  );
}

function found(context: Context, bytes: Buffer | undefined): Found {
  const value = decodeFresh(context.policy, 'getOrSet', bytes);
  return value === undefined ? NOT_FOUND : { found: true, value };
}

/**
 * Reads the lock and the data key, in that order and in one write: on one server, a lock seen free
 * was released after its value was stored, so the data read after it sees that value. (Across a
 * pool the order is not guaranteed; the holder's own check in {@link holdAndLoad} covers that.)
 */
export function poll(context: Context, dataKey: string, lock: FleetLock, declared: readonly string[]): Promise<Polled> {
  return new Promise((resolve) => {
    let held: boolean | undefined;
    let failure: LoadFailure | undefined;
    let lockAnswered = false;
    let data: Found | undefined;
    let dataFailed = false;
    const settle = (): void => {
      if (!lockAnswered || (data === undefined && !dataFailed)) return;
      if (data?.found === true) resolve(data);
      else resolve({ found: false, lock: dataFailed ? undefined : held, failure });
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
