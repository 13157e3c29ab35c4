import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { NamespacedCache } from '../src/index.js';
import { randomPrefix } from './support/cache.js';
import { plainProtocolOptions, protocol } from './support/protocol.js';

/**
 * The backoff is the cache's own sockets': under `binary` the cache would go through memjs, which
 * dials once per request of its own accord (no loop, no backoff of ours), so that run tests meta.
 */
const ownSockets = () => (protocol === 'binary' ? {} : plainProtocolOptions());

const peers: Server[] = [];
const sockets = new Set<Socket>();
afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(peers.splice(0).map((server) => once(server.close(), 'close')));
});

/** A scripted TCP peer that runs `onSocket` on each connection; counts connections. */
async function peer(onSocket: (socket: Socket) => void): Promise<{ servers: string; connections: () => number }> {
  let connections = 0;
  const server = createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onSocket(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  peers.push(server);
  return { servers: `127.0.0.1:${(server.address() as { port: number }).port}`, connections: () => connections };
}

/** Calls every 10 ms for `windowMs`, so that requests are always pending; resolves once all settled. */
async function callsFor(cache: NamespacedCache, windowMs: number): Promise<void> {
  const calls: Promise<unknown>[] = [];
  const interval = setInterval(() => calls.push(cache.get('n', 'k')), 10);
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  clearInterval(interval);
  await Promise.all(calls);
}

describe('reconnect backoff', () => {
  it.each([
    ['closes every connection as soon as it accepts it', (socket: Socket) => socket.destroy()],
    [
      'answers the protocol probe, then closes on the first request',
      (socket: Socket) =>
        socket.on('data', (chunk) => {
          if (chunk.toString('latin1').startsWith('version')) socket.write('VERSION 1.6.18\r\n');
          else socket.destroy();
        }),
    ],
  ])('a peer that %s is redialled on the backoff schedule, never in a tight loop', async (_what, onSocket) => {
    const { servers, connections } = await peer(onSocket);
    const cache = new NamespacedCache({ ...ownSockets(), servers, prefix: randomPrefix(), timeout: 1 });
    await callsFor(cache, 1000);
    await cache.close();
    // The backoff (0, 25, 50 … 800 ms) allows about 7 failed connects in a second, each perhaps
    // preceded by a probe the peer closed (then binary is tried): without it, hundreds.
    expect(connections()).toBeGreaterThan(1);
    expect(connections()).toBeLessThan(40);
  });
});
