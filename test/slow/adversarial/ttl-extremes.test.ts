// Adversarial: TTLs past memcached's 32-bit expiry field, through the cache and the Keyv store.
import Keyv from 'keyv';
import { describe, expect, it } from 'vitest';
import { NamespacedKeyvStore } from '../../../src/keyv/index.js';
import { makeCache } from '../../support/cache.js';

const HUGE = [2 ** 32, 1e10, Number.MAX_SAFE_INTEGER];

describe('TTLs beyond the 32-bit expiry field', () => {
  for (const ttl of HUGE) {
    it(`set with ttl ${ttl}: either refused up front (RangeError) or stored and readable`, async () => {
      const cache = makeCache();
      const outcome = await cache.set('ns', 'k', 'v', { ttl }).then(
        (stored) => ({ stored }),
        (error: unknown) => ({ error: (error as Error).name }),
      );
      if ('error' in outcome) expect(outcome.error).toBe('RangeError');
      else {
        expect(outcome.stored).toBe(true);
        expect(await cache.get('ns', 'k')).toBe('v');
      }
    });
  }

  it('getOrSet with a huge ttl returns its value and caches it (or refuses up front)', async () => {
    const cache = makeCache();
    const outcome = await cache
      .getOrSet('ns', 'k', async () => 'v', { ttl: 1e10 })
      .then(
        (value) => ({ value }),
        (error: unknown) => ({ error: (error as Error).name }),
      );
    if ('error' in outcome) expect(outcome.error).toBe('RangeError');
    else expect(await cache.get('ns', 'k')).toBe('v');
  });

  it('Keyv with a TTL of 1e13 ms (317 years) stores and reads back', async () => {
    const store = new NamespacedKeyvStore(makeCache());
    const keyv = new Keyv({ store, namespace: 'kv', throwOnErrors: true });
    const outcome = await keyv.set('k', 'v', 1e13).then(
      (stored) => ({ stored }),
      (error: unknown) => ({ error: (error as Error).name }),
    );
    if ('error' in outcome) expect(outcome.error).toBe('RangeError');
    else expect(await keyv.get('k')).toBe('v');
  });

  it('deleteNamespace staleFor at its maximum (30 days): the soft window record is kept', async () => {
    const cache = makeCache();
    await cache.set('ns', 'k', 'old');
    await cache.deleteNamespace('ns', { staleFor: 2_592_000 });
    expect((await cache.getEntry('ns', 'k'))?.state).toBe('stale');
    expect(await cache.getOrSet('ns', 'k', async () => 'new')).toBe('old');
  });
});
