/**
 * The multi-tenant case: several tenants share one memcached (and one application). Clearing
 * everything of one tenant must not touch the others, and must not need a flush.
 */
import { type CacheStats, NamespacedCache } from 'memjs-namespaces';

/** Runs the example; resolves the cache's counters. */
export async function multiTenant(servers: string): Promise<CacheStats> {
  const cache = new NamespacedCache({ servers, prefix: 'demo-saas' });
  const show = async (label: string): Promise<void> => {
    const lisboaProduct = await cache.get(['tenant:lisboa', 'products'], 'p1');
    const lisboaTheme = await cache.get(['tenant:lisboa', 'settings'], 'theme');
    const portoProduct = await cache.get(['tenant:porto', 'products'], 'p1');
    console.log(`  ${label}`);
    console.log(`    lisboa products/p1 = ${JSON.stringify(lisboaProduct)}`);
    console.log(`    lisboa settings/theme = ${JSON.stringify(lisboaTheme)}`);
    console.log(`    porto  products/p1 = ${JSON.stringify(portoProduct)}`);
  };

  console.log('\n== Multi-tenant: two tenants on one memcached ==');
  await cache.set(['tenant:lisboa', 'products'], 'p1', { name: 'Guitar', price: 5000 });
  await cache.set(['tenant:lisboa', 'settings'], 'theme', 'dark');
  await cache.set(['tenant:porto', 'products'], 'p1', { name: 'Piano', price: 12000 });
  await show('both tenants cached:');

  console.log("  deleteNamespace('tenant:lisboa')  -- one write clears lisboa and everything below it");
  await cache.deleteNamespace('tenant:lisboa');
  await show('after clearing lisboa:');
  const stats = cache.stats();
  await cache.close();
  return stats;
}
