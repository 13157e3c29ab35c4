import memjs from 'memjs';
import { startMemcached } from '../scripts/memcached.js';
import { Floor } from './floor.js';
import { measure } from './measure.js';
import { valueOfSize } from './values.js';

const server = await startMemcached({ memoryMb: 256, threads: 2 });
const raw = memjs.Client.create(server.servers, { logger: { log() {} } });
const text = JSON.stringify(valueOfSize(Number(process.argv[4] ?? 10000)));
for (let i = 0; i < 100; i++) await raw.set(`k${i}`, text, { expires: 3600 });
const A = new Floor(server.host, server.port);
const which = process.argv[2];
let chunks = 0,
  bytes = 0;
const sock = () => (which === 'memjs' ? (raw as any).servers[0]._socket : (A as any).socket);
const run =
  which === 'memjs'
    ? (i: number) => raw.get(`k${i % 100}`).then(({ value }) => value && JSON.parse(value.toString()))
    : (i: number) => A.get(`k${i % 100}`);
await run(0);
sock().on('data', (c: Buffer) => {
  chunks++;
  bytes += c.length;
});
const cpu0 = process.cpuUsage();
const ops = await measure(run, Number(process.argv[3] ?? 16), 3000);
const cpu = process.cpuUsage(cpu0);
console.log(
  which,
  ops.toFixed(0),
  'ops/s; cpu µs/op',
  ((cpu.user + cpu.system) / (ops * 3)).toFixed(1),
  'avg chunk',
  (bytes / chunks).toFixed(0),
);
raw.close();
A.close();
await server.stop();
