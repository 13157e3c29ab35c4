import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach } from 'vitest';

const peers: Server[] = [];
afterEach(() => {
  for (const peer of peers.splice(0)) peer.close();
});

/** A TCP peer on 127.0.0.1 that runs `onConnection` for each client, closed after the test: its `host:port`. */
export async function scriptedServer(onConnection: (socket: Socket) => void): Promise<string> {
  const peer = createServer((socket: Socket) => {
    socket.on('error', () => {});
    onConnection(socket);
  });
  peers.push(peer);
  peer.listen(0, '127.0.0.1');
  await once(peer, 'listening');
  return `127.0.0.1:${(peer.address() as { port: number }).port}`;
}

/**
 * A scripted peer on 127.0.0.1, closed after the test: each request line it receives goes to
 * `onLine`, which answers on the socket and returns how many bytes after the line to skip (a
 * store's value and its line end), if any. Resolves the peer's `host:port`.
 */
export function linePeer(onLine: (line: string, socket: Socket) => number | undefined): Promise<string> {
  return scriptedServer((socket) => {
    let pending = '';
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      for (let end = pending.indexOf('\r\n'); end >= 0; end = pending.indexOf('\r\n')) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 2 + (onLine(line, socket) ?? 0));
      }
    });
  });
}
