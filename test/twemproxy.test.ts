import { afterEach, describe, expect, it } from 'vitest';
import { startFleet } from '../scripts/fleet/fleet.js';
import { startTwemproxy, type Twemproxy } from '../scripts/twemproxy.js';
import { NamespacedCache } from '../src/index.js';
import { errorLog, randomPrefix } from './support/cache.js';
import { privateMemcached } from './support/servers.js';

const proxies: Twemproxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((proxy) => proxy.stop()));
});

/** twemproxy in front of three memcached of this test's own (plain TCP: twemproxy has no TLS). */
async function threeBehindTwemproxy() {
  const backends = await Promise.all([0, 1, 2].map(() => privateMemcached({ tls: undefined })));
  const proxy = await startTwemproxy(backends.map((backend) => backend.servers));
  proxies.push(proxy);
  return { backends, proxy };
}

/** A text cache through `proxy`, telling `log`, with a `timeout` (seconds) when given. */
function textCache(proxy: Twemproxy, log: ReturnType<typeof errorLog>, timeout?: number): NamespacedCache {
  return new NamespacedCache({
    servers: proxy.servers,
    protocol: 'text',
    prefix: randomPrefix(),
    ...(timeout === undefined ? {} : { timeout }),
    onError: log.onError,
  });
}

describe('the text protocol through twemproxy in front of three memcached', () => {
  it('does every operation, with the fleet lock released by its owner', async () => {
    const { proxy } = await threeBehindTwemproxy();
    const log = errorLog();
    const cache = textCache(proxy, log);
    const keys = Array.from({ length: 60 }, (_, index) => `k${index}`);
    expect(await cache.setMulti('n', Object.fromEntries(keys.map((key) => [key, { key }])))).toBe(true);
    expect((await cache.getMulti('n', keys)).size).toBe(60);
    expect(await cache.set(['tenant', 'n'], 'k', Buffer.alloc(50_000, 7))).toBe(true);
    expect(await cache.get(['tenant', 'n'], 'k')).toEqual(Buffer.alloc(50_000, 7));
    expect(await cache.delete('n', 'k1')).toBe(true);
    expect(await cache.delete('n', 'k1')).toBe(false);
    expect(await cache.getOrSet('n', 'loaded', () => 'v')).toBe('v');
    // The lock was released (read its CAS, compared, deleted): the next miss takes it at once
    // instead of waiting lockWait for a holder that is gone.
    expect(await cache.delete('n', 'loaded')).toBe(true);
    const started = performance.now();
    expect(await cache.getOrSet('n', 'loaded', () => 'w', { lockWait: 5 })).toBe('w');
    expect(performance.now() - started).toBeLessThan(2000);
    await cache.deleteNamespace('n');
    expect(await cache.get('n', 'k2')).toBeUndefined();
    expect(await cache.get(['tenant', 'n'], 'k')).toEqual(Buffer.alloc(50_000, 7));
    await cache.deleteNamespace('tenant');
    expect(await cache.get(['tenant', 'n'], 'k')).toBeUndefined();
    expect(log.errors).toEqual([]);
    await cache.close();
  });

  it('keeps I1 across processes: a read started after another process cleared never sees the old value', async () => {
    const { proxy } = await threeBehindTwemproxy();
    const prefix = randomPrefix();
    const fleet = await startFleet(2, proxy.servers, prefix, { protocol: 'text' });
    try {
      const [writer, reader] = fleet.workers as [(typeof fleet.workers)[0], (typeof fleet.workers)[0]];
      for (let round = 0; round < 5; round += 1) {
        const loaded = await writer.getOrSet({
          namespace: 'n',
          keys: ['k'],
          callers: 1,
          loader: { ms: 0, value: `v${round}` },
        });
        expect(loaded.results[0]?.value).toBe(`v${round}`);
        expect((await reader.request({ op: 'get', namespace: 'n', key: 'k' })) as unknown).toMatchObject({
          value: `v${round}`,
        });
        await writer.request({ op: 'deleteNamespace', namespace: 'n' });
        expect(
          ((await reader.request({ op: 'get', namespace: 'n', key: 'k' })) as { value?: unknown }).value,
        ).toBeUndefined();
      }
    } finally {
      await fleet.stop();
    }
  });

  it('fails reads open when a backend dies, serves the keys of the others, and refuses invalidations loudly', async () => {
    const { backends, proxy } = await threeBehindTwemproxy();
    const log = errorLog();
    const cache = textCache(proxy, log, 0.5);
    // 48 namespaces: the chance that no token lands on the killed backend, so no rotation can
    // fail, is (2/3)^48 (12 left it at 0.8%, and a CI run met it).
    const namespaces = Array.from({ length: 48 }, (_, index) => `ns${index}`);
    for (const namespace of namespaces) expect(await cache.set(namespace, 'k', namespace)).toBe(true);
    await (backends[0] as (typeof backends)[0]).kill();
    const started = performance.now();
    const values = await Promise.all(namespaces.map((namespace) => cache.get(namespace, 'k')));
    expect(performance.now() - started).toBeLessThan(800);
    const served = values.filter((value) => value !== undefined);
    // Some namespaces live (token and value) on the two others; the rest fail open as misses.
    expect(served.length).toBeGreaterThan(0);
    expect(served.length).toBeLessThan(namespaces.length);
    for (const value of served) expect(namespaces).toContain(value);
    expect(log.errors.length).toBeGreaterThan(0);
    for (const error of log.errors) expect(['E_SERVER', 'E_CONNECTION', 'E_TIMEOUT', 'E_TOKEN']).toContain(error.code);
    const failures = await Promise.allSettled(namespaces.map((namespace) => cache.deleteNamespace(namespace)));
    expect(failures.some((result) => result.status === 'rejected')).toBe(true);
    await cache.close();
  });

  it('with a backend down, gets sent together serve every key of the live backends, and writes beside them succeed', async () => {
    // twemproxy refuses a multi-key get with a key on the dead backend, then closes the connection:
    // the line's gets go again one by one, and nothing is written on the closing connection.
    const { backends, proxy } = await threeBehindTwemproxy();
    const log = errorLog();
    const cache = textCache(proxy, log, 1);
    const keys = Array.from({ length: 60 }, (_, index) => `k${index}`);
    const namespaces = ['n0', 'n1', 'n2', 'n3', 'n4', 'n5'];
    for (const namespace of namespaces) {
      expect(await cache.setMulti(namespace, Object.fromEntries(keys.map((key) => [key, key])))).toBe(true);
    }
    await (backends[0] as (typeof backends)[0]).kill();
    // What gets one at a time (never shared) serve, and keys whose writes succeed one at a time.
    const single = new Map<string, (unknown | undefined)[]>();
    const writable: [string, string][] = [];
    for (const namespace of namespaces) {
      const values: unknown[] = [];
      for (const key of keys) values.push(await cache.get(namespace, key));
      single.set(namespace, values);
      for (const key of keys) {
        if (writable.length < 8 && (await cache.set(namespace, `w-${key}`, 'x')))
          writable.push([namespace, `w-${key}`]);
      }
    }
    expect([...single.values()].flat().some((value) => value !== undefined)).toBe(true);
    expect(writable.length).toBeGreaterThan(0);
    for (let round = 0; round < 5; round += 1) {
      const [together, stored] = await Promise.all([
        Promise.all(namespaces.map((namespace) => Promise.all(keys.map((key) => cache.get(namespace, key))))),
        Promise.all(writable.map(([namespace, key]) => cache.set(namespace, key, `r${round}`))),
      ]);
      namespaces.forEach((namespace, index) => {
        const served = single.get(namespace) as unknown[];
        keys.forEach((key, at) => {
          if (served[at] !== undefined) expect(together[index]?.[at]).toBe(key);
        });
      });
      expect(stored).toEqual(writable.map(() => true));
    }
    await cache.close();
  });
});
