/**
 * `npm run demo`: runs the examples against MEMCACHED_SERVERS, or against a throwaway memcached
 * started on 127.0.0.1 the same way the tests start theirs.
 */
import { hasMemcached, INSTALL_HINT, type MemcachedServer, startMemcached } from '../scripts/memcached.js';
import { cacheManager } from './cache-manager.js';
import { multiTenant } from './multi-tenant.js';
import { productCatalogue } from './product-catalogue.js';

let server: MemcachedServer | undefined;
let servers = process.env.MEMCACHED_SERVERS;
if (!servers) {
  if (!hasMemcached()) {
    console.error(INSTALL_HINT);
    process.exit(1);
  }
  server = await startMemcached();
  servers = server.servers;
  console.log(`Started a throwaway memcached on ${servers} (set MEMCACHED_SERVERS to use your own).`);
}

try {
  await multiTenant(servers);
  await productCatalogue(servers);
  await cacheManager(servers);
} finally {
  await server?.stop();
}
