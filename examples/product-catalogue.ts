/**
 * The product catalogue case: cache products, update and delete single keys, then clear the whole
 * `product` namespace after a bulk import; another application on the same memcached is untouched.
 */
import { NamespacedCache } from 'memjs-namespaces';

interface Product {
  readonly name: string;
  readonly price: number;
}

export async function productCatalogue(servers: string): Promise<void> {
  const shop = new NamespacedCache({ servers, prefix: 'demo-shop' });
  const blog = new NamespacedCache({ servers, prefix: 'demo-blog' });
  const get = (key: string) => shop.get<Product>('product', key);

  console.log('\n== Product catalogue: one namespace, many keys ==');
  await shop.set('product', 'guitar', { name: 'Guitar', price: 5000 }, { ttl: 3600 });
  await shop.set('product', 'piano', { name: 'Piano', price: 12000 });
  await blog.set('product', 'guitar', 'a blog post about guitars');
  console.log(`  set guitar and piano; get guitar = ${JSON.stringify(await get('guitar'))}`);

  await shop.set('product', 'guitar', { name: 'Guitar', price: 4500 });
  console.log(`  price change; get guitar = ${JSON.stringify(await get('guitar'))}`);

  console.log(`  delete piano -> existed: ${await shop.delete('product', 'piano')}; get piano = ${await get('piano')}`);

  console.log("  deleteNamespace('product')  -- e.g. after a bulk price import");
  await shop.deleteNamespace('product');
  console.log(`  get guitar = ${JSON.stringify(await get('guitar'))}`);
  console.log(
    `  another app's 'product' namespace (prefix demo-blog) is untouched: ${JSON.stringify(await blog.get('product', 'guitar'))}`,
  );
  await Promise.all([shop.close(), blog.close()]);
}
