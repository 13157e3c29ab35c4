import { afterEach } from 'vitest';
import { freePort, type MemcachedOptions, type MemcachedServer, startMemcached } from '../../scripts/memcached.js';
import { protocol, tlsFiles } from './protocol.js';

const started: MemcachedServer[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((server) => server.stop()));
});

/**
 * A memcached of this test's own, to pause, kill or restart; stopped after the test. Under the tls
 * protocol it serves TLS with the test certificate.
 */
export async function privateMemcached(options: MemcachedOptions = {}): Promise<MemcachedServer> {
  const tls = protocol === 'tls' && tlsFiles !== undefined ? { cert: tlsFiles.cert, key: tlsFiles.key } : undefined;
  const plainPort = tls === undefined ? undefined : await freePort();
  const server = await startMemcached({ tls, plainPort, ...options });
  started.push(server);
  return server;
}
