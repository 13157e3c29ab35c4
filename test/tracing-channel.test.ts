import { describe, expect, it, vi } from 'vitest';
import { Generations } from '../src/generation.js';
import { CacheError, NamespacedCache, type OperationContext } from '../src/index.js';
import { currentOperation } from '../src/observability/trace.js';
import { makeCache, randomPrefix, servers } from './support/cache.js';
import { recordOperations } from './support/channel.js';
import { contendedLoad } from './support/contention.js';
import { describedProtocol, protocolOptions } from './support/protocol.js';
import { privateMemcached } from './support/servers.js';

/** The fields a test compares: what the call was, and how it ended. */
function summary(context: OperationContext): Record<string, unknown> {
  const { operation, namespace, key, keyCount, outcome, errorCode, hits } = context;
  return Object.fromEntries(
    Object.entries({ operation, namespace, key, keyCount, outcome, errorCode, hits }).filter(
      ([, value]) => value !== undefined,
    ),
  );
}

describe('tracing channel memjs-namespaces:operation', () => {
  it('publishes start, end, asyncStart and asyncEnd of one context per call, the outcome filled in at the end', async () => {
    const prefix = randomPrefix();
    const cache = makeCache({ prefix });
    const log = recordOperations(prefix);
    await cache.set('product', 'guitar', 1);

    expect(log.published.map((entry) => entry.event)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
    expect(new Set(log.published.map((entry) => entry.context)).size).toBe(1);
    const [host, port] = servers.split(':');
    expect(log.published[0]?.seen).toEqual({
      operation: 'set',
      namespace: ['product'],
      key: 'guitar',
      cache: { prefix, servers: [{ host, port: Number(port) }], ...describedProtocol() },
    });
    expect(log.published[3]?.seen).toMatchObject({ outcome: 'stored', result: true });
  });

  it('says the operation, namespace, key or key count and outcome of every public operation', async () => {
    const prefix = randomPrefix();
    const cache = makeCache({ prefix });
    const log = recordOperations(prefix);
    await cache.get('product', 'guitar');
    await cache.set('product', 'guitar', 1);
    await cache.get('product', 'guitar');
    await cache.setMulti(['tenant:1', 'product'], { a: 1, b: 2, c: 3 });
    await cache.getMulti(['tenant:1', 'product'], ['a', 'b', 'a']);
    await cache.getMulti(['tenant:1', 'product'], ['a', 'x']);
    await cache.getMulti(['tenant:1', 'product'], ['x', 'y']);
    await cache.deleteMulti(['tenant:1', 'product'], ['a', 'b', 'x']);
    await cache.deleteMulti(['tenant:1', 'product'], ['a']);
    await cache.delete('product', 'guitar');
    await cache.delete('product', 'guitar');
    await cache.getOrSet('product', 'bass', () => 2);
    await cache.getOrSet('product', 'bass', () => 3);
    await cache.deleteNamespace('product');

    const tenant = ['tenant:1', 'product'];
    expect(log.ended().map(summary)).toEqual([
      { operation: 'get', namespace: ['product'], key: 'guitar', outcome: 'miss' },
      { operation: 'set', namespace: ['product'], key: 'guitar', outcome: 'stored' },
      { operation: 'get', namespace: ['product'], key: 'guitar', outcome: 'hit' },
      { operation: 'setMulti', namespace: tenant, keyCount: 3, outcome: 'stored' },
      { operation: 'getMulti', namespace: tenant, keyCount: 2, outcome: 'hit', hits: 2 },
      { operation: 'getMulti', namespace: tenant, keyCount: 2, outcome: 'partial', hits: 1 },
      { operation: 'getMulti', namespace: tenant, keyCount: 2, outcome: 'miss', hits: 0 },
      { operation: 'deleteMulti', namespace: tenant, keyCount: 3, outcome: 'deleted' },
      { operation: 'deleteMulti', namespace: tenant, keyCount: 1, outcome: 'not-found' },
      { operation: 'delete', namespace: ['product'], key: 'guitar', outcome: 'deleted' },
      { operation: 'delete', namespace: ['product'], key: 'guitar', outcome: 'not-found' },
      { operation: 'getOrSet', namespace: ['product'], key: 'bass', outcome: 'loaded' },
      { operation: 'getOrSet', namespace: ['product'], key: 'bass', outcome: 'hit' },
      { operation: 'deleteNamespace', namespace: ['product'], outcome: 'cleared' },
    ]);
    expect(log.published.filter((entry) => entry.event === 'error')).toEqual([]);
  });

  it('publishes the calls of a namespace handle with its path; clear() is deleteNamespace', async () => {
    const prefix = randomPrefix();
    const cache = makeCache({ prefix });
    const log = recordOperations(prefix);
    const products = cache.namespace('tenant:1').namespace('products');
    await products.set('guitar', 1);
    await products.get('guitar');
    await products.getMulti(['guitar', 'bass']);
    await products.setMulti(new Map([['bass', 2]]));
    await products.deleteMulti(['bass']);
    await products.delete('guitar');
    await products.getOrSet('drum', () => 3);
    await products.clear();

    const path = ['tenant:1', 'products'];
    expect(log.ended().map(summary)).toEqual([
      { operation: 'set', namespace: path, key: 'guitar', outcome: 'stored' },
      { operation: 'get', namespace: path, key: 'guitar', outcome: 'hit' },
      { operation: 'getMulti', namespace: path, keyCount: 2, outcome: 'partial', hits: 1 },
      { operation: 'setMulti', namespace: path, keyCount: 1, outcome: 'stored' },
      { operation: 'deleteMulti', namespace: path, keyCount: 1, outcome: 'deleted' },
      { operation: 'delete', namespace: path, key: 'guitar', outcome: 'deleted' },
      { operation: 'getOrSet', namespace: path, key: 'drum', outcome: 'loaded' },
      { operation: 'deleteNamespace', namespace: path, outcome: 'cleared' },
    ]);
  });

  it('ends failed-open calls with outcome error and the code; rejected ones on the error event too', async () => {
    const server = await privateMemcached();
    const prefix = randomPrefix();
    const cache = new NamespacedCache({ ...protocolOptions(), servers: server.servers, prefix, onError: () => {} });
    await cache.set('product', 'guitar', 1);
    await server.kill();
    const log = recordOperations(prefix);

    expect(await cache.get('product', 'guitar')).toBeUndefined();
    expect(await cache.set('product', 'guitar', 2)).toBe(false);
    expect(await cache.getMulti('product', ['guitar', 'bass'])).toEqual(new Map());
    expect(await cache.setMulti('product', { guitar: 1, bass: 2 })).toBe(false);
    expect(await cache.getOrSet('product', 'bass', () => 2)).toBe(2);
    const rejected = [
      await cache.delete('product', 'guitar').catch((error: unknown) => error),
      await cache.deleteMulti('product', ['guitar', 'bass']).catch((error: unknown) => error),
      await cache.deleteNamespace('product').catch((error: unknown) => error),
    ];
    await cache.close();

    const failed = { outcome: 'error', errorCode: 'E_CONNECTION' };
    expect(log.ended().map(summary)).toEqual([
      { operation: 'get', namespace: ['product'], key: 'guitar', ...failed },
      { operation: 'set', namespace: ['product'], key: 'guitar', ...failed },
      { operation: 'getMulti', namespace: ['product'], keyCount: 2, ...failed },
      { operation: 'setMulti', namespace: ['product'], keyCount: 2, ...failed },
      // The loader still answers: a getOrSet whose cache failed is loaded, and says why.
      { operation: 'getOrSet', namespace: ['product'], key: 'bass', outcome: 'loaded', errorCode: 'E_CONNECTION' },
      { operation: 'delete', namespace: ['product'], key: 'guitar', ...failed },
      { operation: 'deleteMulti', namespace: ['product'], keyCount: 2, ...failed },
      { operation: 'deleteNamespace', namespace: ['product'], ...failed },
    ]);
    const errorEvents = log.published.filter((entry) => entry.event === 'error');
    expect(errorEvents.map((entry) => entry.context.operation)).toEqual(['delete', 'deleteMulti', 'deleteNamespace']);
    expect(errorEvents.map((entry) => entry.context.error)).toEqual(rejected);
    for (const error of rejected) expect(error).toBeInstanceOf(CacheError);
  });

  it('ends argument errors and calls after close() with outcome error', async () => {
    const prefix = randomPrefix();
    const cache = makeCache({ prefix });
    const log = recordOperations(prefix);
    await expect(cache.get('product', 42 as unknown as string)).rejects.toThrow(TypeError);
    await expect(cache.set('', 'guitar', 1)).rejects.toThrow(TypeError);
    await cache.close();
    await expect(cache.get('product', 'guitar')).rejects.toMatchObject({ code: 'E_CLOSED' });

    expect(log.ended().map(summary)).toEqual([
      { operation: 'get', namespace: ['product'], outcome: 'error' },
      { operation: 'set', namespace: [''], key: 'guitar', outcome: 'error' },
      { operation: 'get', namespace: ['product'], key: 'guitar', outcome: 'error', errorCode: 'E_CLOSED' },
    ]);
    expect(log.ended()[0]?.error).toBeInstanceOf(TypeError);
  });

  it('builds no context when nobody subscribes: the operation sees none', async () => {
    const prefix = randomPrefix();
    const cache = makeCache({ prefix });
    // Generations.call runs in the synchronous part of every keyed operation: what it sees there is
    // what the operation can record into.
    const seen: (OperationContext | undefined)[] = [];
    const call = Generations.prototype.call;
    const spy = vi.spyOn(Generations.prototype, 'call').mockImplementation(function (this: Generations, ...args) {
      seen.push(currentOperation());
      return call.apply(this, args) as never;
    });
    try {
      await cache.get('product', 'a');
      const log = recordOperations(prefix);
      await cache.get('product', 'b');
      expect(seen).toHaveLength(2);
      expect(seen[0]).toBeUndefined();
      expect(seen[1]).toBe(log.ended()[0]);
      expect(seen[1]).toMatchObject({ operation: 'get', key: 'b' });
    } finally {
      spy.mockRestore();
    }
  });
});

describe('getOrSet outcomes on the channel', () => {
  it('says stale for a stale value served, and waited for a value another cache loaded', async () => {
    const prefix = randomPrefix();
    const holder = makeCache({ prefix });
    const waiter = makeCache({ prefix });
    const log = recordOperations(prefix);
    const options = { ttl: 1, staleWhileRevalidate: 30 };
    await contendedLoad(holder, waiter, 'a', options);
    const real = Date.now.bind(Date);
    vi.spyOn(Date, 'now').mockImplementation(() => real() + 5000);
    try {
      expect(await waiter.getOrSet('product', 'a', () => 'refreshed', options)).toBe('loaded');
    } finally {
      vi.restoreAllMocks();
    }
    expect(log.ended().map((context) => context.outcome)).toEqual(['loaded', 'waited', 'stale']);
  });
});
