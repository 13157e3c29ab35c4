/**
 * `npm run bench:observability`: what observability costs a `get` and a `set`. Three modes of
 * NamespacedCache on one memcached, alternating within each round like `npm run bench`:
 *
 * - **baseline**: the library before observability (BENCH_BASELINE, default the merge base of HEAD and `main`), built from git
 *   into a temporary directory;
 * - **no subscriber**: this tree (counters always on, the channel checked and idle);
 * - **one subscriber**: this tree with one subscriber on the operation channel (on asyncEnd, counting
 *   outcomes), subscribed only while its mode runs: a subscription is process-wide.
 *
 * Ratios are to the baseline in the same round; medians over rounds. Besides throughput, the CPU
 * this process spends per operation (memcached runs in its own process): on a machine shared with
 * other work, throughput swings with the neighbours' load, CPU per operation much less.
 * Prints a table and writes
 * bench/OBSERVABILITY.md. BENCH_ROUNDS and BENCH_MS as in bench/run.ts; BENCH_OPERATIONS and
 * BENCH_CONCURRENCIES pick cells.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMemcached } from '../scripts/memcached.js';
import type * as Library from '../src/index.js';
import { measure, median } from './measure.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const MS = Number(process.env.BENCH_MS ?? 400);
// The commit this branch grew from: the same code without observability, whatever main has since.
const BASELINE = process.env.BENCH_BASELINE ?? execFileSync('git', ['merge-base', 'HEAD', 'main']).toString().trim();
const root = new URL('..', import.meta.url).pathname;
// To re-measure one cell: BENCH_OPERATIONS=set BENCH_CONCURRENCIES=16.
const OPERATIONS = (process.env.BENCH_OPERATIONS ?? 'get,set').split(',') as ('get' | 'set')[];
const CONCURRENCIES = (process.env.BENCH_CONCURRENCIES ?? '1,16,128').split(',').map(Number);

/** Builds the baseline's src/ at the git ref into a temporary directory, with this tree's node_modules. */
function buildBaseline(ref: string): { dir: string; commit: string } {
  const commit = execFileSync('git', ['rev-parse', '--short', ref], { cwd: root }).toString().trim();
  const dir = mkdtempSync(join(tmpdir(), 'memjs-namespaces-baseline-'));
  const archive = execFileSync(
    'git',
    ['archive', commit, 'src', 'tsconfig.json', 'tsconfig.build.json', 'package.json'],
    {
      cwd: root,
    },
  );
  execFileSync('tar', ['-x', '-C', dir], { input: archive });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json'], { cwd: dir });
  return { dir, commit };
}

interface Mode {
  readonly name: string;
  readonly get: (index: number) => Promise<unknown>;
  readonly set: (index: number) => Promise<unknown>;
  readonly before?: () => void;
  readonly after?: () => void;
}

const VALUE = 'v'.repeat(100);
const keyOf = (index: number): string => `key-${index % 1000}`;

const baseline = buildBaseline(BASELINE);
// The compiled packages, as users run them (see bench/modes.ts on why not src/ through tsx).
const before = (await import(join(baseline.dir, 'dist/index.js'))) as typeof Library;
const now = (await import(new URL('../dist/index.js', import.meta.url).href)) as typeof Library;

const server = await startMemcached({ memoryMb: 256, threads: 2 });
const old = new before.NamespacedCache({ servers: server.servers, prefix: 'bench-before' });
const idle = new now.NamespacedCache({ servers: server.servers, prefix: 'bench-idle' });
const traced = new now.NamespacedCache({ servers: server.servers, prefix: 'bench-traced' });
const outcomes = new Map<string, number>();
const subscriber = (message: unknown): void => {
  const outcome = (message as Library.OperationContext).outcome ?? 'none';
  outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
};

const modes: Mode[] = [
  {
    name: `baseline (${baseline.commit})`,
    get: (index) => old.get('product', keyOf(index)),
    set: (index) => old.set('product', keyOf(index), VALUE, { ttl: 3600 }),
  },
  {
    name: 'no subscriber',
    get: (index) => idle.get('product', keyOf(index)),
    set: (index) => idle.set('product', keyOf(index), VALUE, { ttl: 3600 }),
  },
  {
    name: 'one subscriber',
    get: (index) => traced.get('product', keyOf(index)),
    set: (index) => traced.set('product', keyOf(index), VALUE, { ttl: 3600 }),
    before: () => now.operationChannel.asyncEnd.subscribe(subscriber),
    after: () => now.operationChannel.asyncEnd.unsubscribe(subscriber),
  },
];

interface Row {
  readonly operation: string;
  readonly mode: string;
  readonly concurrency: number;
  readonly opsPerSecond: number;
  readonly ratio: number;
  readonly cpuMicros: number;
  readonly cpuRatio: number;
}

async function compare(operation: 'get' | 'set', concurrency: number): Promise<Row[]> {
  const samples = modes.map(() => [] as number[]);
  const ratios = modes.map(() => [] as number[]);
  const cpu = modes.map(() => [] as number[]);
  const cpuRatios = modes.map(() => [] as number[]);
  const run = async (mode: Mode, ms: number): Promise<{ opsPerSecond: number; cpuMicros: number }> => {
    mode.before?.();
    try {
      const started = process.cpuUsage();
      const opsPerSecond = await measure(mode[operation], concurrency, ms);
      const used = process.cpuUsage(started);
      return { opsPerSecond, cpuMicros: (used.user + used.system) / ((opsPerSecond * ms) / 1000) };
    } finally {
      mode.after?.();
    }
  };
  for (const mode of modes) await run(mode, Math.min(300, MS)); // warm-up
  for (let round = 0; round < ROUNDS; round += 1) {
    const results: { opsPerSecond: number; cpuMicros: number }[] = new Array(modes.length);
    for (let step = 0; step < modes.length; step += 1) {
      const index = (step + round) % modes.length;
      results[index] = await run(modes[index] as Mode, MS);
    }
    const first = results[0] as { opsPerSecond: number; cpuMicros: number };
    results.forEach((result, index) => {
      samples[index]?.push(result.opsPerSecond);
      ratios[index]?.push(result.opsPerSecond / first.opsPerSecond);
      cpu[index]?.push(result.cpuMicros);
      cpuRatios[index]?.push(result.cpuMicros / first.cpuMicros);
    });
  }
  return modes.map((mode, index) => ({
    operation,
    mode: mode.name,
    concurrency,
    opsPerSecond: median(samples[index] as number[]),
    ratio: median(ratios[index] as number[]),
    cpuMicros: median(cpu[index] as number[]),
    cpuRatio: median(cpuRatios[index] as number[]),
  }));
}

function table(rows: readonly Row[]): string {
  const lines = [
    '| operation | mode | concurrency | ops/s | × baseline | client CPU µs/op | CPU × baseline |',
    '|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    lines.push(
      `| ${row.operation} | ${row.mode} | ${row.concurrency} | ${Math.round(row.opsPerSecond).toLocaleString('en-US')} | ${row.ratio.toFixed(2)} | ${row.cpuMicros.toFixed(1)} | ${row.cpuRatio.toFixed(2)} |`,
    );
  }
  return lines.join('\n');
}

const rows: Row[] = [];
try {
  for (const mode of modes) {
    for (let index = 0; index < 1000; index += 1) await mode.set(index);
  }
  for (const operation of OPERATIONS) {
    for (const concurrency of CONCURRENCIES) {
      const measured = await compare(operation, concurrency);
      rows.push(...measured);
      console.log(table(measured).split('\n').slice(2).join('\n'));
    }
  }
} finally {
  await Promise.all([old.close(), idle.close(), traced.close()]);
  await server.stop();
  rmSync(baseline.dir, { recursive: true, force: true });
}

const report = `# What observability costs

Generated by \`npm run bench:observability\` on ${new Date().toISOString().slice(0, 10)}: Node ${process.version},
${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}) shared by client and server (memcached on 127.0.0.1, 2 threads).
${ROUNDS} rounds of ${MS} ms per mode; modes alternate within each round; "× baseline" is the median of the
per-round ratios to the library before observability (${baseline.commit}) at the same concurrency; "client CPU"
is the CPU time of the benchmark process (user + system) per operation, and its ratio likewise.
"one subscriber" has one subscriber on the channel's asyncEnd (it counts outcomes: ${[...outcomes.keys()].join(', ')}).

${table(rows)}
`;
writeFileSync(new URL('OBSERVABILITY.md', import.meta.url), report);
console.log('\nwritten to bench/OBSERVABILITY.md');
