import { freshUntilOf } from './codec.js';
import { describe } from './describe.js';
import { checkTtl, RELATIVE_EXPIRY_LIMIT, toExpiry } from './expiry.js';

/**
 * How long a written value is fresh, and how long past that it may still be served stale
 * (DESIGN §8). Resolved from the cache's defaults and a call's options.
 */
export interface Freshness {
  /** Fresh time to live, whole seconds; 0 = never expires (then no stale window applies). */
  readonly ttl: number;
  /** How long past fresh a reader may serve the value while one refresh runs, in ms. */
  readonly staleWhileRevalidateMs: number;
  /** How long past fresh a reader may serve the value when its loader fails, in ms. */
  readonly staleIfErrorMs: number;
  /** Each write's ttl is shortened by a random part up to this fraction, in [0, 1). */
  readonly ttlJitter: number;
}

/** The option names of {@link Freshness}, as users write them. */
export const FRESHNESS_OPTIONS = ['ttl', 'staleWhileRevalidate', 'staleIfError', 'ttlJitter'] as const;

/** What one write sends: memcached's expiry field and the value's fresh-until time, if it has one. */
export interface WritePlan {
  readonly expiry: number;
  /** Wall-clock ms after which readers treat the value as stale; `undefined`: memcached's expiry says it. */
  readonly freshUntil: number | undefined;
}

/**
 * A stale window in seconds, as ms.
 *
 * @throws TypeError or RangeError when it is not a finite number of seconds >= 0 (at most 30 days).
 */
function checkWindow(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > RELATIVE_EXPIRY_LIMIT) {
    throw new (typeof value === 'number' ? RangeError : TypeError)(
      `Expected \`${name}\` to be a number of seconds >= 0 and at most ${RELATIVE_EXPIRY_LIMIT} (30 days), got ${describe(value)}`,
    );
  }
  return value * 1000;
}

/** @throws TypeError or RangeError when `ttlJitter` is not a fraction in [0, 1). */
function checkJitter(value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
    throw new (typeof value === 'number' ? RangeError : TypeError)(
      `Expected \`ttlJitter\` to be a fraction >= 0 and < 1 (0.1 shortens each ttl by up to 10%), got ${describe(value)}`,
    );
  }
  return value;
}

/**
 * The freshness of one call: `options`' freshness fields over `defaults`. Other fields are the
 * caller's to check.
 *
 * @throws TypeError or RangeError for a field that is not valid.
 */
export function freshnessOf(options: Readonly<Record<string, unknown>>, defaults: Freshness): Freshness {
  const { ttl, staleWhileRevalidate, staleIfError, ttlJitter } = options;
  return checkFits({
    ttl: ttl === undefined ? defaults.ttl : checkTtl('ttl', ttl),
    staleWhileRevalidateMs:
      staleWhileRevalidate === undefined
        ? defaults.staleWhileRevalidateMs
        : checkWindow('staleWhileRevalidate', staleWhileRevalidate),
    staleIfErrorMs: staleIfError === undefined ? defaults.staleIfErrorMs : checkWindow('staleIfError', staleIfError),
    ttlJitter: ttlJitter === undefined ? defaults.ttlJitter : checkJitter(ttlJitter),
  });
}

/**
 * memcached keeps a value with a stale window for `ttl` plus that window, and its expiry is a signed 32-bit
 * Unix time: the sum must fit as well as each part.
 *
 * @throws RangeError when `ttl` plus the longest window would expire after 2038-01-19 (a signed 32-bit Unix time).
 */
function checkFits(freshness: Freshness): Freshness {
  const window = Math.max(freshness.staleWhileRevalidateMs, freshness.staleIfErrorMs);
  if (freshness.ttl !== 0 && window > 0) {
    checkTtl(
      'ttl` plus the longest stale window (`staleWhileRevalidate`, `staleIfError`)',
      freshness.ttl + Math.ceil(window / 1000),
    );
  }
  return freshness;
}

/**
 * Plans one write. The jitter shortens the fresh ttl; with a stale window the value carries its
 * fresh-until time (exact to the ms, on the writer's clock) and memcached keeps it for the ttl plus
 * the longest window, so that a reader allowing stale values can still find it.
 */
export function planWrite(freshness: Freshness): WritePlan {
  const { ttl, ttlJitter } = freshness;
  if (ttl === 0) return { expiry: 0, freshUntil: undefined };
  const window = Math.max(freshness.staleWhileRevalidateMs, freshness.staleIfErrorMs);
  if (ttlJitter === 0 && window === 0) return { expiry: toExpiry(ttl), freshUntil: undefined };
  const freshMs = ttl * 1000 * (1 - ttlJitter * Math.random());
  // memcached counts whole seconds: round up, so that the value outlives its fresh time.
  const expiry = toExpiry(Math.ceil((freshMs + window) / 1000));
  return { expiry, freshUntil: window === 0 ? undefined : Date.now() + freshMs };
}

/**
 * How long ago stored bytes stopped being fresh, in ms: negative (or `-Infinity`) while fresh.
 * Values written without a stale window are fresh until memcached expires them.
 * @internal
 */
export function staleFor(bytes: Buffer): number {
  const freshUntil = freshUntilOf(bytes);
  return freshUntil === Number.POSITIVE_INFINITY ? Number.NEGATIVE_INFINITY : Date.now() - freshUntil;
}
