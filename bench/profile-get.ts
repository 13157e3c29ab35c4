/**
 * Profiling aid (not part of `npm run bench`): fresh 100 B gets over one protocol, alternated with
 * the meta floor in 300 ms windows; prints the median ratio to the floor. Run it with `node
 * --cpu-prof` to see where a get's time goes.
 * Usage: tsx bench/profile-get.ts <inFlight> <rounds> [meta|binary|text] [dist directory]
 */
import { startMemcached } from '../scripts/memcached.js';
import type * as Library from '../src/index.js';
import { MetaFloor } from './meta-floor.js';
import { valueOfSize } from './values.js';

const inFlight = Number(process.argv[2] ?? 1);
const rounds = Number(process.argv[3] ?? 5);
const protocol = (process.argv[4] ?? 'meta') as 'meta' | 'binary' | 'text';
const dist = new URL(process.argv[5] ?? '../dist/', import.meta.url);
const { NamespacedCache } = (await import(new URL('index.js', dist).href)) as typeof Library;
const withTls = process.env.PROFILE_TLS_SERVER === '1';
const certs = withTls ? (await import('../scripts/certs.js')).makeCertificates() : undefined;
const server = await startMemcached({
  memoryMb: 256,
  threads: 2,
  ...(certs === undefined
    ? {}
    : {
        tls: { cert: certs.server.cert, key: certs.server.key },
        plainPort: await (await import('../scripts/memcached.js')).freePort(),
      }),
});
const port = Number(server.plainServers.split(':')[1]);
const cache = new NamespacedCache(
  protocol === 'meta'
    ? { servers: server.plainServers, prefix: 'p' }
    : { servers: server.plainServers, prefix: 'p', protocol },
);
const value = valueOfSize(100);
// PROFILE_TAGGED=1: values with three tags, each read once first (their tags are then known).
const tags = process.env.PROFILE_TAGGED === '1' ? ['product', 'category:100', 'price-list:eu'] : undefined;
for (let index = 0; index < 1000; index += 1) await cache.set('product', `k${index}`, value, { ttl: 3600, tags });
for (let index = 0; index < 1000; index += 1) await cache.get('product', `k${index}`);
const floor = new MetaFloor('127.0.0.1', port);
const text = JSON.stringify(value);
const raw = (await import('node:net')).connect(port, '127.0.0.1');
let batch = '';
for (let index = 0; index < 1000; index += 1) batch += `ms raw${index} ${text.length} T3600 q\r\n${text}\r\n`;
raw.write(`${batch}mn\r\n`);
await new Promise((resolve) => raw.once('data', resolve));
raw.end();

const { setFlagsFromString } = await import('node:v8');
setFlagsFromString('--expose-gc');
const collectGarbage = (await import('node:vm')).runInNewContext('gc') as () => void;
const cpu = { floor: 0, cache: 0, floorOps: 0, cacheOps: 0 };
async function run(get: (round: number) => Promise<unknown>, ms: number): Promise<number> {
  if (process.env.PROFILE_GC === '1') collectGarbage();
  const cpuBefore = process.cpuUsage();
  let ops = 0;
  const end = performance.now() + ms;
  await Promise.all(
    Array.from({ length: inFlight }, async (_, worker) => {
      for (let round = worker; performance.now() < end; round += 1) {
        await get(round);
        ops += 1;
      }
    }),
  );
  const used = process.cpuUsage(cpuBefore);
  const which = get === floorGet ? 'floor' : 'cache';
  cpu[which] += used.user + used.system;
  cpu[`${which}Ops`] += ops;
  return (ops * 1000) / ms;
}
const floorGet = (round: number) => floor.get(`raw${round % 1000}`);
const cacheGet = (round: number) => cache.get('product', `k${round % 1000}`);
await run(floorGet, 200);
await run(cacheGet, 200);
const ratios: number[] = [];
const rates: number[] = [];
for (let round = 0; round < rounds; round += 1) {
  const floorRate = await run(floorGet, Number(process.env.PROFILE_MS ?? 300));
  const cacheRate = await run(cacheGet, Number(process.env.PROFILE_MS ?? 300));
  ratios.push(cacheRate / floorRate);
  rates.push(cacheRate);
}
const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] as number;
console.log(
  `${protocol} at ${inFlight}: ${Math.round(median(rates))} ops/s, ${median(ratios).toFixed(2)} x meta floor (${ratios.map((r) => r.toFixed(2)).join(' ')})`,
);
console.log(
  `client CPU per get: cache ${(cpu.cache / cpu.cacheOps).toFixed(1)} µs, floor ${(cpu.floor / cpu.floorOps).toFixed(1)} µs`,
);
floor.close();
await cache.close();
await server.stop();
