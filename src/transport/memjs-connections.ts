import type { MemjsClient, MemjsServer } from '../memjs-client.js';
import type { Connections } from '../transport.js';
import { MemjsConnection } from './memjs-connection.js';
import type { ConnectionOwner } from './pipeline.js';
import { MAX_SEQ } from './request.js';

/**
 * The binary protocol through a memjs client's servers (a client passed in, SASL, `protocol:
 * 'binary'`): memjs keeps its sockets and authentication, the cache writes and reads the frames
 * (see {@link MemjsConnection} for the repairs).
 */
export class MemjsConnections implements Connections {
  readonly protocol = 'binary';
  readonly casOnWrite = true;
  private readonly connections = new Map<MemjsServer, MemjsConnection>();
  private lastServer: MemjsServer | undefined;
  private lastConnection: MemjsConnection | undefined;

  /** @param ownsClient - the cache created the client, so closing the cache closes it. */
  constructor(
    private readonly client: MemjsClient,
    private readonly owner: ConnectionOwner,
    private readonly ownsClient: boolean,
  ) {}

  connectionFor(key: string): MemjsConnection | null {
    const server = this.client.server(key);
    if (server === null) return null;
    if (server === this.lastServer) return this.lastConnection as MemjsConnection;
    let connection = this.connections.get(server);
    if (connection === undefined) {
      connection = new MemjsConnection(server, this.owner);
      this.connections.set(server, connection);
    }
    this.lastServer = server;
    this.lastConnection = connection;
    return connection;
  }

  all(): Iterable<MemjsConnection> {
    return this.connections.values();
  }

  nextSeq(): number {
    let seq = this.client.seq + 1;
    if (seq > MAX_SEQ || seq < 1) seq = 1;
    // Written back to the client: a caller sharing it must not reuse our sequence numbers.
    this.client.seq = seq;
    return seq;
  }

  close(): void {
    // A client passed in outlives the cache, and must not keep it alive.
    for (const connection of this.connections.values()) connection.detach();
    if (this.ownsClient) this.client.close();
  }
}
