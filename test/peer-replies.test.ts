import { describe, expect, it } from 'vitest';
import { NamespacedCache } from '../src/index.js';
import { randomPrefix } from './support/cache.js';
import { linePeer, scriptedServer } from './support/peer.js';

/**
 * A scripted peer that answers the probe as memcached 1.6.18 and every later request line with
 * what `answer` returns for it (a store's value line is answered as a line too: these tests only read).
 */
function scriptedPeer(answer: (line: string) => Buffer | string): Promise<string> {
  return linePeer((line, socket) => {
    socket.write(line.startsWith('version') ? 'VERSION 1.6.18\r\n' : answer(line));
    return 0;
  });
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

/**
 * A scripted binary-only peer: it closes the connection on the text probe (as `memcached -B binary`
 * does), then answers every binary request with what `answer` makes of its header.
 */
function binaryPeer(answer: (request: Buffer) => Buffer): Promise<string> {
  return scriptedServer((socket) => {
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      if (pending[0] !== 0x80) {
        socket.destroy();
        return;
      }
      while (pending.length >= 24 && pending.length >= 24 + pending.readUInt32BE(8)) {
        const length = 24 + pending.readUInt32BE(8);
        socket.write(answer(pending.subarray(0, length)));
        pending = pending.subarray(length);
      }
    });
  });
}

describe('binary replies that cannot be answers', () => {
  it('a key and extras longer than the body is a protocol error, never a hit with an empty value', async () => {
    const servers = await binaryPeer((request) => {
      const reply = Buffer.alloc(28);
      reply[0] = 0x81;
      reply[1] = request[1] as number;
      reply[4] = 200; // extras length, past the 4-byte body
      reply.writeUInt32BE(4, 8);
      request.copy(reply, 12, 12, 16); // opaque
      return reply;
    });
    const cache = new NamespacedCache({ servers, prefix: randomPrefix(), timeout: 2, failOpen: false });
    await expect(cache.get('n', 'k')).rejects.toMatchObject({ code: 'E_PROTOCOL' });
    await cache.close();
  });
});
