import { once } from 'node:events';
import { createServer, Socket } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { NamespacedCache } from '../src/index.js';
import { errorLog, randomPrefix, rawClient } from './support/cache.js';
import { recordOperations } from './support/channel.js';
import { privateMemcached } from './support/servers.js';

/** The protocol a cache's connections speak, as its tracing context says, after one call. */
async function spokenProtocol(cache: NamespacedCache, prefix: string): Promise<string> {
  const log = recordOperations(prefix);
  await cache.get('probe', 'k');
  return (log.ended()[0]?.cache.protocol as string) ?? 'none';
}

describe('choosing the protocol', () => {
  it('speaks meta by default to memcached 1.6, detected once per connection, never per call', async () => {
    const server = await privateMemcached({ tls: undefined });
    const prefix = randomPrefix();
    const cache = new NamespacedCache({ servers: server.servers, prefix });
    expect(await spokenProtocol(cache, prefix)).toBe('meta');
    expect(cache.stats().protocol).toBe('meta');
    const writes = vi.spyOn(Socket.prototype, 'write');
    for (let index = 0; index < 20; index += 1) expect(await cache.set('n', `k${index}`, index)).toBe(true);
    expect(await cache.getMulti('n', ['k1', 'k2'])).toEqual(
      new Map([
        ['k1', 1],
        ['k2', 2],
      ]),
    );
    const sent = writes.mock.calls.map(([bytes]) => Buffer.from(bytes as Uint8Array).toString('latin1'));
    writes.mockRestore();
    expect(sent.join('')).toMatch(/^mg /);
    // No probe on any call after the connection's first.
    expect(sent.filter((bytes) => bytes.includes('version'))).toEqual([]);
    await cache.close();
  });

  it('falls back to binary, per connection, on a server that speaks only binary (memcached -B binary)', async () => {
    const server = await privateMemcached({ binaryOnly: true, tls: undefined });
    const prefix = randomPrefix();
    const log = errorLog();
    const cache = new NamespacedCache({ servers: server.servers, prefix, onError: log.onError });
    expect(await spokenProtocol(cache, prefix)).toBe('binary');
    expect(cache.stats().protocol).toBe('binary');
    expect(await cache.set('n', 'k', { a: 1 })).toBe(true);
    expect(await cache.get('n', 'k')).toEqual({ a: 1 });
    await cache.deleteNamespace('n');
    expect(await cache.get('n', 'k')).toBeUndefined();
    expect(await cache.getOrSet('n', 'loaded', () => 'v')).toBe('v');
    // A restart of the same server is detected again on the new connection.
    await server.restart();
    expect(await cache.set('n', 'after', 1)).toBe(true);
    expect(await cache.get('n', 'after')).toBe(1);
    expect(log.errors.filter((error) => error.code !== 'E_CONNECTION')).toEqual([]);
    await cache.close();
  });

  it('takes a server at its connection limit for a failed connect, never for one to speak binary to (memcached -B ascii -c)', async () => {
    const server = await privateMemcached({ asciiOnly: true, maxConnections: 40, threads: 1, tls: undefined });
    const held: Socket[] = [];
    /** Opens a raw connection and says what memcached answers to `version`. */
    const version = async (): Promise<string> => {
      const socket = new Socket().connect(server.port, server.host);
      held.push(socket);
      // memcached closes a connection it refused, and that may reach us as a reset after the reply.
      socket.on('error', () => {});
      socket.write('version\r\n');
      const [reply] = (await once(socket, 'data')) as [Buffer];
      return reply.toString('latin1');
    };
    while (!(await version()).startsWith('ERROR Too many open connections'));
    const prefix = randomPrefix();
    const log = errorLog();
    const cache = new NamespacedCache({ servers: server.servers, prefix, onError: log.onError });
    expect(await cache.get('n', 'k')).toBeUndefined();
    expect(log.errors.map((error) => error.code)).toContain('E_PROTOCOL');
    for (const socket of held.splice(0)) socket.destroy();
    // memcached frees the connections as it sees them close.
    while (!(await version()).startsWith('VERSION ')) for (const socket of held.splice(0)) socket.destroy();
    for (const socket of held.splice(0)) socket.destroy();
    expect(await cache.set('n', 'k', 'v')).toBe(true);
    expect(await cache.get('n', 'k')).toBe('v');
    expect(await spokenProtocol(cache, prefix)).toBe('meta');
    expect(cache.stats().protocol).toBe('meta');
    await cache.close();
  });

  it('probes again on the next connection: a server killed mid-probe is not taken for binary-only (memcached -B ascii)', async () => {
    const server = await privateMemcached({ asciiOnly: true, tls: undefined });
    let connections = 0;
    const proxy = createServer((client: Socket) => {
      connections += 1;
      // The first connection dies as a killed server's would, on the probe.
      if (connections === 1) {
        client.once('data', () => client.resetAndDestroy());
        return;
      }
      const upstream = new Socket().connect(server.port, server.host);
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    proxy.listen(0, '127.0.0.1');
    await once(proxy, 'listening');
    const prefix = randomPrefix();
    const cache = new NamespacedCache({
      servers: `127.0.0.1:${(proxy.address() as { port: number }).port}`,
      prefix,
      timeout: 0.3,
      onError: () => {},
    });
    await cache.get('n', 'k');
    expect(await cache.set('n', 'k', 'v')).toBe(true);
    expect(await cache.get('n', 'k')).toBe('v');
    expect(await spokenProtocol(cache, prefix)).toBe('meta');
    expect(cache.stats().protocol).toBe('meta');
    await cache.close();
    proxy.close();
  });

  it("refuses protocol: 'meta' on a binary-only server with a coded error instead of guessing", async () => {
    const server = await privateMemcached({ binaryOnly: true, tls: undefined });
    const cache = new NamespacedCache({
      servers: server.servers,
      protocol: 'meta',
      prefix: randomPrefix(),
      failOpen: false,
    });
    await expect(cache.get('n', 'k')).rejects.toMatchObject({ code: expect.stringMatching(/E_CONNECTION|E_PROTOCOL/) });
    await cache.close();
  });

  it("speaks binary through memjs with protocol: 'binary', a client passed in, or SASL credentials", async () => {
    const server = await privateMemcached({ tls: undefined });
    for (const options of [
      { servers: server.servers, protocol: 'binary' as const },
      { client: rawClient(server.servers) },
    ]) {
      const prefix = randomPrefix();
      const cache = new NamespacedCache({ ...options, prefix });
      expect(await spokenProtocol(cache, prefix)).toBe('binary');
      expect(cache.stats().protocol).toBe('binary');
      await cache.close();
    }
    const sasl = new NamespacedCache({ servers: `user:secret@${server.servers}`, prefix: 'p' });
    const prefix = 'p';
    expect(await spokenProtocol(sasl, prefix)).toBe('binary');
    await sasl.close();
  });

  it('reads and clears across protocols on one memcached: the same keys and bytes everywhere (rolling upgrades)', async () => {
    const server = await privateMemcached({ tls: undefined });
    const prefix = randomPrefix();
    const meta = new NamespacedCache({ servers: server.servers, prefix });
    const text = new NamespacedCache({ servers: server.servers, prefix, protocol: 'text' });
    const binary = new NamespacedCache({ servers: server.servers, prefix, protocol: 'binary' });
    expect(await binary.set('n', 'k', { from: 'binary' })).toBe(true);
    expect(await meta.get('n', 'k')).toEqual({ from: 'binary' });
    expect(await text.get('n', 'k')).toEqual({ from: 'binary' });
    expect(await meta.set('n', 'm', Buffer.from([1, 2, 3]))).toBe(true);
    expect(await binary.get('n', 'm')).toEqual(Buffer.from([1, 2, 3]));
    await text.deleteNamespace('n');
    for (const cache of [meta, text, binary]) expect(await cache.get('n', 'k')).toBeUndefined();
    await Promise.all([meta.close(), text.close(), binary.close()]);
  });

  it('refuses impossible combinations with a TypeError before anything is sent', () => {
    const client = rawClient();
    expect(() => new NamespacedCache({ client, protocol: 'meta' } as never)).toThrow(/binary protocol/);
    expect(() => new NamespacedCache({ client, tls: true } as never)).toThrow(/no TLS/);
    expect(() => new NamespacedCache({ servers: '127.0.0.1:1', protocol: 'binary', tls: true })).toThrow(/no TLS/);
    expect(() => new NamespacedCache({ servers: 'u:p@127.0.0.1:1', protocol: 'meta' })).toThrow(/SASL/);
    expect(() => new NamespacedCache({ servers: 'u:p@127.0.0.1:1', tls: true })).toThrow(/SASL/);
    expect(() => new NamespacedCache({ servers: '127.0.0.1:1', protocol: 'ascii' as never })).toThrow(TypeError);
    expect(() => new NamespacedCache({ servers: '127.0.0.1:1', tls: 'yes' as never })).toThrow(TypeError);
  });

  it('fails a peer that is not memcached at the probe, within the deadline, with a coded error', async () => {
    const peer = createServer((socket: Socket) =>
      socket.on('data', () => socket.write('HTTP/1.1 400 Bad Request\r\n\r\n')),
    );
    peer.listen(0, '127.0.0.1');
    await once(peer, 'listening');
    const { port } = peer.address() as { port: number };
    const cache = new NamespacedCache({
      servers: `127.0.0.1:${port}`,
      protocol: 'meta',
      prefix: randomPrefix(),
      timeout: 0.3,
      failOpen: false,
    });
    const started = performance.now();
    await expect(cache.get('n', 'k')).rejects.toMatchObject({ code: 'E_PROTOCOL' });
    expect(performance.now() - started).toBeLessThan(400);
    await cache.close();
    peer.close();
  });

  it.each([
    [
      'meta',
      "a reply carrying another request's opaque",
      (line: string) => line.replace(/O(\d+)/, (_, seq) => `O${Number(seq) + 1}`),
    ],
    ['text', 'a value for another key', (line: string) => line.replace(/^VALUE \S+/, 'VALUE another-key')],
  ] as const)('%s: takes %s for a protocol error, never an answer', async (protocol, _what, corrupt) => {
    const server = await privateMemcached({ tls: undefined });
    let done = false;
    const peer = createServer((client: Socket) => {
      const upstream = new Socket().connect(server.port, server.host);
      client.on('data', (chunk) => upstream.write(chunk));
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      // Corrupts the first value reply that comes through, on whichever connection.
      upstream.on('data', (chunk: Buffer) => {
        const text = chunk.toString('latin1');
        const corrupted = done || !/^(VA |VALUE )/m.test(text) ? text : corrupt(text);
        if (corrupted !== text) done = true;
        client.write(Buffer.from(corrupted, 'latin1'));
      });
    });
    peer.listen(0, '127.0.0.1');
    await once(peer, 'listening');
    const { port } = peer.address() as { port: number };
    const prefix = randomPrefix();
    const writer = new NamespacedCache({ servers: server.servers, prefix });
    expect(await writer.set('n', 'k', 'v')).toBe(true);
    const log = errorLog();
    const cache = new NamespacedCache({ servers: `127.0.0.1:${port}`, protocol, prefix, onError: log.onError });
    expect(await cache.get('n', 'k')).toBeUndefined();
    expect(log.errors.map((error) => error.code)).toContain('E_PROTOCOL');
    // The connection was reset; the next read is served.
    expect(await cache.get('n', 'k')).toBe('v');
    await Promise.all([cache.close(), writer.close()]);
    peer.close();
  });
});
