import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { NamespacedCache } from '../src/index.js';
import { randomPrefix } from './support/cache.js';

const peers: ReturnType<typeof createServer>[] = [];
afterEach(() => {
  for (const peer of peers.splice(0)) peer.close();
});

/**
 * A scripted peer that answers the probe as memcached 1.6.18 and every later request line with
 * what `answer` returns for it (a store's value line is answered as a line too: these tests only read).
 */
async function scriptedPeer(answer: (line: string) => Buffer | string): Promise<string> {
  const peer = createServer((socket: Socket) => {
    let pending = '';
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      for (let end = pending.indexOf('\r\n'); end >= 0; end = pending.indexOf('\r\n')) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 2);
        socket.write(line.startsWith('version') ? 'VERSION 1.6.18\r\n' : answer(line));
      }
    });
  });
  peers.push(peer);
  peer.listen(0, '127.0.0.1');
  await once(peer, 'listening');
  return `127.0.0.1:${(peer.address() as { port: number }).port}`;
}

const opaque = (line: string) => /O(\d+)/.exec(line)?.[1] ?? '';
const key = (line: string) => line.split(' ')[1] ?? '';

/** A read from `servers` rejects with `code` well before its 2 s deadline. */
async function failsFast(servers: string, protocol: 'meta' | 'text', code: string): Promise<void> {
  const cache = new NamespacedCache({ servers, protocol, prefix: randomPrefix(), timeout: 2, failOpen: false });
  const started = performance.now();
  await expect(cache.get('n', 'k')).rejects.toMatchObject({ code });
  expect(performance.now() - started).toBeLessThan(1000);
  await cache.close();
}

describe('replies that cannot be answers fail at once, not at the deadline', () => {
  it('meta: a value longer than memcached allows (1 GiB)', async () => {
    await failsFast(await scriptedPeer((line) => `VA 999999999999999 O${opaque(line)}\r\n`), 'meta', 'E_PROTOCOL');
  });

  it('text: a value longer than memcached allows (1 GiB)', async () => {
    await failsFast(await scriptedPeer((line) => `VALUE ${key(line)} 0 2000000000\r\n`), 'text', 'E_PROTOCOL');
  });

  it.each(['meta', 'text'] as const)('%s: a binary frame (no line end in sight)', async (protocol) => {
    const frame = Buffer.alloc(24);
    frame[0] = 0x81;
    await failsFast(await scriptedPeer(() => frame), protocol, 'E_PROTOCOL');
  });

  it.each(['meta', 'text'] as const)('%s: CLIENT_ERROR and ERROR are protocol errors', async (protocol) => {
    await failsFast(await scriptedPeer(() => 'CLIENT_ERROR bad command line format\r\n'), protocol, 'E_PROTOCOL');
    await failsFast(await scriptedPeer(() => 'ERROR\r\n'), protocol, 'E_PROTOCOL');
  });
});
