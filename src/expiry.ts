import { describe } from './describe.js';

/**
 * memcached reads an expiry above 30 days (2,592,000 s) as an absolute Unix time, not a duration
 * (memjs passes the number through as is). Longer TTLs are therefore sent as `now + ttl`.
 */
export const RELATIVE_EXPIRY_LIMIT = 2_592_000;

/**
 * The latest expiry every protocol accepts. The binary protocol's field is unsigned, but the text and
 * meta protocols parse it as a signed 32-bit number: a later time is a CLIENT_ERROR, which resets the
 * connection and fails every call in flight. So nothing may expire after 2038-01-19 03:14:07 UTC.
 */
const MAX_UNIX_TIME = 0x7fff_ffff;

/**
 * Checks a TTL given in seconds and returns it as whole seconds. memcached has one-second
 * granularity, so a fraction is rounded *up*: `0.5` must never become `0`, which means "never expires".
 *
 * @throws RangeError when the value is not a finite number >= 0 or would expire after 2038-01-19 (a signed 32-bit Unix time).
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
      `Expected \`${name}\` to be at most ${latest} seconds (memcached's text and meta protocols read expiry as a signed 32-bit Unix time: no later than 2038-01-19), got ${value}`,
    );
  }
  return seconds;
}

/** Converts a checked TTL (whole seconds, 0 = never) into the expiry field memcached expects. */
export function toExpiry(ttlSeconds: number): number {
  if (ttlSeconds <= RELATIVE_EXPIRY_LIMIT) return ttlSeconds;
  return Math.floor(Date.now() / 1000) + ttlSeconds;
}
