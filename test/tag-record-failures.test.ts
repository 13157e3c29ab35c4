import { describe, expect, it } from 'vitest';
import { freePort } from '../scripts/memcached.js';
import { NamespacedCache } from '../src/index.js';
import { errorLog, randomPrefix } from './support/cache.js';
import { protocolOptions } from './support/protocol.js';
import { privateMemcached } from './support/servers.js';
import { collectUncaught } from './support/uncaught.js';

const uncaught = collectUncaught();

const HUNG = 'hung for 2 s';
const bounded = <T>(promise: Promise<T>): Promise<T | typeof HUNG> =>
  Promise.race([promise, new Promise<typeof HUNG>((resolve) => setTimeout(() => resolve(HUNG), 2000))]);

/** A pool of a live and a dead server, and 40 tags: some of their records live on the dead one. */
async function halfDeadPool() {
  const live = await privateMemcached();
  const log = errorLog();
  const cache = new NamespacedCache({
    servers: `${live.servers},127.0.0.1:${await freePort()}`,
    ...protocolOptions(), // under tls, the private server speaks TLS only
    prefix: randomPrefix(),
    timeout: 0.3,
    onError: log.onError,
  });
  const tags = Array.from({ length: 40 }, (_, index) => `tag-${index}`);
  return { cache, log, tags };
}

describe('tag records that cannot be read', () => {
  it('a tagged set resolves false, throws nothing, and leaves no older value readable (I3)', async () => {
    const { cache, log, tags } = await halfDeadPool();
    let checked = 0;
    // About one namespace in four has its token and value on the live server: try until three did.
    for (let index = 0; index < 60 && checked < 3; index += 1) {
      const namespace = `ns${index}`;
      if ((await cache.set(namespace, 'k', 'old')) !== true) continue; // its token or data on the dead server
      for (const write of [
        () => cache.set(namespace, 'k', 'new', { tags }),
        () => cache.setMulti(namespace, { k: 'new' }, { tags }),
      ]) {
        expect(await cache.set(namespace, 'k', 'old')).toBe(true);
        const errorsBefore = log.errors.length;
        expect(await bounded(write())).toBe(false);
        const reportedStale = log.errors.slice(errorsBefore).some((error) => error.code === 'E_STALE_VALUE');
        if (!reportedStale) expect(await cache.get(namespace, 'k')).toBeUndefined();
      }
      checked += 1;
    }
    await cache.close();
    expect(checked).toBeGreaterThan(0);
    expect(uncaught.map(String)).toEqual([]);
  });

  it('getOrSet with declared tags returns the loader value and does not cache it', async () => {
    const { cache, log, tags } = await halfDeadPool();
    let checked = 0;
    for (let index = 0; index < 60 && checked < 3; index += 1) {
      const namespace = `ns${index}`;
      if ((await cache.set(namespace, 'probe', 1)) !== true) continue; // its token or data on the dead server
      let loads = 0;
      const load = async () => {
        loads += 1;
        return `v${loads}`;
      };
      expect(await bounded(cache.getOrSet(namespace, 'k', load, { tags }))).toBe('v1');
      expect(await bounded(cache.getOrSet(namespace, 'k', load, { tags }))).toBe('v2');
      checked += 1;
    }
    await cache.close();
    expect(checked).toBeGreaterThan(0);
    expect(log.errors.length).toBeGreaterThan(0);
    expect(uncaught.map(String)).toEqual([]);
  });
});
