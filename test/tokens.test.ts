import memjs from 'memjs';
import { describe, expect, it, vi } from 'vitest';
import { loadHasher } from '../src/hash.js';
import { CacheError, NamespacedCache } from '../src/index.js';
import { encodePath, KeySpace } from '../src/keys.js';
import { Stats } from '../src/observability/stats.js';
import { Opcode } from '../src/protocol.js';
import { Tokens } from '../src/tokens.js';
import { errorLog, makeCache, randomPrefix, rawClient } from './support/cache.js';
import { protocolOptions } from './support/protocol.js';
import { privateMemcached } from './support/servers.js';
import { OPCODE_NAMES, spyOnWrites } from './support/wire.js';

async function tokenKeyOf(prefix: string, path: readonly string[]): Promise<string> {
  const space = new KeySpace(prefix, await loadHasher());
  return space.tokenKey(space.pathDigest(encodePath(path)));
}

describe('token protocol', () => {
  it('creates a token on first use with get, then add', async () => {
    const client = rawClient();
    const wire = spyOnWrites(client);
    const prefix = randomPrefix();
    const cache = new NamespacedCache({ client, prefix });
    await cache.set('product', 'guitar', 1);
    const tokenKey = await tokenKeyOf(prefix, ['product']);
    const tokenRequests = wire.requests().filter((request) => request.key === tokenKey);
    expect(tokenRequests.map((request) => OPCODE_NAMES[request.opcode])).toEqual(['get', 'add']);
    const stored = await client.get(tokenKey);
    expect(stored.value?.toString()).toMatch(/^[0-9a-f]{16}$/);
    expect(stored.value?.toString()).toBe(tokenRequests[1]?.value.toString());
  });

  it('converges on one token when many separate clients use a namespace for the first time at once', async () => {
    const prefix = randomPrefix();
    const caches = Array.from({ length: 24 }, () => makeCache({ prefix }));
    // Every cache writes its own key at the same moment, each creating the token if it sees none.
    await Promise.all(caches.map((cache, index) => cache.set(['race', 'ns'], `key-${index}`, index)));
    // Had two caches used different tokens, some keys would sit in a generation others can't see.
    for (const cache of caches) {
      const values = await Promise.all(caches.map((_, index) => cache.get(['race', 'ns'], `key-${index}`)));
      expect(values).toEqual(caches.map((_, index) => index));
    }
  });

  it('reads the winning token when its add loses the race', async () => {
    const client = rawClient();
    const prefix = randomPrefix();
    const tokenKey = await tokenKeyOf(prefix, ['product']);
    const cache = new NamespacedCache({ client, prefix });
    const wire = spyOnWrites(client);
    // Another process creates the token between our get (a miss) and our add.
    const original = client.servers[0] as unknown as { write(blob: Buffer): void };
    const write = original.write;
    let injected = false;
    original.write = function (this: unknown, blob: Buffer) {
      if (!injected && blob[1] === Opcode.Add) {
        injected = true;
        const competitor = memjs.Client.create(`${client.servers[0]?.host}:${client.servers[0]?.port}`);
        competitor.set(tokenKey, 'abcdef0123456789', {}).then(() => {
          competitor.close();
          write.call(this, blob);
        });
        return;
      }
      write.call(this, blob);
    };
    await cache.set('product', 'guitar', 'value');
    expect(injected).toBe(true);
    const names = wire.requests().filter((request) => request.key === tokenKey);
    expect(names.map((request) => OPCODE_NAMES[request.opcode])).toEqual(['get', 'add', 'get']);
    const raw = makeCache({ prefix });
    expect(await raw.get('product', 'guitar')).toBe('value');
    expect((await client.get(tokenKey)).value?.toString()).toBe('abcdef0123456789');
  });

  it('never takes an error for a miss: a failed token read creates nothing and flushes nothing', async () => {
    const server = await privateMemcached();
    const log = errorLog();
    const client = rawClient(server.plainServers);
    const prefix = randomPrefix();
    const writer = new NamespacedCache({ ...protocolOptions(), servers: server.servers, prefix });
    await writer.set('product', 'guitar', 'kept');
    await writer.close();

    const cache = new NamespacedCache({ client, prefix, timeout: 0.3, onError: log.onError });
    const wire = spyOnWrites(client);
    await server.pause();
    expect(await cache.get('product', 'guitar')).toBeUndefined();
    server.resume();
    expect(log.errors.map((error) => error.code)).toEqual(['E_TIMEOUT']);
    expect(wire.requests().map((request) => OPCODE_NAMES[request.opcode])).toEqual(['get']);
    // The namespace survived the blip: its token and data are still there.
    expect(await cache.get('product', 'guitar')).toBe('kept');
    expect(wire.requests().some((request) => request.opcode === Opcode.Add)).toBe(false);
  });

  it('replaces a foreign value at a token key with a token (a safe rotation)', async () => {
    const client = rawClient();
    const prefix = randomPrefix();
    const tokenKey = await tokenKeyOf(prefix, ['product']);
    await client.set(tokenKey, 'not a token', {});
    const cache = new NamespacedCache({ client, prefix });
    expect(await cache.set('product', 'guitar', 1)).toBe(true);
    expect(await cache.get('product', 'guitar')).toBe(1);
    expect((await client.get(tokenKey)).value?.toString()).toMatch(/^[0-9a-f]{16}$/);
  });

  it('rejects a rotation that memcached did not acknowledge', async () => {
    const server = await privateMemcached();
    const cache = new NamespacedCache({
      ...protocolOptions(),
      servers: server.servers,
      prefix: randomPrefix(),
      timeout: 0.3,
    });
    await cache.set('product', 'guitar', 1);
    await server.pause();
    const paused = await cache.deleteNamespace('product').catch((error: unknown) => error);
    server.resume();
    expect(paused).toBeInstanceOf(CacheError);
    expect(paused).toMatchObject({ code: 'E_TIMEOUT', operation: 'deleteNamespace' });

    await server.kill();
    const killed = await cache.deleteNamespace('product').catch((error: unknown) => error);
    expect(killed).toMatchObject({ code: 'E_CONNECTION', operation: 'deleteNamespace' });
    await cache.close();
    // A new connection to the dead server is refused: the socket error is the cause. (The first
    // call above may instead meet the old socket closing, which has no error of its own.)
    const fresh = new NamespacedCache({
      ...protocolOptions(),
      servers: server.servers,
      prefix: randomPrefix(),
      timeout: 0.3,
    });
    const refused = await fresh.deleteNamespace('product').catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'E_CONNECTION', operation: 'deleteNamespace' });
    expect((refused as CacheError).cause).toBeInstanceOf(Error);
    await fresh.close();
  });

  it('makes a new token at every rotation, even many in the same millisecond', async () => {
    const hasher = await loadHasher();
    const frozen = vi.spyOn(Date, 'now').mockReturnValue(1_800_000_000_000);
    try {
      const tokens = new Tokens(undefined as never, hasher, 0, new Stats());
      const made = new Set(Array.from({ length: 20_000 }, () => tokens.newToken('["product"]')));
      expect(made.size).toBe(20_000);

      // And end to end: each rotation stores a token never stored before.
      const client = rawClient();
      const prefix = randomPrefix();
      const cache = new NamespacedCache({ client, prefix });
      const tokenKey = await tokenKeyOf(prefix, ['product']);
      const stored = new Set<string>();
      for (let rotation = 0; rotation < 100; rotation += 1) {
        await cache.deleteNamespace('product');
        stored.add(String((await client.get(tokenKey)).value));
      }
      expect(stored.size).toBe(100);
    } finally {
      frozen.mockRestore();
    }
  });
});
