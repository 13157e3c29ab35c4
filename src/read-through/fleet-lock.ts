import { CacheError } from '../errors.js';
import { toExpiry } from '../expiry.js';
import { decodeFailure, encodeFailure, isFailureMarker, isLockItem, type LoadFailure } from '../lock-items.js';
import { Opcode, Status } from '../protocol.js';
import { now, type ReplyCallback, type Transport } from '../transport.js';

/** What an attempt to take a lock found. */
export type LockTaken = 'won' | 'held' | 'unavailable';

/** What a renewal of a held lock found (see {@link FleetLock.renew}). */
export type RenewOutcome = 'kept' | 'lost' | 'replaced' | 'unknown';

const EMPTY = Buffer.alloc(0);

/**
 * How long a failure marker lives, whole seconds: memcached keeps it 1 to 2 s. Long enough for every
 * waiter to see it at its next poll (at most 25 ms apart), short enough that the next caller after
 * it loads again.
 */
const FAILURE_MARKER_TTL = 2;

/** The expiry a lock of `ttl` seconds is written (or a stub created) with: see {@link FleetLock.write}. */
export function lockExpiry(ttl: number): number {
  return toExpiry(ttl + 1);
}

/**
 * The fleet-wide lock of one data key (DESIGN §8): an empty item taken with `add` (or, on meta, by
 * the read that missed: `mg … N`), which exactly one client in the fleet can win, and released only
 * by its owner — a delete carrying the CAS it was taken with, so that a lock which expired and was
 * taken by someone else is never deleted — or by its expiry.
 *
 * A missing value is locked at its data key itself (the stub: the value replaces it); a value that
 * is there but not to be served (stale, invalidated by its tags) at a lock key derived from the data
 * key. Either belongs to one generation: a caller after a clear never waits on a lock of the old one.
 */
export class FleetLock {
  /** The CAS of the lock this instance holds; 0n when it holds none. */
  private cas = 0n;
  /** Its holder stored the value in its place ({@link forget}): a renewal still in flight is moot. */
  private replaced = false;

  /**
   * @param key - the lock's memcached key: the data key itself (`stub`) or its lock key.
   * @param ttl - how long the lock is held for at least, whole seconds (> 0).
   */
  constructor(
    private readonly transport: Transport,
    readonly key: string,
    readonly ttl: number,
    private readonly timeoutMs: number,
    readonly stub: boolean,
  ) {}

  /** Holds the stub that this caller's read created at the data key (this lock's key), by its CAS. */
  adopt(cas: bigint): this {
    this.cas = cas;
    return this;
  }

  /** Lets go of the lock without a request: a value was stored in its place (a stub). */
  forget(): void {
    this.cas = 0n;
    this.replaced = true;
  }

  /** Tries to take the lock: `'unavailable'` when memcached did not answer with a yes or a no. */
  take(): Promise<LockTaken> {
    return new Promise((resolve) => {
      this.write(Opcode.Add, 0n, (error, status, _, cas) => {
        if (error !== undefined) {
          resolve('unavailable');
        } else if (status === Status.Ok) {
          this.cas = cas;
          resolve('won');
        } else {
          resolve(status === Status.Exists || status === Status.NotStored ? 'held' : 'unavailable');
        }
      });
    });
  }

  /**
   * Writes the lock for another `ttl`. memcached's clock ticks in whole seconds, so an item sent
   * with expiry N lives between N - 1 and N seconds: the lock is sent with one second more, so that
   * it lives at least `ttl` — a holder that stops renewing it has been gone that long.
   */
  private write(opcode: typeof Opcode.Add | typeof Opcode.Set, cas: bigint, callback: ReplyCallback): void {
    this.transport.store(opcode, this.key, EMPTY, this.expiry, now() + this.timeoutMs, callback, cas);
  }

  /** The expiry the lock is written with (see {@link write}). */
  get expiry(): number {
    return lockExpiry(this.ttl);
  }

  /**
   * Sends a read of the lock; `held` is `undefined` when memcached did not answer. A failure
   * marker ({@link markFailed}) holds the lock too, and comes back as `failure`.
   */
  check(callback: (held: boolean | undefined, failure?: LoadFailure) => void): void {
    this.transport.get(this.key, now() + this.timeoutMs, (error, status, value) => {
      if (error === undefined && status === Status.Ok && isFailureMarker(value)) {
        callback(true, decodeFailure(value));
        return;
      }
      callback(
        error !== undefined ? undefined : status === Status.Ok ? true : status === Status.NotFound ? false : undefined,
      );
    });
  }

  /**
   * Replaces the lock this instance holds by a short failure marker naming the loader's error (a
   * set by CAS: only the owner's lock): the callers waiting for this load see it at their next poll
   * and fail (or serve stale) at once instead of loading in turn; the next caller after it expires
   * loads again. Sent before this returns (close() waits for it); the lock is no longer held.
   */
  markFailed(failure: unknown, done: (marked: boolean) => void): void {
    const cas = this.cas;
    this.cas = 0n;
    if (cas === 0n) {
      done(false);
      return;
    }
    this.transport.store(
      Opcode.Set,
      this.key,
      encodeFailure(failure),
      toExpiry(FAILURE_MARKER_TTL),
      now() + this.timeoutMs,
      // Not stored: the lock was lost meanwhile (someone else's now), or memcached failed and a lock
      // of ours may remain until its expiry, as after any failed release.
      (error, status) => done(error === undefined && status === Status.Ok),
      cas,
    );
  }

  /**
   * Extends the lock this instance holds by another `ttl` (a set carrying its CAS, so only the
   * owner's lock is extended): `kept`, `lost` (gone, or another caller's), `replaced` (a value is
   * at the key now: its stub was replaced, by a `set` or by this holder's own value, and waiters
   * read that) or `unknown` (memcached did not answer).
   */
  renew(done: (outcome: RenewOutcome) => void): void {
    const cas = this.cas;
    if (cas === 0n) {
      done(this.replaced ? 'replaced' : 'lost');
      return;
    }
    this.write(Opcode.Set, cas, (error, status, _, newCas) => {
      if (this.replaced) {
        // The holder's value replaced the stub meanwhile: nothing of this renewal is to be kept or undone.
        done('replaced');
      } else if (error !== undefined) {
        done('unknown');
      } else if (status === Status.Ok) {
        if (this.cas === cas) {
          this.cas = newCas;
        } else {
          // Released while this renewal was in flight: that delete carried the old CAS and missed.
          this.deleteByCas(newCas, () => {});
        }
        done('kept');
      } else if (!this.stub || status !== Status.Exists) {
        done('lost');
      } else {
        // A stub whose CAS changed: a value written over it ends the wait as well as the load would.
        this.transport.get(this.key, now() + this.timeoutMs, (readError, readStatus, value) => {
          const valueThere = readError === undefined && readStatus === Status.Ok && !isLockItem(value);
          done(valueThere ? 'replaced' : 'lost');
        });
      }
    });
  }

  /**
   * Releases the lock if this instance holds it and nobody has taken it over since (compare and
   * delete). The request is sent before this returns, so a `close()` waiting for requests in flight
   * waits for it too. `done` receives an error only when memcached failed: the lock then lives until
   * its expiry.
   */
  release(done: (error: CacheError | undefined) => void): void {
    const cas = this.cas;
    this.cas = 0n;
    if (cas === 0n) done(undefined);
    else this.deleteByCas(cas, done);
  }

  private deleteByCas(cas: bigint, done: (error: CacheError | undefined) => void): void {
    this.transport.delete(
      this.key,
      now() + this.timeoutMs,
      (error, status) => {
        // Ok: released; NotFound: it expired; Exists: it expired and another caller holds it now.
        if (error !== undefined) done(error);
        else if (status === Status.Ok || status === Status.NotFound || status === Status.Exists) done(undefined);
        else done(new CacheError('E_SERVER', `memcached refused to release a lock: status 0x${status.toString(16)}`));
      },
      cas,
    );
  }
}
