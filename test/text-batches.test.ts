import { once } from 'node:events';
import { createServer, Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NamespacedCache } from '../src/index.js';
import { errorLog, randomPrefix } from './support/cache.js';
import { privateMemcached } from './support/servers.js';

const peers: ReturnType<typeof createServer>[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const peer of peers.splice(0)) peer.close();
});

/** Every request line the cache writes, in order (a spy on what reaches its sockets). */
function sentLines(): string[] {
  const lines: string[] = [];
  let pending = '';
  const write = Socket.prototype.write;
  vi.spyOn(Socket.prototype, 'write').mockImplementation(function (this: Socket, ...args: unknown[]) {
    const [data] = args;
    pending += Buffer.isBuffer(data) ? data.toString('latin1') : String(data);
    for (let end = pending.indexOf('\r\n'); end >= 0; end = pending.indexOf('\r\n')) {
      lines.push(pending.slice(0, end));
      pending = pending.slice(end + 2);
    }
    return (write as (...rest: unknown[]) => boolean).apply(this, args);
  });
  return lines;
}

/**
 * A scripted text peer that keeps what it is sent: `set`/`add` store (STORED; an add of a key it
 * has is NOT_STORED), `gets` finds nothing, and each `get` line is answered with what `answerGet`
 * makes of its keys and the values kept.
 */
async function textPeer(
  answerGet: (keys: string[], kept: Map<string, string>) => string,
  closeAfterRefusal = false,
): Promise<string> {
  const kept = new Map<string, string>();
  const peer = createServer((socket: Socket) => {
    let pending = '';
    let storing: { key: string; add: boolean } | undefined;
    let closing = false;
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      // As twemproxy: after refusing a line it answers what it had read, then closes the connection.
      if (closing) {
        socket.destroy();
        return;
      }
      pending += chunk.toString('latin1');
      for (let end = pending.indexOf('\r\n'); end >= 0; end = pending.indexOf('\r\n')) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 2);
        const [command, key = ''] = line.split(' ');
        if (storing !== undefined) {
          const exists = storing.add && kept.has(storing.key);
          if (!exists) kept.set(storing.key, line);
          socket.write(exists ? 'NOT_STORED\r\n' : 'STORED\r\n');
          storing = undefined;
        } else if (command === 'add' || command === 'set') {
          storing = { key, add: command === 'add' };
        } else if (command === 'gets') {
          socket.write('END\r\n');
        } else if (command === 'get') {
          const answer = answerGet(line.split(' ').slice(1), kept);
          if (closeAfterRefusal && answer.startsWith('SERVER_ERROR')) closing = true;
          socket.write(answer, 'latin1');
        }
      }
      if (closing) socket.end();
    });
  });
  peers.push(peer);
  peer.listen(0, '127.0.0.1');
  await once(peer, 'listening');
  return `127.0.0.1:${(peer.address() as { port: number }).port}`;
}

/** A `VALUE` line and its data. */
const valueLine = (key: string, value: string) => `VALUE ${key} 0 ${value.length}\r\n${value}\r\n`;

/**
 * A text peer that refuses every `get` line of three keys or more as twemproxy does with a server
 * down (and, with `closeAfterRefusal`, then closes the connection as it does); it answers the others.
 */
async function refusingPeer(closeAfterRefusal: boolean): Promise<{ servers: string; refusals: () => number }> {
  let refused = 0;
  const servers = await textPeer((keys, kept) => {
    if (keys.length >= 3) {
      refused += 1;
      return 'SERVER_ERROR Connection refused\r\n';
    }
    return `${keys.map((key) => (kept.has(key) ? valueLine(key, kept.get(key) as string) : '')).join('')}END\r\n`;
  }, closeAfterRefusal);
  return { servers, refusals: () => refused };
}

/** A text cache on `servers` with a 2 s deadline, telling `log`. */
function textCache(servers: string, log: ReturnType<typeof errorLog>): NamespacedCache {
  return new NamespacedCache({ servers, protocol: 'text', prefix: randomPrefix(), timeout: 2, onError: log.onError });
}

describe('text: the gets of one write share multi-key get lines', () => {
  it('answers every get right — hits, misses, duplicates, values around stores — in far fewer commands', async () => {
    const server = await privateMemcached({ tls: undefined });
    const log = errorLog();
    const cache = new NamespacedCache({
      servers: server.servers,
      protocol: 'text',
      prefix: randomPrefix(),
      onError: log.onError,
    });
    const keys = Array.from({ length: 200 }, (_, index) => `key-${index}`);
    // Every third key stored: the lines mix hits and misses.
    const stored = keys.filter((_, index) => index % 3 === 0);
    expect(await cache.setMulti('n', Object.fromEntries(stored.map((key) => [key, `value of ${key}`])))).toBe(true);
    const lines = sentLines();
    const asked = [...keys, 'key-0', 'key-3', 'key-1'];
    const [values, , more] = await Promise.all([
      Promise.all(asked.map((key) => cache.get('n', key))),
      cache.set('n', 'written-between', 'w'),
      Promise.all(keys.slice(0, 10).map((key) => cache.get('n', key))),
    ]);
    asked.forEach((key, index) => {
      expect(values[index]).toBe(stored.includes(key) ? `value of ${key}` : undefined);
    });
    expect(more).toEqual(keys.slice(0, 10).map((key) => (stored.includes(key) ? `value of ${key}` : undefined)));
    expect(await cache.get('n', 'written-between')).toBe('w');
    const gets = lines.filter((line) => line.startsWith('get '));
    const keysSent = gets.reduce((sum, line) => sum + line.split(' ').length - 1, 0);
    expect(keysSent).toBeGreaterThanOrEqual(asked.length + 10);
    expect(gets.length).toBeLessThan(keysSent / 5);
    for (const line of gets) expect(line.length).toBeLessThanOrEqual(2048);
    expect(log.errors).toEqual([]);
    await cache.close();
  });

  it('sends the gets of a line refused as a whole again one by one, as a proxy with a server down needs', async () => {
    // twemproxy refuses a multi-key get when one of its keys' servers is down: the others' keys
    // must still be served.
    const { servers, refusals } = await refusingPeer(false);
    const log = errorLog();
    const cache = textCache(servers, log);
    const keys = ['a', 'b', 'c', 'd'];
    for (const key of keys.slice(0, 3)) expect(await cache.set('n', key, `value of ${key}`)).toBe(true);
    expect(await Promise.all(keys.map((key) => cache.get('n', key)))).toEqual([
      'value of a',
      'value of b',
      'value of c',
      undefined,
    ]);
    expect(refusals()).toBe(1);
    expect(log.errors).toEqual([]);
    await cache.close();
  });

  it('writes nothing more on a connection that refused a line: what follows goes on a new one, as twemproxy closes it', async () => {
    const { servers, refusals } = await refusingPeer(true);
    const log = errorLog();
    const cache = textCache(servers, log);
    for (const key of ['a', 'b', 'c']) expect(await cache.set('n', key, `value of ${key}`)).toBe(true);
    const [values, stored] = await Promise.all([
      Promise.all(['a', 'b', 'c', 'd'].map((key) => cache.get('n', key))),
      cache.set('n', 'e', 'value of e'),
    ]);
    expect(values).toEqual(['value of a', 'value of b', 'value of c', undefined]);
    expect(stored).toBe(true);
    expect(refusals()).toBe(1);
    // The set was written with the refused line and answered before the close; the gets sent again
    // went on a new connection, one by one.
    expect(await cache.get('n', 'e')).toBe('value of e');
    expect(log.errors).toEqual([]);
    await cache.close();
  });

  it('gathers a line of large values once: bytes are copied about once, not again for every value', async () => {
    const server = await privateMemcached({ tls: undefined });
    const cache = new NamespacedCache({ servers: server.servers, protocol: 'text', prefix: randomPrefix() });
    const keys = Array.from({ length: 12 }, (_, index) => `large-${index}`);
    const value = (key: string) => key.repeat(40_000); // ~300 KB each
    for (const key of keys) expect(await cache.set('n', key, value(key))).toBe(true);
    let copied = 0;
    const concat = Buffer.concat;
    vi.spyOn(Buffer, 'concat').mockImplementation((list, length) => {
      const joined = concat(list, length);
      copied += joined.length;
      return joined;
    });
    const values = await Promise.all(keys.map((key) => cache.get('n', key)));
    expect(values).toEqual(keys.map(value));
    const total = keys.reduce((sum, key) => sum + value(key).length, 0);
    // Re-read from the line's start for each value, it was about keys.length / 2 times the total.
    expect(copied).toBeLessThan(2 * total);
    await cache.close();
  });

  it('matches values to keys in whatever order a proxy returns them, and refuses a value for a key not asked', async () => {
    // Values in reverse order, as a proxy gathering them from several servers may; while \`twice\`,
    // the last key's value comes twice, so that one of them answers no key that is still waiting.
    let twice = false;
    const servers = await textPeer((keys, kept) => {
      const found = keys.filter((key) => kept.has(key)).reverse();
      const lines = found.map((key) => valueLine(key, kept.get(key) as string));
      if (twice && found.length > 0) lines.push(valueLine(found[0] as string, 'x'));
      return `${lines.join('')}END\r\n`;
    });
    const log = errorLog();
    const cache = new NamespacedCache({
      servers,
      protocol: 'text',
      prefix: randomPrefix(),
      timeout: 2,
      onError: log.onError,
    });
    const keys = ['a', 'b', 'c', 'd', 'e'];
    for (const key of keys.slice(0, 4)) expect(await cache.set('n', key, `value of ${key}`)).toBe(true);
    expect(await Promise.all(keys.map((key) => cache.get('n', key)))).toEqual([
      'value of a',
      'value of b',
      'value of c',
      'value of d',
      undefined,
    ]);
    expect(log.errors).toEqual([]);
    twice = true;
    const started = performance.now();
    expect(await Promise.all(keys.map((key) => cache.get('n', key)))).toEqual(keys.map(() => undefined));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(log.errors.map((error) => error.code)).toContain('E_PROTOCOL');
    await cache.close();
  });
});
