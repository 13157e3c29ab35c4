import { startMemcached } from '../scripts/memcached.js';
import { measure } from './measure.js';
import { valueOfSize } from './values.js';

const { NamespacedCache } = await import(new URL('../dist/index.js', import.meta.url).href);
const server = await startMemcached({ memoryMb: 256, threads: 2 });
const size = Number(process.argv[2] ?? 10000);
const c = Number(process.argv[3] ?? 16);
const cache = new NamespacedCache({ servers: server.servers, prefix: 'x' });
const value = valueOfSize(size);
for (let i = 0; i < 100; i++) await cache.set('p', `k${i}`, value);
const run = (i: number) => cache.get('p', `k${i % 100}`);
await measure(run, c, 300);
const cpu0 = process.cpuUsage();
const ops = await measure(run, c, 3000);
const cpu = process.cpuUsage(cpu0);
console.log('cache', size, c, ops.toFixed(0), 'ops/s; cpu µs/op', ((cpu.user + cpu.system) / (ops * 3)).toFixed(1));
await cache.close();
await server.stop();
