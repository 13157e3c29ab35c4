// Adversarial: a pool where some tag records live on a dead server (the data and tokens on a live one).
import { describe, expect, it } from 'vitest';
import { freePort } from '../../../scripts/memcached.js';
import { NamespacedCache } from '../../../src/index.js';
import { errorLog, randomPrefix } from '../../support/cache.js';
import { privateMemcached } from '../../support/servers.js';
import { collectUncaught } from '../../support/uncaught.js';

const uncaught = collectUncaught();

const race = <T>(promise: Promise<T>): Promise<T | 'hung'> =>
  Promise.race([promise, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 2000))]);

describe('tag records on a dead server of a pool', () => {
  it('I3: a tagged set that cannot read its tags leaves no older value readable (or reports E_STALE_VALUE), and never hangs', async () => {
    const live = await privateMemcached();
    const log = errorLog();
    const cache = new NamespacedCache({
      servers: `${live.servers},127.0.0.1:${await freePort()}`,
      prefix: randomPrefix(),
      timeout: 0.3,
      onError: log.onError,
    });
    const tags = Array.from({ length: 16 }, (_, index) => `tag-${index}`); // some on the dead server
    const problems: string[] = [];
    for (let index = 0; index < 30; index += 1) {
      const namespace = `ns${index}`;
      if ((await cache.set(namespace, 'k', 'old')) !== true) continue; // its data/token on the dead server
      const errorsBefore = log.errors.length;
      const stored = await race(cache.set(namespace, 'k', 'new', { tags }));
      if (stored === 'hung') {
        problems.push(`${namespace}: set hung`);
        continue;
      }
      if (stored) continue;
      const read = await cache.get(namespace, 'k');
      const reportedStale = log.errors.slice(errorsBefore).some((error) => error.code === 'E_STALE_VALUE');
      if (read === 'old' && !reportedStale) problems.push(`${namespace}: failed set left 'old' readable`);
    }
    void cache.close();
    expect({ uncaught: uncaught.map(String), problems }).toEqual({ uncaught: [], problems: [] });
  });
});
