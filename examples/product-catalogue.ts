/**
 * The product catalogue case: cache products, update and delete single keys, read through to the
 * database, then clear the whole `product` namespace after a bulk import; another application on
 * the same memcached is untouched.
 */
import { type CacheStats, NamespacedCache } from 'memjs-namespaces';

interface Product {
  readonly name: string;
  readonly price: number;
}

/** Stands in for a database: says when it is queried. */
const database: Record<string, Product> = { flute: { name: 'Flute', price: 800 } };
function loadProduct(key: string): Product | undefined {
  console.log(`    (database queried for ${key})`);
  return database[key];
}

/** Runs the example; resolves the shop cache's counters. */
export async function productCatalogue(servers: string): Promise<CacheStats> {
  const shop = new NamespacedCache({ servers, prefix: 'demo-shop' });
  const blog = new NamespacedCache({ servers, prefix: 'demo-blog' });
  const products = shop.namespace('product');

  console.log('\n== Product catalogue: one namespace, many keys ==');
  await products.set('guitar', { name: 'Guitar', price: 5000 }, { ttl: 3600 });
  await products.set('piano', { name: 'Piano', price: 12000 });
  await blog.set('product', 'guitar', 'a blog post about guitars');
  console.log(`  set guitar and piano; get guitar = ${JSON.stringify(await products.get('guitar'))}`);

  await products.set('guitar', { name: 'Guitar', price: 4500 });
  console.log(`  price change; get guitar = ${JSON.stringify(await products.get('guitar'))}`);

  console.log(
    `  delete piano -> existed: ${await products.delete('piano')}; get piano = ${await products.get('piano')}`,
  );

  console.log('  getOrSet flute, three callers at once:');
  const flutes = await Promise.all([1, 2, 3].map(() => products.getOrSet('flute', () => loadProduct('flute'))));
  console.log(`    -> ${JSON.stringify(flutes[0])} (one database query for three callers)`);
  console.log(`  getMulti = ${JSON.stringify([...(await products.getMulti(['guitar', 'piano', 'flute'])).keys()])}`);

  console.log("  deleteNamespace('product')  -- e.g. after a bulk price import");
  await shop.deleteNamespace('product');
  console.log(`  get guitar = ${JSON.stringify(await products.get('guitar'))}`);
  console.log(
    `  another app's 'product' namespace (prefix demo-blog) is untouched: ${JSON.stringify(await blog.get('product', 'guitar'))}`,
  );
  const stats = shop.stats();
  await Promise.all([shop.close(), blog.close()]);
  return stats;
}
