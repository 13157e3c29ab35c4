/* biome-ignore-all lint/suspicious/noSparseArray: sparse arrays are the hostile input under test */
import { describe, expect, it, vi } from 'vitest';
import { NamespacedCache, type NamespacedCacheOptions } from '../src/index.js';
import { Opcode } from '../src/protocol.js';
import { errorLog, randomPrefix, rawClient, servers } from './support/cache.js';
import { protocolOptions } from './support/protocol.js';
import { privateMemcached } from './support/servers.js';
import { spyOnWrites } from './support/wire.js';

/** A cache on a client passed in, with every write it makes recorded. */
function spiedCache(options: Partial<NamespacedCacheOptions> = {}) {
  const client = rawClient();
  const cache = new NamespacedCache({ client, prefix: randomPrefix(), ...options } as NamespacedCacheOptions);
  return { cache, written: spyOnWrites(client) };
}

describe('hostile arguments', () => {
  it('refuses namespace paths with holes with a TypeError before anything is sent', async () => {
    const { cache, written } = spiedCache();
    const holes = [
      ['a', , 'b'],
      [, 'a'],
      ['a', ,],
    ] as unknown as string[][];
    for (const path of holes) {
      await expect(cache.get(path, 'k')).rejects.toThrow(TypeError);
      await expect(cache.set(path, 'k', 1)).rejects.toThrow(TypeError);
      await expect(cache.delete(path, 'k')).rejects.toThrow(TypeError);
      await expect(cache.deleteNamespace(path)).rejects.toThrow(TypeError);
      await expect(cache.getMulti(path, ['k'])).rejects.toThrow(TypeError);
      await expect(cache.setMulti(path, { k: 1 })).rejects.toThrow(TypeError);
      await expect(cache.deleteMulti(path, ['k'])).rejects.toThrow(TypeError);
      await expect(cache.getOrSet(path, 'k', () => 1)).rejects.toThrow(TypeError);
      expect(() => cache.namespace(path)).toThrow(TypeError);
      expect(() => cache.namespace('ok').namespace(path)).toThrow(TypeError);
    }
    expect(written.requests()).toEqual([]);
    await cache.close();
  });

  it('refuses key lists and entries with holes or missing parts before anything is sent', async () => {
    const { cache, written } = spiedCache();
    await expect(cache.getMulti('product', ['a', , 'b'] as string[])).rejects.toThrow(
      'Expected every key to be a string, got undefined at index 1',
    );
    await expect(cache.deleteMulti('product', [, 'a'] as string[])).rejects.toThrow(TypeError);
    const badEntries = [[['a', 1], , ['b', 2]], [['a']], [[, 1]], [['a', ,]]] as unknown as [string, number][][];
    for (const entries of badEntries) {
      await expect(cache.setMulti('product', entries)).rejects.toThrow(TypeError);
    }
    expect(written.requests()).toEqual([]);
    // The same calls with whole arrays go through.
    expect(await cache.setMulti('product', [['a', 1]])).toBe(true);
    expect(await cache.getMulti('product', ['a'])).toEqual(new Map([['a', 1]]));
    await cache.close();
  });

  it("reads a namespace array once: its own toJSON or getters can't reroute calls to another namespace", async () => {
    const { cache } = spiedCache();
    const attacker = ['attacker'] as string[] & { toJSON?: () => unknown };
    attacker.toJSON = () => ['victim'];
    await cache.set(attacker, 'k', 'x');
    expect(await cache.get(['victim'], 'k')).toBeUndefined();
    expect(await cache.get(['attacker'], 'k')).toBe('x');

    let reads = 0;
    const shifty = new Proxy(['first'], {
      get: (target, property, receiver) =>
        property === '0' ? (reads++ === 0 ? 'first' : 'second') : Reflect.get(target, property, receiver),
    });
    await cache.set(shifty, 'k', 'y');
    expect(reads).toBe(1);
    expect(await cache.get(['first'], 'k')).toBe('y');
    expect(await cache.get(['second'], 'k')).toBeUndefined();
    await cache.close();
  });

  it('refuses servers with an invalid port or host at construction', () => {
    for (const bad of ['127.0.0.1:abc', '127.0.0.1:99999', '127.0.0.1:-1', '127.0.0.1:0', 'host:', ':11211', 'a b:1']) {
      expect(() => new NamespacedCache({ servers: bad }), bad).toThrow(TypeError);
      expect(() => new NamespacedCache({ servers: [bad] }), bad).toThrow(TypeError);
    }
    expect(() => new NamespacedCache({ servers: ['127.0.0.1:1', , '127.0.0.1:2'] as string[] })).toThrow(TypeError);
    for (const good of ['127.0.0.1:11211', 'localhost', 'cache.internal:65535', 'user:secret@host:11211']) {
      expect(() => new NamespacedCache({ servers: good }).close(), good).not.toThrow();
    }
  });

  it('refuses a bad $MEMCACHE_SERVERS at construction when servers is not given', () => {
    vi.stubEnv('MEMCACHIER_SERVERS', '');
    vi.stubEnv('MEMCACHE_SERVERS', 'localhost:eleven');
    try {
      expect(() => new NamespacedCache()).toThrow('$MEMCACHE_SERVERS');
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('close() and calls in flight', () => {
  it('runs calls made before close() in a fresh module (hash functions still loading)', async () => {
    vi.resetModules();
    // A fresh copy of the library: xxhash-wasm has not been compiled in it yet.
    const fresh = (await import('../src/index.js')) as typeof import('../src/index.js');
    const prefix = randomPrefix();
    const cache = new fresh.NamespacedCache({ ...protocolOptions(), servers, prefix });
    const setting = cache.set('ns', 'k', 'v');
    const reading = cache.get('ns', 'other');
    await cache.close();
    await expect(setting).resolves.toBe(true);
    await expect(reading).resolves.toBeUndefined();
    await expect(cache.get('ns', 'k')).rejects.toMatchObject({ code: 'E_CLOSED' });
    const check = new NamespacedCache({ ...protocolOptions(), servers, prefix });
    expect(await check.get('ns', 'k')).toBe('v');
    await check.close();
  });

  it('never writes what a getOrSet loader finishes after close(), even while other calls are in flight', async () => {
    const server = await privateMemcached();
    const client = rawClient(server.plainServers);
    const log = errorLog();
    const cache = new NamespacedCache({ client, prefix: randomPrefix(), timeout: 1, onError: log.onError });
    let release: (value: string) => void = () => {};
    const loader = vi.fn(() => new Promise<string>((resolve) => (release = resolve)));
    const loading = cache.getOrSet('product', 'guitar', loader);
    await vi.waitFor(() => expect(loader).toHaveBeenCalled());
    await cache.set('product', 'warm', 1);
    const written = spyOnWrites(client);
    // Another call stays in flight (the server is frozen), so close() cannot finish yet.
    await server.pause();
    const inFlight = cache.get('product', 'warm');
    const closing = cache.close();
    release('late');
    expect(await loading).toBe('late');
    server.resume();
    await inFlight;
    await closing;
    // The in-flight get's reads, and the release (by CAS) of the lock the loader held: no value written.
    expect(written.requests().map((request) => [request.opcode, request.cas !== 0n])).toEqual([
      [Opcode.Get, false],
      [Opcode.Get, false],
      [Opcode.Delete, true],
    ]);
    expect(log.errors.map((error) => [error.code, error.operation])).toEqual([['E_CLOSED', 'getOrSet']]);
  });
});
