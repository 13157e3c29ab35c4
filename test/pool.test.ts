import { performance } from 'node:perf_hooks';
import memjs from 'memjs';
import { describe, expect, it } from 'vitest';
import type { MemcachedServer } from '../scripts/memcached.js';
import { loadHasher } from '../src/hash.js';
import { NamespacedCache, useConsistentHashing } from '../src/index.js';
import { encodePath, KeySpace } from '../src/keys.js';
import { rendezvousHashing } from '../src/pool.js';
import { errorLog, randomPrefix, rawClient } from './support/cache.js';
import { plainProtocolOptions } from './support/protocol.js';
import { privateMemcached } from './support/servers.js';

/** memjs' own mapping, for comparison (memjs/lib/memjs/utils.js hashCode, then % n). */
function memjsModulo(key: string, servers: number): number {
  let hash = 0;
  for (let index = 0; index < key.length; index += 1) hash = (31 * hash + key.charCodeAt(index)) << 0;
  return Math.abs(hash) % servers;
}

const idsOf = (servers: readonly MemcachedServer[]) => servers.map((server) => server.servers);

/** The memcached data keys of `keys` in a one-level namespace, as the cache computes them. */
async function dataKeysOf(prefix: string, namespace: string, token: string, keys: readonly string[]) {
  const space = new KeySpace(prefix, await loadHasher());
  const head = space.dataKeyHead(space.pathDigest(encodePath([namespace])), token);
  return keys.map((key) => head + space.keyHash(key));
}

/** A namespace whose token key both mappings put on the same server, so moving it clears nothing. */
async function namespaceStayingOn(prefix: string, accept: (tokenKey: string) => boolean): Promise<string> {
  const space = new KeySpace(prefix, await loadHasher());
  for (let candidate = 0; ; candidate += 1) {
    if (accept(space.tokenKey(space.pathDigest(encodePath([`ns-${candidate}`]))))) return `ns-${candidate}`;
  }
}

describe('rendezvous hashing', () => {
  const keys = Array.from({ length: 30_000 }, (_, index) => `app:5e884898da280471:2c26b46b68ffc68f:${index}`);

  it('balances keys and moves about 1/n of them when a server joins, only its own when one leaves', () => {
    const three = rendezvousHashing(['a:1', 'b:1', 'c:1']);
    const four = rendezvousHashing(['a:1', 'b:1', 'c:1', 'd:1']);
    const withoutB = rendezvousHashing(['a:1', 'c:1']);
    const counts = [0, 0, 0];
    let moved = 0;
    for (const key of keys) {
      const server = three(key);
      counts[server] = (counts[server] as number) + 1;
      if (four(key) !== server) {
        moved += 1;
        expect(four(key)).toBe(3); // a key only ever moves to the new server
      }
      // Removing b: keys of a and c stay where they are.
      const idOnThree = ['a:1', 'b:1', 'c:1'][server];
      if (idOnThree !== 'b:1') expect(['a:1', 'c:1'][withoutB(key)]).toBe(idOnThree);
    }
    for (const count of counts) expect(count / keys.length).toBeCloseTo(1 / 3, 1);
    expect(moved / keys.length).toBeGreaterThan(0.2);
    expect(moved / keys.length).toBeLessThan(0.3);
    // memjs' hash % n would move about three quarters.
    const modMoved = keys.filter((key) => memjsModulo(key, 3) !== memjsModulo(key, 4)).length;
    expect(modMoved / keys.length).toBeGreaterThan(0.6);
  });

  it('depends on server names, not on their order', () => {
    const forward = rendezvousHashing(['a:1', 'b:1', 'c:1']);
    const backward = rendezvousHashing(['c:1', 'b:1', 'a:1']);
    for (const key of keys.slice(0, 2000)) {
      expect(['a:1', 'b:1', 'c:1'][forward(key)]).toBe(['c:1', 'b:1', 'a:1'][backward(key)]);
    }
  });
});

describe('a pool of memcached servers', () => {
  it('keeps serving the keys of the other servers when one is killed under load', async (context) => {
    const servers = await Promise.all([
      privateMemcached({ tls: undefined }),
      privateMemcached({ tls: undefined }),
      privateMemcached({ tls: undefined }),
    ]);
    const ids = idsOf(servers);
    const mapping = rendezvousHashing(ids);
    const prefix = randomPrefix();
    const log = errorLog();
    const cache = new NamespacedCache({
      ...plainProtocolOptions(),
      servers: ids,
      prefix,
      timeout: 0.3,
      onError: log.onError,
    });
    // Its token must survive the kill of server 2, or the whole namespace goes with it.
    const namespace = await namespaceStayingOn(prefix, (tokenKey) => mapping(tokenKey) !== 2);
    const keys = Array.from({ length: 90 }, (_, index) => `key-${index}`);
    expect(await cache.setMulti(namespace, Object.fromEntries(keys.map((key) => [key, key])))).toBe(true);

    const inspector = rawClient(ids.join(','));
    useConsistentHashing(inspector);
    const space = new KeySpace(prefix, await loadHasher());
    const token = String((await inspector.get(space.tokenKey(space.pathDigest(encodePath([namespace]))))).value);
    const dataKeys = await dataKeysOf(prefix, namespace, token, keys);
    const onLiveServers = keys.filter((_, index) => mapping(dataKeys[index] as string) !== 2);
    expect(onLiveServers.length).toBeGreaterThan(40);
    expect(onLiveServers.length).toBeLessThan(80);

    // Load on every key while server 2 dies.
    let running = true;
    let longestMs = 0;
    const load = Array.from({ length: 8 }, async (_, worker) => {
      for (let round = 0; running; round += 1) {
        const started = performance.now();
        await cache.get(namespace, keys[(worker * 11 + round) % keys.length] as string);
        longestMs = Math.max(longestMs, performance.now() - started);
      }
    });
    await servers[2]?.kill();
    await log.until(10);
    const found = await cache.getMulti<string>(namespace, keys);
    running = false;
    await Promise.all(load);

    expect([...found.keys()].sort()).toEqual([...onLiveServers].sort());
    for (const key of onLiveServers) expect(await cache.get(namespace, key)).toBe(key);
    expect(longestMs).toBeLessThan(300 + 200);
    await context.annotate(`${onLiveServers.length} of 90 keys on the live servers, all still served`);
    await cache.close();
  });

  it('moves at most 35% of the keys when a fourth server joins (measured on real servers)', async (context) => {
    const servers = await Promise.all([
      privateMemcached({ tls: undefined }),
      privateMemcached({ tls: undefined }),
      privateMemcached({ tls: undefined }),
      privateMemcached({ tls: undefined }),
    ]);
    const ids = idsOf(servers);
    const three = rendezvousHashing(ids.slice(0, 3));
    const four = rendezvousHashing(ids);
    const prefix = randomPrefix();
    const namespace = await namespaceStayingOn(prefix, (tokenKey) => three(tokenKey) === four(tokenKey));
    const keys = Array.from({ length: 2000 }, (_, index) => `key-${index}`);

    const before = new NamespacedCache({ ...plainProtocolOptions(), servers: ids.slice(0, 3), prefix });
    expect(await before.setMulti(namespace, Object.fromEntries(keys.map((key) => [key, key])))).toBe(true);
    const after = new NamespacedCache({ ...plainProtocolOptions(), servers: ids, prefix });
    const stillFound = (await after.getMulti(namespace, keys)).size;
    const moved = 1 - stillFound / keys.length;
    expect(moved).toBeGreaterThan(0.15);
    expect(moved).toBeLessThanOrEqual(0.35);

    const inspector = memjs.Client.create(ids.join(','), { logger: { log() {} } });
    useConsistentHashing(inspector);
    const space = new KeySpace(prefix, await loadHasher());
    const token = String((await inspector.get(space.tokenKey(space.pathDigest(encodePath([namespace]))))).value);
    inspector.close();
    const dataKeys = await dataKeysOf(prefix, namespace, token, keys);
    const moduloMoved = dataKeys.filter((key) => memjsModulo(key, 3) !== memjsModulo(key, 4)).length / keys.length;
    await context.annotate(
      `adding a 4th server moved ${(moved * 100).toFixed(1)}% of 2000 keys (memjs' hash % n: ${(moduloMoved * 100).toFixed(1)}%)`,
    );
    await Promise.all([before.close(), after.close()]);
  });
});
