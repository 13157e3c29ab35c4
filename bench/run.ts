/**
 * `npm run bench [section ...]`: NamespacedCache against the floor (bench/floor.ts) and raw memjs,
 * measured in one run on a memcached of its own. Modes alternate within each round; every ratio is
 * taken against the floor and against raw memjs *in the same round*, and the median over rounds is
 * reported, so a slow spell of the (shared) machine weighs on both sides of a ratio.
 *
 * Sections: `get` (100 B at 1/16/128 in flight), `sizes` (10 KB/100 KB/1 MB at 1 and 16), `multi`
 * (100 keys), `namespaces` (1 to 100k active namespaces), `latency` (p50/p99 at a fixed offered
 * load), `compression` (100 KB JSON with and without it: throughput, memcached memory), `set`,
 * `others` (naive 2-RTT, keyv). Default: all but `set` and `others`, a few minutes.
 * BENCH_ROUNDS (default 9) and BENCH_MS (per mode per round, default 300) trade time for noise.
 * Writes bench/RESULTS.md when run with the default sections.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { startMemcached } from '../scripts/memcached.js';
import { compressionMemory, compressionModes } from './compression.js';
import { latencyAt, measure, median } from './measure.js';
import { Clients, type Mode } from './modes.js';
import { protocolModes } from './protocols.js';
import { SIZES } from './values.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const MS = Number(process.env.BENCH_MS ?? 300);
const DEFAULT_SECTIONS = ['get', 'protocols', 'sizes', 'multi', 'namespaces', 'latency', 'compression'];
const ALL_SECTIONS = [...DEFAULT_SECTIONS, 'set', 'others'];

interface Row {
  readonly operation: string;
  readonly mode: string;
  readonly concurrency: number;
  readonly opsPerSecond: number;
  /** Median per-round ratio to the floor, or NaN when the floor is not in the comparison. */
  readonly toFloor: number;
  /** Median per-round ratio to raw memjs, or NaN. */
  readonly toRaw: number;
  /** Median per-round ratio to the first mode. */
  readonly toFirst: number;
}

/**
 * Runs every mode once per round at one concurrency; ratios against the modes named `floor*` and
 * `raw memjs*` of the same round.
 */
async function compare(operation: string, modes: readonly Mode[], concurrency: number, ms = MS): Promise<Row[]> {
  const floor = modes.findIndex((mode) => /floor/.test(mode.name));
  const raw = modes.findIndex((mode) => /raw memjs/.test(mode.name));
  const samples = modes.map(() => [] as number[]);
  const toFloor = modes.map(() => [] as number[]);
  const toRaw = modes.map(() => [] as number[]);
  const toFirst = modes.map(() => [] as number[]);
  for (const mode of modes) await measure(mode.run, concurrency, Math.min(200, ms)); // warm-up
  for (let round = 0; round < ROUNDS; round += 1) {
    // Rotate the order each round so no mode always runs right after the same other one.
    const order = modes.map((_, index) => (index + round) % modes.length);
    const ops: number[] = new Array(modes.length);
    for (const index of order) ops[index] = await measure((modes[index] as Mode).run, concurrency, ms);
    modes.forEach((_, index) => {
      samples[index]?.push(ops[index] as number);
      toFloor[index]?.push(floor < 0 ? Number.NaN : (ops[index] as number) / (ops[floor] as number));
      toRaw[index]?.push(raw < 0 ? Number.NaN : (ops[index] as number) / (ops[raw] as number));
      toFirst[index]?.push((ops[index] as number) / (ops[0] as number));
    });
  }
  const rows = modes.map((mode, index) => ({
    operation,
    mode: mode.name,
    concurrency,
    opsPerSecond: median(samples[index] as number[]),
    toFloor: median(toFloor[index] as number[]),
    toRaw: median(toRaw[index] as number[]),
    toFirst: median(toFirst[index] as number[]),
  }));
  console.log(throughputTable(rows).split('\n').slice(2).join('\n'));
  return rows;
}

const ratio = (value: number) => (Number.isNaN(value) ? '–' : value.toFixed(2));

function throughputTable(rows: readonly Row[]): string {
  const lines = ['| operation | mode | in flight | ops/s | × floor | × raw memjs |', '|---|---|---:|---:|---:|---:|'];
  for (const row of rows) {
    const ops = Math.round(row.opsPerSecond).toLocaleString('en-US');
    lines.push(
      `| ${row.operation} | ${row.mode} | ${row.concurrency} | ${ops} | ${ratio(row.toFloor)} | ${ratio(row.toRaw)} |`,
    );
  }
  return lines.join('\n');
}

const requested = process.argv.slice(2);
for (const section of requested) {
  if (!ALL_SECTIONS.includes(section))
    throw new Error(`Unknown section ${section}; expected some of ${ALL_SECTIONS.join(', ')}`);
}
const sections = requested.length > 0 ? requested : DEFAULT_SECTIONS;
// 1 GB: the get modes of 0.3.0 (six, with stale windows and tags) store every size six times over.
const server = await startMemcached({ memoryMb: 1024, threads: 2 });
const clients = new Clients(server.servers);
const rows: Row[] = [];
const latencyLines: string[] = [];
const compressionLines: string[] = [];
const protocolLines: string[] = [];
try {
  if (sections.includes('protocols')) {
    const protocols = await protocolModes();
    try {
      for (const concurrency of [1, 16, 128])
        rows.push(...(await compare('get 100 B, protocols', protocols.plain, concurrency)));
      protocolLines.push('| mode | in flight | ops/s | × plain meta |', '|---|---:|---:|---:|');
      for (const concurrency of [1, 16, 128]) {
        for (const row of await compare('get 100 B, TLS', protocols.tls, concurrency)) {
          const ops = Math.round(row.opsPerSecond).toLocaleString('en-US');
          protocolLines.push(`| ${row.mode} | ${concurrency} | ${ops} | ${ratio(row.toFirst)} |`);
        }
      }
      console.log(protocolLines.join('\n'));
    } finally {
      await protocols.close();
    }
  }
  if (sections.includes('get')) {
    const modes = await clients.getModes(SIZES['100 B']);
    for (const concurrency of [1, 16, 128]) rows.push(...(await compare('get 100 B', modes, concurrency)));
  }
  if (sections.includes('sizes')) {
    for (const label of ['10 KB', '100 KB', '1 MB'] as const) {
      const modes = (await clients.getModes(SIZES[label])).slice(0, 3);
      // A 1 MB get takes milliseconds: longer rounds, or a round holds too few operations to count.
      const ms = label === '1 MB' ? MS * 2 : MS;
      for (const concurrency of [1, 16]) rows.push(...(await compare(`get ${label}`, modes, concurrency, ms)));
    }
  }
  if (sections.includes('multi')) {
    const modes = await clients.multiModes();
    for (const concurrency of [1, 16]) rows.push(...(await compare('100 keys', modes, concurrency)));
  }
  if (sections.includes('namespaces')) {
    const [floor] = await clients.getModes(SIZES['100 B']);
    for (const namespaces of [1, 1000, 10_000, 100_000]) {
      const modes = [floor as Mode, await clients.namespaceMode(namespaces)];
      rows.push(...(await compare('get 100 B', modes, 128)));
    }
  }
  if (sections.includes('latency')) {
    // A load the floor carries at a fraction of its capacity: latency here is the client's own.
    const perSecond = 10_000;
    latencyLines.push(`| mode | p50 ms | p99 ms |`, '|---|---:|---:|');
    for (const mode of (await clients.getModes(SIZES['100 B'])).slice(0, 3)) {
      await latencyAt(mode.run, perSecond, 300); // warm-up
      const runs = [];
      for (let round = 0; round < 3; round += 1) runs.push(await latencyAt(mode.run, perSecond, 1000));
      const p50 = median(runs.map((run) => run.p50));
      const p99 = median(runs.map((run) => run.p99));
      latencyLines.push(`| ${mode.name} | ${p50.toFixed(3)} | ${p99.toFixed(3)} |`);
      console.log(latencyLines.at(-1));
    }
    latencyLines.unshift(
      `Latency of a 100 B get at ${perSecond.toLocaleString('en-US')} gets/s offered (open loop; median of 3 one-second runs):`,
      '',
    );
  }
  if (sections.includes('compression')) {
    const { gets, sets, close } = await compressionModes(server.servers);
    try {
      compressionLines.push('| operation | mode | in flight | ops/s | × uncompressed |', '|---|---|---:|---:|---:|');
      for (const [operation, modes] of [
        ['get 100 KB', gets],
        ['set 100 KB', sets],
      ] as const) {
        for (const concurrency of [1, 16]) {
          for (const row of await compare(operation, modes, concurrency)) {
            const ops = Math.round(row.opsPerSecond).toLocaleString('en-US');
            compressionLines.push(`| ${operation} | ${row.mode} | ${concurrency} | ${ops} | ${ratio(row.toFirst)} |`);
          }
        }
      }
    } finally {
      await close();
    }
    const memory = await compressionMemory();
    compressionLines.push(
      '',
      '| 200 values of 100 KB JSON | `stats` bytes | `stats slabs` total_malloced |',
      '|---|---:|---:|',
    );
    for (const figures of memory) {
      const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
      compressionLines.push(`| ${figures.variant} | ${mb(figures.bytes)} | ${mb(figures.malloced)} |`);
    }
    console.log(compressionLines.join('\n'));
  }
  if (sections.includes('set')) {
    const modes = clients.setModes();
    for (const concurrency of [1, 16, 128]) rows.push(...(await compare('set 100 B', modes, concurrency)));
  }
  if (sections.includes('others')) {
    const modes = [...(await clients.getModes(SIZES['100 B'])).slice(0, 3), ...(await clients.otherModes())];
    for (const concurrency of [1, 16, 128]) rows.push(...(await compare('get 100 B', modes, concurrency)));
  }
} finally {
  await clients.close();
  await server.stop();
}

if (requested.length === 0) {
  const memcachedVersion = execFileSync('memcached', ['-V']).toString().trim();
  const report = `# Benchmark results

Generated by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: Node ${process.version}, ${memcachedVersion}
(2 threads, on 127.0.0.1), ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), shared by client and server.
${ROUNDS} rounds of ${MS} ms per mode (1 MB: ${MS * 2} ms); modes alternate within each round; ops/s are medians
over rounds, and each ratio is the median of the per-round ratios to the floor (a bare pipelined get, bench/floor.ts)
and to raw memjs in the same round. Every mode \`JSON.parse\`s the value. "in flight" = concurrent operations.

${throughputTable(rows)}

${latencyLines.join('\n')}

Protocols: "get 100 B, protocols" rows are on a memcached of their own; there "× floor" is against the meta floor
(bare pipelined \`mg\`, bench/meta-floor.ts), and the binary floor is listed beside it. TLS against plain TCP, same
memcached (\`-Z\` with a plain listener), same round:

${protocolLines.join('\n')}

Compression: a 100 KB JSON value with and without \`compression: true\` (Brotli quality 1, threshold 16384);
memory on a memcached of each variant's own.

${compressionLines.join('\n')}
`;
  writeFileSync(new URL('RESULTS.md', import.meta.url), report);
  console.log('\nwritten to bench/RESULTS.md');
}
