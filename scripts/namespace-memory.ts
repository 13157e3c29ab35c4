/**
 * Measures what a cache keeps alive after 100k distinct namespaces of 10 KB each have been used
 * (a get each, which creates each namespace's token): the heap after a full GC, before and after.
 * Run: npm run memory
 */
import { NamespacedCache } from '../src/index.js';
import { heapAfterGc } from './heap.js';
import { startMemcached } from './memcached.js';

const heapMb = async (): Promise<number> => (await heapAfterGc()) / 1024 / 1024;

const NAMESPACES = 100_000;
const IN_FLIGHT = 256;
const padding = 'n'.repeat(10 * 1024);

const server = await startMemcached({ memoryMb: 256 });
const cache = new NamespacedCache({ servers: server.servers, prefix: 'memory' });
await cache.get('warm-up', 'k');
const before = await heapMb();
const started = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: IN_FLIGHT }, async () => {
    while (next < NAMESPACES) {
      const index = next++;
      await cache.get(index % 2 === 0 ? `${index}:${padding}` : [`${index}`, padding], 'k');
    }
  }),
);
const after = await heapMb();
const seconds = (performance.now() - started) / 1000;
console.log(
  `${NAMESPACES} namespaces of 10 KB (half strings, half paths) in ${seconds.toFixed(1)} s: ` +
    `heap ${before.toFixed(1)} MB before, ${after.toFixed(1)} MB after (+${(after - before).toFixed(1)} MB); ` +
    `unbounded, the namespaces alone would keep ~${((NAMESPACES * 10) / 1024).toFixed(0)} MB`,
);
await cache.close();
await server.stop();
