import { afterEach } from 'vitest';
import { type MemcachedOptions, type MemcachedServer, startMemcached } from '../../scripts/memcached.js';

const started: MemcachedServer[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((server) => server.stop()));
});

/** A memcached of this test's own, to pause, kill or restart; stopped after the test. */
export async function privateMemcached(options: MemcachedOptions = {}): Promise<MemcachedServer> {
  const server = await startMemcached(options);
  started.push(server);
  return server;
}
