// A TypeScript consumer of the packed package, compiled by scripts/check-consumers.sh as ESM and as
// CommonJS under `nodenext`, `node16` and `bundler` resolution: strict, skipLibCheck off, and no
// @types/node (the package's declarations must not need Node's types). It then runs against memcached.
import Keyv, { type KeyvStoreAdapter } from 'keyv';
import { CacheError, type Namespace, NamespacedCache } from 'memjs-namespaces';
import { NamespacedKeyvStore } from 'memjs-namespaces/keyv';
import { createCacheHandler, createIncrementalCacheHandler } from 'memjs-namespaces/next';

// What this file needs from Node, declared here because @types/node is deliberately absent.
declare const process: { readonly env: Record<string, string | undefined>; exitCode?: number };
declare const console: { log(message: string): void };

interface Product {
  readonly name: string;
  readonly price: number;
}

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`consumer check failed: ${what}`);
}

async function main(): Promise<void> {
  const servers = process.env.MEMCACHED_SERVERS;
  if (servers === undefined) throw new Error('MEMCACHED_SERVERS is not set');
  const prefix = `consumer${Date.now()}`;
  const cache = new NamespacedCache({ servers, prefix });
  const products: Namespace = ['tenant:1', 'products'];

  check(await cache.set(products, 'guitar', { name: 'Guitar', price: 5000 }), 'set');
  check((await cache.get<Product>(products, 'guitar'))?.price === 5000, 'get');
  // The README's typed read-through: the type comes from the loader.
  const piano = await cache.getOrSet(products, 'piano', async (): Promise<Product> => ({ name: 'Piano', price: 1 }));
  check(piano.price === 1, 'getOrSet');
  const handle = cache.namespace(products);
  check((await handle.getMulti<Product>(['guitar', 'piano'])).size === 2, 'handle.getMulti');
  await cache.deleteNamespace('tenant:1');
  check((await handle.get('guitar')) === undefined, 'deleteNamespace');
  check(new CacheError('E_TIMEOUT', 'x').code === 'E_TIMEOUT', 'CacheError');

  const store = new NamespacedKeyvStore({ servers, prefix });
  // NestJS's `CacheModule.register({ stores: [store] })` takes the store as keyv's adapter type.
  const adapter: KeyvStoreAdapter = store;
  const keyv = new Keyv<Product>({ store: adapter, namespace: 'app', throwOnErrors: true });
  await keyv.set('guitar', { name: 'Guitar', price: 5000 }, 60_000);
  check((await keyv.get('guitar'))?.price === 5000, 'keyv get');
  await keyv.clear();
  check((await keyv.get('guitar')) === undefined, 'keyv clear');

  await keyv.disconnect();

  // The Next.js handlers' declarations compile without Next, Node's types or the DOM's.
  const useCache = createCacheHandler(cache);
  await useCache.updateTags(['posts']);
  check((await useCache.get('missing', [])) === undefined, 'next use cache get');
  const Incremental = createIncrementalCacheHandler(cache, { buildId: 'consumer' });
  check((await new Incremental({}).get('missing', { kind: 'APP_PAGE' })) === null, 'next incremental get');
  await cache.close();
  console.log(`${process.env.CONSUMER ?? 'typescript'}: ok`);
}

main().catch((error: unknown) => {
  process.exitCode = 1;
  throw error;
});
