/**
 * The protocols section of the benchmark: fresh gets of 100-byte values over meta, binary (memjs)
 * and text, against the meta floor (meta-floor.ts) and the binary floor; and over TLS against plain
 * TCP, on a memcached serving both (`-Z` with a `notls` listener, a certificate made at setup).
 */

import { connect } from 'node:net';
import { makeCertificates } from '../scripts/certs.js';
import { freePort, type MemcachedServer, startMemcached } from '../scripts/memcached.js';
import type * as Library from '../src/index.js';
import { Floor } from './floor.js';
import { MetaFloor } from './meta-floor.js';
import type { Mode } from './modes.js';
import { keyCount, valueOfSize } from './values.js';

const { NamespacedCache } = (await import(new URL('../dist/index.js', import.meta.url).href)) as typeof Library;
type Cache = InstanceType<typeof NamespacedCache>;

/** The modes of the section, on a memcached of its own, and how to end them. */
export interface ProtocolModes {
  /** meta floor first (the "× floor" column), then the cache on each protocol, then the binary floor. */
  readonly plain: Mode[];
  /** The cache over plain meta first (the ratio column), then over TLS, then the meta floor over TLS. */
  readonly tls: Mode[];
  close(): Promise<void>;
}

/** Stores the floors' values: plain JSON text under plain keys, with quiet meta sets and an `mn`. */
function storeRaw(port: number, count: number, rawKey: (index: number) => string, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let requests = '';
    for (let index = 0; index < count; index += 1) {
      requests += `ms ${rawKey(index)} ${Buffer.byteLength(text)} T3600 q\r\n${text}\r\n`;
    }
    socket.write(`${requests}mn\r\n`);
    let seen = '';
    socket.on('data', (chunk: Buffer) => {
      seen = (seen + chunk.toString('latin1')).slice(-8);
      if (seen.endsWith('MN\r\n')) {
        socket.end();
        resolve();
      }
    });
    socket.on('error', reject);
  });
}

export async function protocolModes(): Promise<ProtocolModes> {
  const certs = makeCertificates();
  const plainPort = await freePort();
  const server: MemcachedServer = await startMemcached({
    memoryMb: 512,
    threads: 2,
    tls: { cert: certs.server.cert, key: certs.server.key },
    plainPort,
  });
  const plain = `127.0.0.1:${plainPort}`;
  const prefix = 'bench-protocols';
  const caches: Cache[] = [
    new NamespacedCache({ servers: plain, prefix }),
    new NamespacedCache({ servers: plain, prefix, protocol: 'binary' }),
    new NamespacedCache({ servers: plain, prefix, protocol: 'text' }),
    new NamespacedCache({ servers: server.servers, prefix, tls: { ca: certs.ca } }),
  ];
  const [meta, binary, text, tls] = caches as [Cache, Cache, Cache, Cache];
  const metaFloor = new MetaFloor('127.0.0.1', plainPort);
  const metaFloorTls = new MetaFloor('127.0.0.1', server.port, { ca: certs.ca });
  const floor = new Floor('127.0.0.1', plainPort);
  const count = keyCount(100);
  const value = valueOfSize(100);
  const text100 = JSON.stringify(value);
  const key = (index: number) => `100:${index % count}`;
  const rawKey = (index: number) => `bench-raw:100:${index % count}`;
  for (let start = 0; start < count; start += 64) {
    const batch: Promise<unknown>[] = [];
    for (let index = start; index < Math.min(count, start + 64); index += 1) {
      batch.push(meta.set('product', key(index), value, { ttl: 3600 }));
    }
    await Promise.all(batch);
  }
  await storeRaw(plainPort, count, rawKey, text100);
  const plainModes: Mode[] = [
    { name: 'meta floor', run: (index) => metaFloor.get(rawKey(index)) },
    { name: 'NamespacedCache meta', run: (index) => meta.get('product', key(index)) },
    { name: 'NamespacedCache binary (memjs)', run: (index) => binary.get('product', key(index)) },
    { name: 'NamespacedCache text', run: (index) => text.get('product', key(index)) },
    { name: 'binary floor', run: (index) => floor.get(rawKey(index)) },
  ];
  const tlsModes: Mode[] = [
    { name: 'NamespacedCache meta, plain TCP', run: (index) => meta.get('product', key(index)) },
    { name: 'NamespacedCache meta, TLS', run: (index) => tls.get('product', key(index)) },
    { name: 'meta floor, TLS', run: (index) => metaFloorTls.get(rawKey(index)) },
  ];
  for (const mode of [...plainModes, ...tlsModes]) {
    for (const index of [0, count - 1]) {
      if (JSON.stringify(await mode.run(index)) !== text100)
        throw new Error(`${mode.name} does not read back its values`);
    }
  }
  return {
    plain: plainModes,
    tls: tlsModes,
    async close() {
      metaFloor.close();
      metaFloorTls.close();
      floor.close();
      await Promise.all(caches.map((cache) => cache.close()));
      await server.stop();
    },
  };
}
