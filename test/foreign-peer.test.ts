import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CacheError, NamespacedCache } from '../src/index.js';
import { errorLog, randomPrefix } from './support/cache.js';
import { plainProtocolOptions } from './support/protocol.js';

const peers: Server[] = [];
const sockets = new Set<Socket>();
afterEach(async () => {
  // A server only emits 'close' once its connections are gone.
  for (const socket of sockets) socket.destroy();
  await Promise.all(peers.splice(0).map((server) => once(server.close(), 'close')));
});

/** A TCP peer on 127.0.0.1 that answers every chunk with `answer(chunk)`; resolves its `host:port`. */
async function peer(answer: (chunk: Buffer) => Buffer): Promise<string> {
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', (chunk) => socket.write(answer(chunk)));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  peers.push(server);
  return `127.0.0.1:${(server.address() as { port: number }).port}`;
}

/** Rewrites each request header in `chunk` into a response header with `opcode`, status 0. */
function answerWithOpcode(opcode: number): (chunk: Buffer) => Buffer {
  return (chunk) => {
    const reply = Buffer.from(chunk);
    for (let offset = 0; offset + 24 <= reply.length; offset += 24 + reply.readUInt32BE(offset + 8)) {
      reply[offset] = 0x81;
      reply[offset + 1] = opcode;
      reply.writeUInt16BE(0, offset + 6); // status: OK
    }
    return reply;
  };
}

async function expectNothingAcknowledged(servers: string): Promise<void> {
  const log = errorLog();
  const cache = new NamespacedCache({
    ...plainProtocolOptions(), // the scripted peer speaks plain TCP
    servers,
    prefix: randomPrefix(),
    timeout: 0.5,
    onError: log.onError,
  });
  try {
    await expect(cache.deleteNamespace('product')).rejects.toMatchObject({
      code: 'E_PROTOCOL',
      operation: 'deleteNamespace',
    });
    const deleted = await cache.delete('product', 'guitar').catch((error: unknown) => error);
    expect(deleted).toBeInstanceOf(CacheError);
    expect(deleted).toMatchObject({ code: 'E_PROTOCOL', operation: 'delete' });
    expect(await cache.set('product', 'guitar', 1)).toBe(false);
    expect(await cache.get('product', 'guitar')).toBeUndefined();
    expect(log.errors.map((error) => [error.code, error.operation])).toEqual([
      ['E_PROTOCOL', 'set'],
      ['E_PROTOCOL', 'get'],
    ]);
  } finally {
    await cache.close();
  }
}

describe('a peer that is not memcached', () => {
  it('never acknowledges an invalidation or a write when it echoes the requests back', async () => {
    await expectNothingAcknowledged(await peer((chunk) => chunk));
  });

  it('never takes a response to another command as the answer (right magic, wrong opcode)', async () => {
    // Every request answered as if it were a get: a set or delete must not count as done.
    await expectNothingAcknowledged(await peer(answerWithOpcode(0x00)));
  });
});
