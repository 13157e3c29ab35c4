/**
 * `npm run demo`: runs the examples against MEMCACHED_SERVERS, or against a throwaway memcached
 * started on 127.0.0.1 the same way the tests start theirs.
 */
import { type CacheStats, type OperationContext, operationChannel } from 'memjs-namespaces';
import { hasMemcached, INSTALL_HINT, type MemcachedServer, startMemcached } from '../scripts/memcached.js';
import { cacheManager } from './cache-manager.js';
import { fleet } from './fleet.js';
import { multiTenant } from './multi-tenant.js';
import { productCatalogue } from './product-catalogue.js';
import { tags } from './tags.js';

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

// The tracing channel, as an APM tool would use it: here it only counts operations by outcome.
const seen = new Map<string, number>();
const count = (message: unknown): void => {
  const { operation, outcome } = message as OperationContext;
  seen.set(`${operation} ${outcome}`, (seen.get(`${operation} ${outcome}`) ?? 0) + 1);
};
operationChannel.asyncEnd.subscribe(count);

/** The counters that moved, on one line (and the errors, if any). */
function describeStats(stats: CacheStats): string {
  const { errors, protocol: _, ...counters } = stats;
  const moved = Object.entries(counters).filter(([, value]) => value > 0);
  const failed = Object.entries(errors).filter(([, value]) => value > 0);
  return [...moved, ...failed].map(([name, value]) => `${name} ${value}`).join(', ') || 'nothing';
}

try {
  const tenants = await multiTenant(servers);
  const shop = await productCatalogue(servers);
  console.log('\n== Observability: cache.stats() of each run ==');
  console.log(`  multi-tenant: ${describeStats(tenants)}`);
  console.log(`  catalogue:    ${describeStats(shop)}`);
  console.log("  channel 'memjs-namespaces:operation' saw:");
  for (const [call, times] of seen) console.log(`    ${call} × ${times}`);
  await tags(servers);
  await fleet(servers);
  await cacheManager(servers);
} finally {
  operationChannel.asyncEnd.unsubscribe(count);
  await server?.stop();
}
