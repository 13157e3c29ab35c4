import type { TestProject } from 'vitest/node';
import { hasMemcached, INSTALL_HINT, startMemcached } from '../scripts/memcached.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `host:port` of the memcached shared by the test files. */
    memcachedServers: string;
  }
}

/** Provides a memcached to every test file: MEMCACHED_SERVERS if set, else a throwaway one. */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const configured = process.env.MEMCACHED_SERVERS;
  if (configured) {
    project.provide('memcachedServers', configured);
    return undefined;
  }
  if (!hasMemcached()) throw new Error(INSTALL_HINT);
  const server = await startMemcached();
  project.provide('memcachedServers', server.servers);
  return () => server.stop();
}
