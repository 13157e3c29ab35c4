// A plain CommonJS consumer of the packed package: it must get the CommonJS build, not require(esm).
const assert = require('node:assert/strict');
const { Keyv } = require('keyv');
const { NamespacedCache, CacheError } = require('memjs-namespaces');
const { NamespacedKeyvStore } = require('memjs-namespaces/keyv');

assert.match(require.resolve('memjs-namespaces'), /dist\/cjs\/index\.js$/);
assert.match(require.resolve('memjs-namespaces/keyv'), /dist\/cjs\/keyv\/index\.js$/);

async function main() {
  const servers = process.env.MEMCACHED_SERVERS;
  const cache = new NamespacedCache({ servers, prefix: `cjs${Date.now()}` });
  assert.equal(await cache.set(['tenant:1', 'product'], 'guitar', 'red'), true);
  assert.equal(await cache.get(['tenant:1', 'product'], 'guitar'), 'red');
  await cache.deleteNamespace('tenant:1');
  assert.equal(await cache.get(['tenant:1', 'product'], 'guitar'), undefined);
  assert.equal(new CacheError('E_CLOSED', 'x').code, 'E_CLOSED');

  const store = new NamespacedKeyvStore({ servers, prefix: `cjs${Date.now()}` });
  const keyv = new Keyv({ store, namespace: 'app' });
  await keyv.set('k', { n: 1 });
  assert.deepEqual(await keyv.get('k'), { n: 1 });
  await keyv.disconnect();

  // An application that both imports and requires the package loads both builds: the CommonJS
  // store must still take the ES module build's cache as a cache (not as options).
  const esm = await import('memjs-namespaces');
  assert.notEqual(esm.NamespacedCache, NamespacedCache);
  const esmCache = new esm.NamespacedCache({ servers, prefix: `cjs${Date.now()}` });
  const mixed = new Keyv({ store: new NamespacedKeyvStore(esmCache), namespace: 'mixed' });
  await mixed.set('k', 'v');
  assert.equal(await mixed.get('k'), 'v');
  await esmCache.close();

  await cache.close();
  console.log('cjs: ok');
}

main().catch((error) => {
  process.exitCode = 1;
  console.error(error);
});
