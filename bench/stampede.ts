/**
 * `npm run bench:stampede`: what the fleet lock buys, measured on real processes (scripts/fleet).
 * Two scenarios from issue 8, each with `lock` on and off, over ROUNDS rounds on fresh prefixes:
 * - cold key: 4 processes x 25 concurrent getOrSet of one missing key, 200 ms loader;
 * - clear: 100 hot keys, deleteNamespace, then 4 processes x 3 callers reload all of them, 50 ms loader.
 * Reports loader calls per round and the p50/p99 latency of the callers. Writes bench/STAMPEDE.md.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { type FleetWorker, startFleet } from '../scripts/fleet/fleet.js';
import { startMemcached } from '../scripts/memcached.js';
import { NamespacedCache } from '../src/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PROCESSES = 4;

interface Outcome {
  readonly loads: number;
  readonly latencies: number[];
}

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] as number;
}

async function coldKey(workers: readonly FleetWorker[]): Promise<Outcome> {
  const runs = await Promise.all(
    workers.map((worker) =>
      worker.getOrSet({ namespace: 'product', keys: ['guitar'], callers: 25, loader: { ms: 200 } }),
    ),
  );
  return {
    loads: runs.reduce((sum, run) => sum + run.loads, 0),
    latencies: runs.flatMap((run) => run.results.map((result) => result.ms)),
  };
}

async function afterClear(workers: readonly FleetWorker[], clear: () => Promise<void>): Promise<Outcome> {
  const keys = Array.from({ length: 100 }, (_, index) => `p${index}`);
  await (workers[0] as FleetWorker).getOrSet({ namespace: 'product', keys, callers: 1, loader: { ms: 0 } });
  await clear();
  const runs = await Promise.all(
    workers.map((worker) => worker.getOrSet({ namespace: 'product', keys, callers: 3, loader: { ms: 50 } })),
  );
  return {
    loads: runs.reduce((sum, run) => sum + run.loads, 0),
    latencies: runs.flatMap((run) => run.results.map((result) => result.ms)),
  };
}

const server = await startMemcached({ memoryMb: 128 });
const lines: string[] = [];
try {
  for (const scenario of ['cold key', 'clear of 100 hot keys'] as const) {
    for (const lock of [true, false]) {
      const loads: number[] = [];
      const latencies: number[] = [];
      for (let round = 0; round < ROUNDS; round += 1) {
        const prefix = `s${randomBytes(4).toString('hex')}`;
        const fleet = await startFleet(PROCESSES, server.servers, prefix, { lock });
        const cache = new NamespacedCache({ servers: server.servers, prefix });
        try {
          const outcome =
            scenario === 'cold key'
              ? await coldKey(fleet.workers)
              : await afterClear(fleet.workers, () => cache.deleteNamespace('product'));
          loads.push(outcome.loads);
          latencies.push(...outcome.latencies);
        } finally {
          await cache.close();
          await fleet.stop();
        }
      }
      latencies.sort((a, b) => a - b);
      const line = `| ${scenario} | ${lock ? 'on' : 'off'} | ${loads.join(', ')} | ${percentile(latencies, 0.5).toFixed(0)} | ${percentile(latencies, 0.99).toFixed(0)} |`;
      console.log(line);
      lines.push(line);
    }
  }
} finally {
  await server.stop();
}

const table = [
  `# Stampede benchmark`,
  '',
  `${PROCESSES} processes, ${ROUNDS} rounds each on a fresh prefix; loader calls per round, and the latency of every caller (ms).`,
  'Cold key: 25 callers per process, 200 ms loader. Clear: 100 hot keys cleared, then 3 callers per key per process, 50 ms loader.',
  '',
  '| scenario | lock | loader calls per round | p50 ms | p99 ms |',
  '|---|---|---|---:|---:|',
  ...lines,
  '',
].join('\n');
writeFileSync(new URL('./STAMPEDE.md', import.meta.url), table);
