import { describe } from './describe.js';

/**
 * memcached reads an expiry above 30 days (2,592,000 s) as an absolute Unix time, not a duration
 * (memjs passes the number through as is). Longer TTLs are therefore sent as `now + ttl`.
 */
export const RELATIVE_EXPIRY_LIMIT = 2_592_000;

/** The expiry field is an unsigned 32-bit Unix time: nothing can expire after 2106-02-07. */
const MAX_UNIX_TIME = 0xffff_ffff;

/**
 * Checks a TTL given in seconds and returns it as whole seconds. memcached has one-second
 * granularity, so a fraction is rounded *up*: `0.5` must never become `0`, which means "never expires".
 *
 * @throws RangeError when the value is not a finite number >= 0 or would expire after 2106.
 */
export function checkTtl(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    const kind = typeof value === 'number' ? RangeError : TypeError;
    throw new kind(
      `Expected \`${name}\` to be a non-negative number of seconds (0 = never expires), got ${describe(value)}`,
    );
  }
  const seconds = Math.ceil(value);
  const latest = MAX_UNIX_TIME - Math.floor(Date.now() / 1000);
  if (seconds > latest) {
    throw new RangeError(
      `Expected \`${name}\` to be at most ${latest} seconds (memcached stores expiry as a 32-bit Unix time), got ${value}`,
    );
  }
  return seconds;
}

/** Converts a checked TTL (whole seconds, 0 = never) into the expiry field memcached expects. */
export function toExpiry(ttlSeconds: number): number {
  if (ttlSeconds <= RELATIVE_EXPIRY_LIMIT) return ttlSeconds;
  return Math.floor(Date.now() / 1000) + ttlSeconds;
}
