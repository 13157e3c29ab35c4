// Adversarial: tagged writes and reads while memcached (or one server of a pool) fails. A failed tag
// read must fail open (false / the loader's value), never throw out of a socket callback.
import { describe, expect, it } from 'vitest';
import { freePort } from '../../../scripts/memcached.js';
import { NamespacedCache } from '../../../src/index.js';
import { randomPrefix } from '../../support/cache.js';
import { privateMemcached } from '../../support/servers.js';
import { collectUncaught } from '../../support/uncaught.js';

const uncaught = collectUncaught();

const settleTicks = () => new Promise((resolve) => setTimeout(resolve, 50));

describe('tag reads that fail never throw out of a callback', () => {
  it('set with tags while memcached is down resolves false and throws nothing uncaught', async () => {
    const cache = new NamespacedCache({
      servers: `127.0.0.1:${await freePort()}`,
      prefix: randomPrefix(),
      timeout: 0.3,
    });
    const result = await cache.set('ns', 'k', 'v', { tags: ['t'] });
    await settleTicks();
    await cache.close();
    expect(uncaught.map(String)).toEqual([]);
    expect(result).toBe(false);
  });

  it('setMulti with tags while memcached is down resolves false and throws nothing uncaught', async () => {
    const cache = new NamespacedCache({
      servers: `127.0.0.1:${await freePort()}`,
      prefix: randomPrefix(),
      timeout: 0.3,
    });
    const result = await cache.setMulti('ns', { a: 1, b: 2 }, { tags: ['t'] });
    await settleTicks();
    await cache.close();
    expect(uncaught.map(String)).toEqual([]);
    expect(result).toBe(false);
  });

  it('set with tags while memcached is frozen resolves false and throws nothing uncaught', async () => {
    const server = await privateMemcached();
    const cache = new NamespacedCache({ servers: server.servers, prefix: randomPrefix(), timeout: 0.3 });
    await cache.set('ns', 'k', 'v', { tags: ['t'] });
    await server.pause();
    const result = await cache.set('ns', 'k', 'v2', { tags: ['t'] });
    await settleTicks();
    server.resume();
    await cache.close();
    expect(uncaught.map(String)).toEqual([]);
    expect(result).toBe(false);
  });

  it('getOrSet with tags in a pool with a dead server: the loader value, nothing uncaught', async () => {
    const live = await privateMemcached();
    const deadPort = await freePort();
    const cache = new NamespacedCache({
      servers: `${live.servers},127.0.0.1:${deadPort}`,
      prefix: randomPrefix(),
      timeout: 0.3,
    });
    const tags = Array.from({ length: 16 }, (_, index) => `tag-${index}`); // some live on the dead server
    // 40 namespaces: in some the token lives on the live server, so the read gets past the token.
    const values = await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        Promise.race([
          cache.getOrSet(`ns${index}`, 'k', async () => `v${index}`, { tags }).catch((error: unknown) => error),
          new Promise((resolve) => setTimeout(() => resolve('hung for 2 s'), 2000)),
        ]),
      ),
    );
    await settleTicks();
    void cache.close();
    expect(uncaught.map(String)).toEqual([]);
    expect(values).toEqual(Array.from({ length: 40 }, (_, index) => `v${index}`));
  });
});
