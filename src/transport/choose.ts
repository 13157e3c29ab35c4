import type { ConnectionOptions } from 'node:tls';
import { checkMemjsClient, createMemjsClient } from '../memjs-client.js';
import { installRendezvousHashing } from '../pool.js';
import { hasCredentials } from '../protocol-options.js';
import type { Settings } from '../settings.js';
import type { Connections } from '../transport.js';
import { MemjsConnections } from './memjs-connections.js';
import { metaCodec } from './meta.js';
import type { ConnectionOwner } from './pipeline.js';
import { SocketConnections } from './socket-connections.js';
import { textCodec } from './text.js';

/** How a cache reaches memcached: its connections, and the servers they go to. */
export interface Reach {
  readonly connect: (owner: ConnectionOwner) => Connections;
  readonly servers: readonly { readonly host: string; readonly port: number }[];
  readonly tls: boolean;
}

/** The servers memjs would use when none are given. */
function defaultServers(): string {
  return process.env.MEMCACHIER_SERVERS || process.env.MEMCACHE_SERVERS || 'localhost:11211';
}

/**
 * Picks the connections for the settings (DESIGN §11): a memjs client passed in, SASL credentials
 * or `protocol: 'binary'` go through memjs; everything else through the cache's own connections,
 * meta by default (binary per connection where the server has no meta), text when asked.
 */
export function reachFor(settings: Settings): Reach {
  const { client, protocol, tls } = settings;
  if (client !== undefined || protocol === 'binary' || hasCredentials(settings.servers)) {
    const owned = client === undefined;
    const memjsClient = owned ? createMemjsClient(settings.servers) : checkMemjsClient(client);
    // A pool the cache creates spreads keys by rendezvous hashing; a client passed in keeps its own
    // mapping (useConsistentHashing() gives it ours).
    if (owned && memjsClient.servers.length > 1) installRendezvousHashing(memjsClient);
    return {
      connect: (owner) => new MemjsConnections(memjsClient, owner, owned),
      servers: memjsClient.servers,
      tls: false,
    };
  }
  const list = (settings.servers ?? defaultServers()).split(',');
  const connections = {
    servers: list,
    speech: protocol === 'text' ? textCodec : protocol === 'meta' ? metaCodec : ('auto' as const),
    tls: tls as ConnectionOptions | undefined,
    timeoutMs: settings.timeoutMs,
  };
  return {
    connect: (owner) => new SocketConnections(connections, owner),
    servers: list.map((server) => {
      const at = server.lastIndexOf(':');
      return at < 0 ? { host: server, port: 11211 } : { host: server.slice(0, at), port: Number(server.slice(at + 1)) };
    }),
    tls: tls !== undefined,
  };
}
