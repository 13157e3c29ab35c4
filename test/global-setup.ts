import type { TestProject } from 'vitest/node';
import { makeCertificates } from '../scripts/certs.js';
import { freePort, hasMemcached, INSTALL_HINT, type MemcachedServer, startMemcached } from '../scripts/memcached.js';
import { startTwemproxy } from '../scripts/twemproxy.js';

/** The protocols the suites run on (`MEMCACHED_PROTOCOL`): text goes through twemproxy. */
export type TestProtocol = 'meta' | 'binary' | 'text' | 'tls';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `host:port` of the memcached shared by the test files, without TLS (raw memjs clients use it). */
    memcachedServers: string;
    /** `host:port` the caches under test connect to (twemproxy for text, the TLS port for tls). */
    cacheServers: string;
    memcachedProtocol: TestProtocol;
    /** The test CA (PEM) and the files of a server certificate, for tls. */
    tls: { ca: string; caFile: string; cert: string; key: string; dir: string } | undefined;
  }
}

const PROTOCOLS: readonly string[] = ['meta', 'binary', 'text', 'tls'];

/** Provides a memcached to every test file: MEMCACHED_SERVERS if set, else a throwaway one. */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const protocol = (process.env.MEMCACHED_PROTOCOL || 'meta') as TestProtocol;
  if (!PROTOCOLS.includes(protocol)) throw new Error(`MEMCACHED_PROTOCOL must be one of ${PROTOCOLS.join(', ')}`);
  project.provide('memcachedProtocol', protocol);
  project.provide('tls', undefined);
  const configured = process.env.MEMCACHED_SERVERS;
  if (configured && protocol !== 'tls' && protocol !== 'text') {
    project.provide('memcachedServers', configured);
    project.provide('cacheServers', configured);
    return undefined;
  }
  if (!hasMemcached()) throw new Error(INSTALL_HINT);
  const stops: (() => Promise<void>)[] = [];
  let server: MemcachedServer;
  if (protocol === 'tls') {
    const certs = makeCertificates();
    const plainPort = await freePort();
    server = await startMemcached({ tls: { cert: certs.server.cert, key: certs.server.key }, plainPort });
    project.provide('memcachedServers', `127.0.0.1:${plainPort}`);
    project.provide('cacheServers', server.servers);
    project.provide('tls', { ca: certs.ca, caFile: certs.caFile, ...certs.server, dir: certs.dir });
  } else {
    server = await startMemcached();
    project.provide('memcachedServers', server.servers);
    project.provide('cacheServers', server.servers);
  }
  stops.push(() => server.stop());
  if (protocol === 'text') {
    const proxy = await startTwemproxy([server.servers]);
    stops.push(() => proxy.stop());
    project.provide('cacheServers', proxy.servers);
  }
  return async () => {
    for (const stop of stops.reverse()) await stop();
  };
}
