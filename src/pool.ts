import { checkMemjsClient, type MemjsClient } from './memjs-client.js';
import type { MemjsClientLike } from './options.js';

/**
 * memjs maps a key to `hashCode(key) % n`: adding a server to a pool of n moves almost every key,
 * and every namespace token with them (each moved token is a namespace cleared). Rendezvous
 * (highest-random-weight) hashing gives each key to the server that scores it highest, so adding or
 * removing one server moves only the keys that server wins or held: about 1/n.
 *
 * Servers are told apart by `host:port` as written: list them the same way in every process.
 * @internal
 */
export function rendezvousHashing(serverIds: readonly string[]): (key: string) => number {
  const seeds = serverIds.map((id) => hash32(id));
  return (key) => {
    const keyHash = hash32(key);
    let best = 0;
    let bestScore = -1;
    for (let index = 0; index < seeds.length; index += 1) {
      const score = mix32(keyHash ^ (seeds[index] as number));
      if (score > bestScore) {
        bestScore = score;
        best = index;
      }
    }
    return best;
  };
}

/** @internal Makes a memjs client spread its keys by rendezvous hashing (see {@link rendezvousHashing}). */
export function installRendezvousHashing(client: MemjsClient): void {
  const getServer = rendezvousHashing(client.servers.map((server) => `${server.host}:${server.port}`));
  (client as MemjsClient & { getServer(key: string): number }).getServer = getServer;
}

/**
 * Gives a memjs client you created the cache's consistent hashing, so that adding or removing one
 * of n servers moves about 1/n of the keys instead of almost all. Clients the cache creates from
 * `servers` have it already. It changes where the client's own calls go too.
 *
 * @throws TypeError when `client` is not a memjs client.
 */
export function useConsistentHashing(client: MemjsClientLike): void {
  installRendezvousHashing(checkMemjsClient(client));
}

/** FNV-1a over the UTF-16 code units, finished with murmur3's mixer: keys here are ASCII. */
function hash32(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193);
  }
  return mix32(hash);
}

/** murmur3's 32-bit finaliser: every input bit flips about half the output bits. */
function mix32(value: number): number {
  let hash = value;
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) >>> 0;
}
