/**
 * The fleet read-through: four "pods" (four caches of one prefix, as four processes would be) all
 * miss the same hot key after a clear, and the database is queried once. Then a stale value is
 * served at once while one refresh runs.
 */
import { NamespacedCache } from 'memjs-namespaces';

export async function fleet(servers: string): Promise<void> {
  console.log('\n== Fleet read-through: four pods, one database query ==');
  const pods = Array.from({ length: 4 }, () => new NamespacedCache({ servers, prefix: 'demo-fleet' }));
  let queries = 0;
  const loadPrice = async (): Promise<{ price: number }> => {
    queries += 1;
    await new Promise((resolve) => setTimeout(resolve, 200)); // a slow database
    return { price: 5000 + queries };
  };
  try {
    await (pods[0] as NamespacedCache).deleteNamespace('product'); // e.g. after a bulk price import
    const prices = await Promise.all(
      pods.flatMap((pod) => Array.from({ length: 5 }, () => pod.getOrSet('product', 'guitar', loadPrice))),
    );
    console.log(
      `  20 callers on 4 pods after a clear -> ${queries} database query, all got ${JSON.stringify(prices[0])}`,
    );

    // A value written with ttl 1 s and a 30 s stale window, read after its ttl: served at once.
    const options = { ttl: 1, staleWhileRevalidate: 30 };
    await (pods[1] as NamespacedCache).set('product', 'piano', { price: 12000 }, options);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const started = performance.now();
    const stale = await (pods[2] as NamespacedCache).getOrSet(
      'product',
      'piano',
      async () => ({ price: 12500 }),
      options,
    );
    console.log(
      `  past its ttl, piano -> ${JSON.stringify(stale)} in ${(performance.now() - started).toFixed(1)} ms (stale, refreshing in the background)`,
    );
    // A plain get treats a stale value as a miss: it sees the piano again once the refresh is written.
    let fresh: unknown;
    for (let attempt = 0; attempt < 100 && fresh === undefined; attempt += 1) {
      fresh = await (pods[3] as NamespacedCache).get('product', 'piano');
      if (fresh === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    console.log(`  then, on another pod, piano -> ${JSON.stringify(fresh)}`);
  } finally {
    await Promise.all(pods.map((pod) => pod.close()));
  }
}
