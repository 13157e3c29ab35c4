/**
 * Measures what a cache keeps alive after 100k distinct namespaces have been used (a get each,
 * which creates each namespace's token): the heap after a full GC, before and after. Two runs:
 * short namespaces (`tenant-12345`, as a multi-tenant app has them: all remembered) and namespaces
 * of 10 KB each (half strings, half paths: bounded by the remembered bytes).
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

async function measure(label: string, namespaceOf: (index: number) => string | string[]): Promise<void> {
  const cache = new NamespacedCache({ servers: server.servers, prefix: `memory${label.length}` });
  await cache.get('warm-up', 'k');
  const before = await heapMb();
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < NAMESPACES) {
        const index = next++;
        await cache.get(namespaceOf(index), 'k');
      }
    }),
  );
  const after = await heapMb();
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `${NAMESPACES.toLocaleString('en-US')} ${label} in ${seconds.toFixed(1)} s: heap ${before.toFixed(1)} MB before, ` +
      `${after.toFixed(1)} MB after (+${(after - before).toFixed(1)} MB)`,
  );
  await cache.close();
}

await measure('short namespaces (tenant-N)', (index) => `tenant-${index}`);
await measure(
  `namespaces of 10 KB (half strings, half paths; unbounded they would keep ~${Math.round((NAMESPACES * 10) / 1024)} MB)`,
  (index) => (index % 2 === 0 ? `${index}:${padding}` : [`${index}`, padding]),
);
await server.stop();
