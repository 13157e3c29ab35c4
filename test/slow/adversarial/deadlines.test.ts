// Adversarial: the new multi-round-trip calls (soft clears: 3 round trips; soft tag invalidations:
// read + CAS per tag; getEntry with read-time tags: 2 round trips; getOrSet reading the previous
// generation) against a frozen (SIGSTOP) memcached: each must settle within about `timeout`.
import { describe, expect, it } from 'vitest';
import { NamespacedCache } from '../../../src/index.js';
import { randomPrefix } from '../../support/cache.js';
import { privateMemcached } from '../../support/servers.js';

const TIMEOUT_S = 0.4;
const BOUND_MS = TIMEOUT_S * 1000 * 1.05 + 50 + 150; // the documented margin, plus scheduling slack

async function timed(call: () => Promise<unknown>): Promise<{ ms: number; outcome: string }> {
  const started = performance.now();
  const outcome = await call().then(
    () => 'resolved',
    (error: unknown) => `rejected ${(error as { code?: string }).code ?? String(error)}`,
  );
  return { ms: performance.now() - started, outcome };
}

describe('deadlines of the new calls against a frozen memcached', () => {
  const cases: [string, (cache: NamespacedCache) => Promise<unknown>, RegExp][] = [
    ['deleteNamespace soft', (cache) => cache.deleteNamespace('ns', { staleFor: 30 }), /rejected E_/],
    [
      'invalidateTags soft, 128 tags',
      (cache) =>
        cache.invalidateTags(
          Array.from({ length: 128 }, (_, i) => `t${i}`),
          { staleFor: 30 },
        ),
      /rejected E_/,
    ],
    ['invalidateTags hard', (cache) => cache.invalidateTags(['a', 'b']), /rejected E_/],
    [
      'getEntry with read-time tags',
      (cache) => cache.getEntry('ns', 'k', { tags: ['_N_T_/a', '_N_T_/b'] }),
      /resolved/,
    ],
    ['getTagStates', (cache) => cache.getTagStates(['a']), /rejected E_/],
    ['getOrSet with tags', (cache) => cache.getOrSet('ns', 'k', async () => 'v', { tags: ['t'] }), /resolved/],
    ['set with tags', (cache) => cache.set('ns', 'k', 'v', { tags: ['t'] }), /resolved/],
    ['getMulti of tagged items', (cache) => cache.getMulti('ns', ['k', 'j']), /resolved/],
  ];
  for (const [name, call, expected] of cases) {
    it(`${name} settles within timeout (+ margin)`, async () => {
      const server = await privateMemcached();
      const cache = new NamespacedCache({ servers: server.servers, prefix: randomPrefix(), timeout: TIMEOUT_S });
      try {
        // Warm: the namespace token, tags and the item exist, so the call gets past its first step.
        await cache.set('ns', 'k', 'v', { tags: ['t', '_N_T_/a'] });
        await cache.set('ns', 'j', 'v', { tags: ['t'] });
        await cache.get('ns', 'k');
        await server.pause();
        const { ms, outcome } = await timed(() => call(cache));
        server.resume();
        expect(outcome).toMatch(expected);
        expect(ms).toBeLessThan(BOUND_MS);
      } finally {
        server.resume();
        await cache.close();
      }
    });
  }

  it('a soft clear whose server freezes after its first round trip still settles within timeout', async () => {
    const server = await privateMemcached();
    const cache = new NamespacedCache({ servers: server.servers, prefix: randomPrefix(), timeout: TIMEOUT_S });
    try {
      await cache.set('ns', 'k', 'v');
      const started = performance.now();
      const clearing = cache.deleteNamespace('ns', { staleFor: 30 }).then(
        () => 'resolved',
        () => 'rejected',
      );
      const pausing = new Promise<void>((resolve) => setTimeout(() => void server.pause().then(resolve), 1));
      await clearing;
      await pausing;
      expect(performance.now() - started).toBeLessThan(BOUND_MS);
    } finally {
      server.resume();
      await cache.close();
    }
  });
});
