import type { ConnectionOptions } from 'node:tls';
import { rendezvousHashing } from '../pool.js';
import type { Connections, ProtocolName } from '../transport.js';
import type { Speech } from './endpoint.js';
import type { ConnectionOwner } from './pipeline.js';
import { MAX_SEQ } from './request.js';
import { SocketConnection } from './socket-connection.js';

/** How the cache's own connections are made. */
export interface SocketSettings {
  /** `host:port` of each server. */
  readonly servers: readonly string[];
  readonly speech: Speech;
  readonly tls: ConnectionOptions | undefined;
  readonly timeoutMs: number;
}

/** Splits `host:port` (a bracketed IPv6 address too); memcached's port when none is given. */
function endpointOf(server: string): { host: string; port: number } {
  const match = /^\[([^\]]+)\](?::(\d+))?$/.exec(server) ?? /^([^:]+)(?::(\d+))?$/.exec(server);
  if (match === null) return { host: server, port: 11211 };
  return { host: match[1] as string, port: match[2] === undefined ? 11211 : Number(match[2]) };
}

/**
 * The cache's own connections, one per server, keys spread by rendezvous hashing (pool.ts) exactly
 * as on a memjs client the cache creates: a fleet mid-upgrade between protocols maps every key to
 * the same server.
 */
export class SocketConnections implements Connections {
  private readonly connections: SocketConnection[];
  private readonly pick: ((key: string) => number) | undefined;
  private seq = 0;
  readonly casOnWrite: boolean;

  constructor(settings: SocketSettings, owner: ConnectionOwner) {
    const endpoints = settings.servers.map(endpointOf);
    const { tls, speech, timeoutMs } = settings;
    this.connections = endpoints.map(
      ({ host, port }) => new SocketConnection({ host, port, tls, speech, timeoutMs }, owner),
    );
    // The same server ids as a memjs pool's (`host:port`, port filled in): the same key, the same server.
    const ids = endpoints.map(({ host, port }) => `${host}:${port}`);
    this.casOnWrite = speech === 'auto' || speech.casOnWrite;
    this.pick = ids.length > 1 ? rendezvousHashing(ids) : undefined;
  }

  get protocol(): ProtocolName {
    return (this.connections[0] as SocketConnection).protocol;
  }

  connectionFor(key: string): SocketConnection {
    const pick = this.pick;
    return this.connections[pick === undefined ? 0 : pick(key)] as SocketConnection;
  }

  all(): Iterable<SocketConnection> {
    return this.connections;
  }

  nextSeq(): number {
    this.seq = this.seq >= MAX_SEQ ? 1 : this.seq + 1;
    return this.seq;
  }

  close(): void {
    for (const connection of this.connections) connection.detach();
  }
}
