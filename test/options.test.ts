import memjs from 'memjs';
import { describe, expect, it, vi } from 'vitest';
import { checkTtl, toExpiry } from '../src/expiry.js';
import { NamespacedCache, type NamespacedCacheOptions } from '../src/index.js';
import { resolveOptions } from '../src/settings.js';

describe('options', () => {
  it('applies the documented defaults', () => {
    const settings = resolveOptions({});
    expect(settings).toMatchObject({
      prefix: 'ns',
      ttl: 86_400,
      tokenTtl: 0,
      timeoutMs: 1000,
      failOpen: true,
      tokenCacheTtlMs: 0,
      client: undefined,
      servers: undefined,
    });
  });

  it.each<[string, unknown, ErrorConstructor, string]>([
    ['ttl', -1, RangeError, 'Expected `ttl` to be a non-negative number of seconds (0 = never expires), got -1'],
    ['ttl', '60', TypeError, 'Expected `ttl` to be a non-negative number of seconds (0 = never expires), got "60"'],
    ['ttl', Number.NaN, RangeError, 'got NaN'],
    ['ttl', Number.POSITIVE_INFINITY, RangeError, 'got Infinity'],
    ['tokenTtl', 60, RangeError, 'Expected `tokenTtl` to be 0 (never expires) or at least `ttl` (86400)'],
    ['timeout', 0, RangeError, 'Expected `timeout` to be a number of seconds > 0'],
    ['timeout', -0.5, RangeError, 'got -0.5'],
    ['tokenCacheTtl', -1, RangeError, 'Expected `tokenCacheTtl` to be a number of seconds >= 0'],
    ['failOpen', 'yes', TypeError, 'Expected `failOpen` to be a boolean, got "yes"'],
    ['onError', 'log', TypeError, 'Expected `onError` to be a function, got "log"'],
    ['prefix', '', TypeError, 'Expected `prefix` to be 1 to 183 printable ASCII characters without spaces, got ""'],
    ['prefix', 'my app', TypeError, 'got "my app"'],
    ['prefix', 'app\n', TypeError, 'printable ASCII'],
    ['prefix', 'é', TypeError, 'printable ASCII'],
    ['prefix', 'p'.repeat(184), TypeError, '1 to 183 printable ASCII'],
    ['servers', '', TypeError, "Expected `servers` to be 'host:port,host:port' or an array of 'host:port'"],
    ['servers', ['a:1', 'b 2'], TypeError, "or an array of 'host:port'"],
    ['servers', 11211, TypeError, 'got 11211'],
  ])('rejects %s = %o with a %s that says what was expected', (name, value, kind, message) => {
    const options = { [name]: value } as NamespacedCacheOptions;
    expect(() => resolveOptions(options)).toThrow(kind);
    expect(() => resolveOptions(options)).toThrow(message);
  });

  it('accepts the longest prefix and tokenTtl equal to ttl or 0', () => {
    expect(resolveOptions({ prefix: 'p'.repeat(183) }).prefix).toHaveLength(183);
    expect(resolveOptions({ ttl: 60, tokenTtl: 60 }).tokenTtl).toBe(60);
    expect(resolveOptions({ ttl: 0, tokenTtl: 0 }).ttl).toBe(0);
    expect(() => resolveOptions({ ttl: 0, tokenTtl: 3600 })).toThrow('at least `ttl` (0, never)');
  });

  it('names memjs habits and refuses unknown options', () => {
    expect(() => resolveOptions({ expires: 60 } as NamespacedCacheOptions)).toThrow(
      'Unknown option `expires`; did you mean `ttl`?',
    );
    expect(() => resolveOptions({ tll: 60 } as NamespacedCacheOptions)).toThrow('Unknown option `tll`');
  });

  it('refuses client and servers together, and a client that is not a memjs client', () => {
    const client = memjs.Client.create('127.0.0.1:1');
    expect(() => resolveOptions({ client, servers: '127.0.0.1:1' } as unknown as NamespacedCacheOptions)).toThrow(
      'Expected either `client` or `servers`, not both',
    );
    expect(() => new NamespacedCache({ client: {} as memjs.Client })).toThrow(
      'Expected `client` to be a memjs Client (memjs.Client.create(...)), got an object',
    );
    client.close();
  });

  it('joins an array of servers the way memjs takes them', () => {
    expect(resolveOptions({ servers: ['127.0.0.1:1', '127.0.0.1:2'] }).servers).toBe('127.0.0.1:1,127.0.0.1:2');
  });
});

describe('ttl', () => {
  it('rounds fractions up, so a short TTL never becomes "never expires"', () => {
    expect(checkTtl('ttl', 0.2)).toBe(1);
    expect(checkTtl('ttl', 0)).toBe(0);
    expect(checkTtl('ttl', 59.01)).toBe(60);
  });

  it('sends TTLs up to 30 days as durations and longer ones as absolute Unix times', () => {
    vi.useFakeTimers({ now: new Date('2026-11-21T00:00:00Z'), toFake: ['Date'] });
    try {
      const nowSeconds = Math.floor(Date.now() / 1000);
      expect(toExpiry(0)).toBe(0);
      expect(toExpiry(2_592_000)).toBe(2_592_000);
      expect(toExpiry(2_592_001)).toBe(nowSeconds + 2_592_001);
      expect(() => checkTtl('ttl', 2 ** 32)).toThrow('signed 32-bit Unix time');
    } finally {
      vi.useRealTimers();
    }
  });
});
