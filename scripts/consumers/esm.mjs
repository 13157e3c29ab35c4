// A plain ES module consumer of the packed package.
import assert from 'node:assert/strict';
import Keyv from 'keyv';
import { NamespacedCache } from 'memjs-namespaces';
import { NamespacedKeyvStore } from 'memjs-namespaces/keyv';

assert.match(import.meta.resolve('memjs-namespaces'), /\/dist\/index\.js$/);
assert.match(import.meta.resolve('memjs-namespaces/keyv'), /\/dist\/keyv\/index\.js$/);

const servers = process.env.MEMCACHED_SERVERS;
const prefix = `esm${Date.now()}`;
const cache = new NamespacedCache({ servers, prefix });
assert.equal(await cache.set('product', 'guitar', { price: 5000 }), true);
assert.deepEqual(await cache.get('product', 'guitar'), { price: 5000 });
await cache.deleteNamespace('product');
assert.equal(await cache.get('product', 'guitar'), undefined);

// Source maps reach src/: a bad namespace's TypeError points into the shipped TypeScript.
const error = await cache.get('', 'k').catch((thrown) => thrown);
assert.ok(error instanceof TypeError);
assert.match(error.stack, /memjs-namespaces\/src\/namespaces\.ts:\d+/);

const keyv = new Keyv({ store: new NamespacedKeyvStore(cache), namespace: 'app' });
await keyv.set('k', 'v', 500);
assert.equal(await keyv.get('k'), 'v');
await keyv.clear();
assert.equal(await keyv.get('k'), undefined);
await cache.close();
console.log('esm: ok');
