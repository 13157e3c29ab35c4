import type { Context } from '../context.js';
import { CacheError } from '../errors.js';
import { now } from '../transport.js';
import type { FleetLock } from './fleet-lock.js';

/**
 * Renews the lock every half `lockTtl` while its holder loads, so that a slow but healthy loader
 * keeps it (a dead process stops renewing, and the others take over after `lockTtl`) — for
 * `lockWait` at most (or `lockTtl`, if longer): by then every caller that was waiting has stopped
 * and loaded itself, so holding on would only make later callers wait for a loader that may never
 * settle. The lock is then released.
 *
 * Losing the lock (taken over, deleted, evicted, not confirmed for a whole `lockTtl`) or giving it
 * up only changes who may load and write (a value written over a missing key's stub is no loss:
 * the waiters take it): this load goes on, its caller gets its value, and the
 * loss goes to `onError` as `E_LOCK_EXPIRED`. Returns the function that stops renewing.
 */
export function keepLock(context: Context, lock: FleetLock, waitMs: number): () => void {
  const periodMs = lock.ttl * 500;
  // A lock lives lockTtl anyway: with a shorter lockWait (0: nobody waits), keep it that long.
  const keepMs = Math.max(waitMs, lock.ttl * 1000);
  const takenAt = now();
  let confirmedAt = takenAt;
  let stopped = false;
  const stop = (): void => {
    stopped = true;
    clearInterval(timer);
  };
  const lost = (why: string): void => {
    if (stopped) return;
    stop();
    const reason = `the fleet lock was ${why}; others may be loading too`;
    context.policy.report(new CacheError('E_LOCK_EXPIRED', reason, { operation: 'getOrSet' }));
  };
  const timer: NodeJS.Timeout = setInterval(() => {
    if (now() - takenAt >= keepMs) {
      lost(`released: the loader ran past lockWait (${keepMs / 1000} s)`);
      lock.release(() => {});
      return;
    }
    if (now() - confirmedAt >= lock.ttl * 1000) lost(`not renewed for ${lock.ttl} s`);
    else
      lock.renew((outcome) => {
        if (outcome === 'kept') confirmedAt = now();
        else if (outcome === 'lost') lost('lost (expired, or taken over)');
        // A value is at the key: the waiters read it, nobody loads in turn. Nothing more to keep.
        else if (outcome === 'replaced') stop();
      });
  }, periodMs);
  timer.unref();
  return stop;
}
