import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { CacheError, NamespacedCache, type NamespacedCacheOptions } from '../src/index.js';
import { Opcode } from '../src/protocol.js';
import { errorLog, randomPrefix, rawClient } from './support/cache.js';
import { protocolOptions } from './support/protocol.js';
import { privateMemcached } from './support/servers.js';
import { overwriteWithForeign, spyOnWrites } from './support/wire.js';

/** How long a call may outlive its deadline: the deadline scan interval plus scheduling noise. */
const DEADLINE_MARGIN_MS = 250;

async function timed<T>(promise: Promise<T>): Promise<{ outcome: T | unknown; elapsedMs: number }> {
  const started = performance.now();
  const outcome = await promise.catch((error: unknown) => error);
  return { outcome, elapsedMs: performance.now() - started };
}

describe('failure policy', () => {
  it('fails reads and writes open and tells onError; invalidations reject with a CacheError', async () => {
    const server = await privateMemcached();
    const log = errorLog();
    const cache = new NamespacedCache({
      ...protocolOptions(),
      servers: server.servers,
      prefix: randomPrefix(),
      onError: log.onError,
    });
    await cache.set('product', 'guitar', 1);
    await server.kill();

    expect(await cache.get('product', 'guitar')).toBeUndefined();
    expect(await cache.set('product', 'guitar', 2)).toBe(false);
    expect(log.errors.map((error) => [error.code, error.operation])).toEqual([
      ['E_CONNECTION', 'get'],
      ['E_CONNECTION', 'set'],
    ]);
    for (const error of log.errors) {
      expect(error).toBeInstanceOf(CacheError);
      expect(error.cause).toBeInstanceOf(Error);
    }

    const deleted = await cache.delete('product', 'guitar').catch((error: unknown) => error);
    expect(deleted).toBeInstanceOf(CacheError);
    expect(deleted).toMatchObject({ code: 'E_CONNECTION', operation: 'delete' });
    expect((deleted as CacheError).cause).toBeInstanceOf(Error);
    await expect(cache.deleteNamespace('product')).rejects.toMatchObject({ code: 'E_CONNECTION' });
    expect(log.errors).toHaveLength(2);
    await cache.close();
  });

  it('throws from reads and writes too with failOpen: false', async () => {
    const server = await privateMemcached();
    const log = errorLog();
    const cache = new NamespacedCache({
      ...protocolOptions(),
      servers: server.servers,
      prefix: randomPrefix(),
      failOpen: false,
      onError: log.onError,
    });
    await server.kill();
    await expect(cache.get('product', 'guitar')).rejects.toMatchObject({ code: 'E_CONNECTION', operation: 'get' });
    await expect(cache.set('product', 'guitar', 1)).rejects.toMatchObject({ code: 'E_CONNECTION', operation: 'set' });
    expect(log.errors).toEqual([]);
    await cache.close();
  });

  it.each<[string, Partial<NamespacedCacheOptions>]>([
    ['a client it owns', {}],
    ['a client passed in', {}],
  ])('settles every call within its deadline when the server stops answering (SIGSTOP), with %s', async (kind) => {
    const server = await privateMemcached();
    const log = errorLog();
    const connection =
      kind === 'a client passed in'
        ? { client: rawClient(server.plainServers) }
        : { ...protocolOptions(), servers: server.servers };
    const cache = new NamespacedCache({
      ...connection,
      prefix: randomPrefix(),
      timeout: 0.3,
      onError: log.onError,
    });
    await cache.set('product', 'guitar', 'before');
    await server.pause();

    const calls = [
      cache.get('product', 'guitar'),
      cache.set('product', 'guitar', 'during'),
      cache.delete('product', 'guitar'),
      cache.deleteNamespace('product'),
      cache.get(['tenant:1', 'products'], 'never seen'),
    ];
    const results = await Promise.all(calls.map(timed));
    for (const { elapsedMs } of results) {
      expect(elapsedMs).toBeGreaterThanOrEqual(290);
      expect(elapsedMs).toBeLessThan(300 + DEADLINE_MARGIN_MS);
    }
    const [get, set, del, clear] = results.map((result) => result.outcome);
    expect(get).toBeUndefined();
    expect(set).toBe(false);
    expect(del).toMatchObject({ code: 'E_TIMEOUT', operation: 'delete' });
    expect(clear).toMatchObject({ code: 'E_TIMEOUT', operation: 'deleteNamespace' });
    expect(log.errors.map((error) => error.code)).toEqual(['E_TIMEOUT', 'E_TIMEOUT', 'E_TIMEOUT']);

    // Serves again once the server answers, without restarting anything. (Elsewhere than in
    // 'product': the requests written before the reset may still be applied after the resume.)
    server.resume();
    expect(await cache.set('recovered', 'k', 'after')).toBe(true);
    expect(await cache.get('recovered', 'k')).toBe('after');
    await cache.close();
  });

  it('never leaves an older value readable when memcached refuses a value as too large (I3)', async () => {
    const client = rawClient();
    const wire = spyOnWrites(client);
    const log = errorLog();
    const cache = new NamespacedCache({ client, prefix: randomPrefix(), onError: log.onError });
    await cache.set('product', 'guitar', 'small and old');
    wire.clear();

    expect(await cache.set('product', 'guitar', 'x'.repeat(2 * 1024 * 1024))).toBe(false);
    expect(log.errors.map((error) => [error.code, error.operation])).toEqual([['E_VALUE_TOO_LARGE', 'set']]);
    expect(await cache.get('product', 'guitar')).toBeUndefined();
    // The cache deletes the key itself rather than rely on memcached doing so.
    const dataKey = wire.requests().find((request) => request.opcode === Opcode.Set)?.key;
    expect(wire.requests().some((request) => request.opcode === Opcode.Delete && request.key === dataKey)).toBe(true);
    // The connection is fine afterwards.
    expect(await cache.set('product', 'guitar', 'small again')).toBe(true);
    expect(await cache.get('product', 'guitar')).toBe('small again');
  });

  it('rejects bad input with a TypeError or RangeError before sending anything, and keeps working', async () => {
    const client = rawClient();
    const wire = spyOnWrites(client);
    const cache = new NamespacedCache({ client, prefix: randomPrefix() });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const bad: [() => Promise<unknown>, ErrorConstructor, string][] = [
      [() => cache.get('', 'k'), TypeError, 'Expected the namespace to be a non-empty string'],
      [() => cache.get([], 'k'), TypeError, 'got an array of length 0'],
      [() => cache.get(['a', ''], 'k'), TypeError, 'non-empty array of non-empty strings'],
      [() => cache.get(42 as never, 'k'), TypeError, 'got 42'],
      [() => cache.get('n', 7 as never), TypeError, 'Expected `key` to be a string, got 7'],
      [() => cache.set('n', 'k', undefined as never), TypeError, 'got undefined'],
      [() => cache.set('n', 'k', (() => 1) as never), TypeError, 'got a function'],
      [() => cache.set('n', 'k', 10n as never), TypeError, 'got 10n'],
      [() => cache.set('n', 'k', cyclic), TypeError, 'Expected a value that JSON can encode'],
      [() => cache.set('n', 'k', new Map() as never), TypeError, 'got an instance of Map'],
      [() => cache.set('n', 'k', 1, { ttl: -5 }), RangeError, 'Expected `ttl` to be a non-negative number'],
      [() => cache.set('n', 'k', 1, { ttl: '5' as never }), TypeError, 'got "5"'],
      [() => cache.set('n', 'k', 1, { expires: 5 } as never), TypeError, 'Unknown option `expires`'],
      [() => cache.set('n', 'k', 1, 60 as never), TypeError, 'Expected options to be an object like { ttl: 60 }'],
      [() => cache.delete('n', null as never), TypeError, 'got null'],
      [() => cache.deleteNamespace(['']), TypeError, 'non-empty array of non-empty strings'],
    ];
    for (const [call, kind, message] of bad) {
      const error = await call().catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(kind);
      expect((error as Error).message).toContain(message);
    }
    expect(wire.requests()).toEqual([]);
    expect(await cache.set('n', 'k', 'fine')).toBe(true);
    expect(await cache.get('n', 'k')).toBe('fine');
  });

  it('rejects calls after close() with E_CLOSED, and leaves a client passed in open', async () => {
    const client = rawClient();
    const cache = new NamespacedCache({ client, prefix: randomPrefix() });
    const pending = cache.set('n', 'k', 'in flight');
    await cache.close();
    expect(await pending).toBe(true);
    await expect(cache.get('n', 'k')).rejects.toMatchObject({ code: 'E_CLOSED', operation: 'get' });
    await expect(cache.deleteNamespace('n')).rejects.toMatchObject({ code: 'E_CLOSED' });
    expect(await client.set('still-open', 'yes', {})).toBe(true);
  });

  it('reports values it cannot decode as E_CORRUPT_VALUE and reads them as a miss', async () => {
    const client = rawClient();
    const log = errorLog();
    const prefix = randomPrefix();
    const cache = new NamespacedCache({ client, prefix, onError: log.onError });
    await overwriteWithForeign(client, cache, 'k', 'written by someone else');
    expect(await cache.get('n', 'k')).toBeUndefined();
    expect(log.errors.map((error) => [error.code, error.operation])).toEqual([['E_CORRUPT_VALUE', 'get']]);
  });

  it('reads an empty item at a data key as a plain miss: what memcached leaves for a meta mg … N miss', async () => {
    const client = rawClient();
    const log = errorLog();
    const cache = new NamespacedCache({ client, prefix: randomPrefix(), onError: log.onError });
    const wire = spyOnWrites(client);
    await cache.setMulti('n', { k: 'ours', other: 'ours too' });
    const dataKeys = wire
      .requests()
      .filter((request) => request.opcode === Opcode.Set && !request.key.includes(':t:'))
      .map((request) => request.key);
    // A stub another client's `mg <key> v N<ttl>` creates while it loads: flags 0, no bytes.
    for (const dataKey of dataKeys) expect(await client.set(dataKey, '', {})).toBe(true);
    expect(await cache.get('n', 'k')).toBeUndefined();
    expect((await cache.getMulti('n', ['k', 'other'])).size).toBe(0);
    expect(log.errors).toEqual([]);
    expect(cache.stats().misses).toBe(3);
  });

  it('keeps working when onError throws, and says so in a process warning', async () => {
    const server = await privateMemcached();
    const warned = once(process, 'warning');
    const cache = new NamespacedCache({
      ...protocolOptions(),
      servers: server.servers,
      prefix: randomPrefix(),
      onError: () => {
        throw new Error('a broken logger');
      },
    });
    await server.kill();
    expect(await cache.get('n', 'k')).toBeUndefined();
    const [warning] = (await warned) as [Error & { code?: string }];
    expect(warning.message).toContain('onError threw: Error: a broken logger');
    expect(warning.code).toBe('MEMJS_NAMESPACES_ONERROR');
    await cache.close();
  });
});
