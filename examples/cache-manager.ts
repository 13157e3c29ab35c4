/**
 * cache-manager 7 (and so NestJS's CacheModule) over memcached: two applications share one
 * memcached, each a Keyv namespace. `clear()` of one rotates its namespace token; the other keeps
 * every key. (@keyv/memcache's `clear()` is a `flush`, which would wipe both.)
 */
import { createCache } from 'cache-manager';
import Keyv from 'keyv';
import { NamespacedKeyvStore } from 'memjs-namespaces/keyv';

export async function cacheManager(servers: string): Promise<void> {
  // One store per Keyv: Keyv tells its store its namespace. throwOnErrors: an invalidation
  // (del, clear) that memcached did not acknowledge rejects instead of resolving true.
  const app = (namespace: string) =>
    createCache({
      stores: [
        new Keyv({ store: new NamespacedKeyvStore({ servers, prefix: 'demo-cm' }), namespace, throwOnErrors: true }),
      ],
    });
  const shop = app('shop');
  const blog = app('blog');
  const show = async (label: string): Promise<void> => {
    console.log(`  ${label}`);
    console.log(`    shop: ${JSON.stringify(await shop.mget(['guitar', 'piano']))}`);
    console.log(`    blog: ${JSON.stringify(await blog.get('post:1'))}`);
  };

  console.log('\n== cache-manager 7: two applications on one memcached ==');
  await shop.set('guitar', { price: 5000 }, 60_000); // ttl in milliseconds, as cache-manager takes it
  await shop.wrap('piano', async () => ({ price: 12000 }), 60_000); // loaded once, then cached
  await blog.set('post:1', { title: 'Hello' });
  await show('both cached:');

  console.log("  shop.clear()  -- rotates the 'shop' namespace; no flush");
  await shop.clear();
  await show('after clearing the shop:');
  await Promise.all([shop.disconnect(), blog.disconnect()]);
}
