import { checkBoolean, checkSeconds } from '../options-checks.js';

/** Fleet-wide single flight of one `getOrSet` (DESIGN §8), resolved from defaults and the call's options. */
export interface Locking {
  /** Take a memcached lock on a miss, so that one caller in the fleet loads. */
  readonly enabled: boolean;
  /** How long the lock lives in memcached, whole seconds (its holder may have died). */
  readonly ttl: number;
  /** How long a caller waits for another's load before loading itself, in ms. */
  readonly waitMs: number;
}

/** The option names of {@link Locking}, as users write them. */
export const LOCKING_OPTIONS = ['lock', 'lockTtl', 'lockWait'] as const;

/**
 * The defaults. The lock lives shorter than callers wait: when a holder dies (and stops renewing
 * it), one waiter takes the expired lock and loads, rather than every waiter loading when
 * `lockWait` runs out. Both are seconds, well above a typical loader, so that waiting beats loading twice.
 */
export const LOCKING_DEFAULTS = { lock: true, lockTtl: 5, lockWait: 10 } as const;

/**
 * The locking of one call: `options`' locking fields over `defaults`.
 *
 * @throws TypeError or RangeError for a field that is not valid.
 */
export function lockingOf(options: Readonly<Record<string, unknown>>, defaults: Locking): Locking {
  const { lock, lockTtl, lockWait } = options;
  return {
    enabled: lock === undefined ? defaults.enabled : checkBoolean('lock', lock),
    // memcached counts whole seconds, and an expiry of 0 would mean a lock that never expires.
    ttl: lockTtl === undefined ? defaults.ttl : Math.ceil(checkSeconds('lockTtl', lockTtl, false)),
    waitMs: lockWait === undefined ? defaults.waitMs : checkSeconds('lockWait', lockWait, true) * 1000,
  };
}

/** The longest delay Node's timers honour; a longer one fires after 1 ms (TimeoutOverflowWarning). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * How long a caller joining this process's load of a key waits for it: `lockWait + lockTtl`, the
 * time that load may wait for another process's lock and then hold its own. Each is at most
 * 2,147,483 s, but their sum may pass what a timer can hold: past that (24.8 days) it is clamped.
 */
export function joinWaitMs(locking: Locking): number {
  return Math.min(locking.waitMs + locking.ttl * 1000, MAX_TIMER_MS);
}
