/**
 * `npm run soak`: minutes of mixed load with rotations from several cache instances (as several
 * processes would have, on meta, binary and text at once), through server pauses and a kill/restart,
 * checking every read:
 *
 * - a **stale read** returns a value whose write completed before a rotation (of its namespace or
 *   one above it) started, although that rotation resolved before the read started: invariant I1;
 * - a **wrong value** belongs to another key (a misparsed reply).
 *
 * Both must stay 0; the script exits 1 otherwise. SOAK_SECONDS (default 180) sets the length,
 * SOAK_FAULTS=0 turns the faults off.
 */
import { performance } from 'node:perf_hooks';
import { type CacheError, NamespacedCache } from '../src/index.js';
import { startMemcached } from './memcached.js';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 180);
const FAULTS = process.env.SOAK_FAULTS !== '0';
const INSTANCES = 4;
const WORKERS_PER_INSTANCE = 12;
const KEYS = 40;
const PATHS: readonly (readonly string[])[] = [
  ['tenant:1'],
  ['tenant:1', 'products'],
  ['tenant:1', 'orders'],
  ['tenant:2'],
  ['tenant:2', 'products'],
  ['catalogue'],
];

const server = await startMemcached({ memoryMb: 128 });
const prefix = `soak${Date.now()}`;
const errors = new Map<string, number>();
const onError = (error: CacheError): void => {
  errors.set(error.code, (errors.get(error.code) ?? 0) + 1);
};
/**
 * The instances speak different protocols to one memcached, as a fleet mid-deploy would: meta,
 * binary (memjs) and text must read each other's values and see each other's rotations (I1).
 */
const PROTOCOLS = ['meta', 'binary', 'text', 'meta'] as const;
const caches = Array.from(
  { length: INSTANCES },
  (_, index) =>
    new NamespacedCache({ servers: server.servers, prefix, timeout: 0.5, onError, protocol: PROTOCOLS[index] }),
);

/** For each path: the latest start of a rotation (of it or above) that has resolved. */
const clearedBefore = new Map<string, number>(PATHS.map((path) => [JSON.stringify(path), -1]));
const writeCompletedAt = new Map<number, number>();
const counts = { reads: 0, hits: 0, writes: 0, rotations: 0, failedRotations: 0, stale: 0, wrong: 0, unverifiable: 0 };
let nextWrite = 0;
let running = true;

const boundFor = (path: readonly string[]): number =>
  Math.max(
    ...PATHS.filter(
      (other) => other.length <= path.length && other.every((segment, index) => path[index] === segment),
    ).map((other) => clearedBefore.get(JSON.stringify(other)) ?? -1),
  );

/** xorshift32: each worker picks operations, paths and keys independently of each other. */
function random(seed: number): () => number {
  let state = seed | 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

async function worker(cache: NamespacedCache, seed: number): Promise<void> {
  const next = random(seed);
  while (running) {
    const path = PATHS[Math.floor(next() * PATHS.length)] as readonly string[];
    const key = `k${Math.floor(next() * KEYS)}`;
    const dice = next();
    if (dice < 0.003) {
      const startedAt = performance.now();
      try {
        await cache.deleteNamespace(path);
        counts.rotations += 1;
        // Every path at or below this one: values completed before `startedAt` are now dead.
        for (const other of PATHS) {
          if (other.length >= path.length && path.every((segment, index) => other[index] === segment)) {
            const id = JSON.stringify(other);
            clearedBefore.set(id, Math.max(clearedBefore.get(id) ?? -1, startedAt));
          }
        }
      } catch {
        counts.failedRotations += 1; // outcome unknown: it may clear more, never less
      }
    } else if (dice < 0.3) {
      const id = nextWrite++;
      if (await cache.set(path, key, `${key}#${id}`)) writeCompletedAt.set(id, performance.now());
      counts.writes += 1;
    } else {
      const bound = boundFor(path);
      const value = await cache.get<string>(path, key);
      counts.reads += 1;
      if (value === undefined) continue;
      counts.hits += 1;
      const [valueKey, idText] = value.split('#');
      if (valueKey !== key) counts.wrong += 1;
      const completedAt = writeCompletedAt.get(Number(idText));
      if (completedAt === undefined)
        counts.unverifiable += 1; // still in flight, or its set failed
      else if (completedAt < bound) counts.stale += 1;
    }
  }
}

async function faults(): Promise<void> {
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  for (let cycle = 1; running; cycle += 1) {
    await pause(15_000);
    if (!running || !FAULTS) continue;
    if (cycle % 4 === 0) {
      console.log(`  ${elapsed()} kill + restart (data lost)`);
      await server.restart();
    } else {
      console.log(`  ${elapsed()} pause for 2 s`);
      await server.pause();
      await pause(2000);
      server.resume();
    }
  }
}

const started = performance.now();
const elapsed = (): string => `${((performance.now() - started) / 1000).toFixed(0)} s`;
let unhandled = 0;
process.on('unhandledRejection', () => {
  unhandled += 1;
});

console.log(
  `soak: ${SECONDS} s, ${INSTANCES} caches × ${WORKERS_PER_INSTANCE} workers, faults ${FAULTS ? 'on' : 'off'}`,
);
const loops = caches.flatMap((cache, instance) =>
  Array.from({ length: WORKERS_PER_INSTANCE }, (_, index) =>
    worker(cache, 0x9e3779b9 * (instance * WORKERS_PER_INSTANCE + index + 1)),
  ),
);
const faulting = faults();
await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
running = false;
await Promise.all(loops);
await faulting;
await Promise.all(caches.map((cache) => cache.close()));
await server.stop();

const operations = counts.reads + counts.writes + counts.rotations + counts.failedRotations;
console.log(`\noperations ${operations} (${Math.round(operations / SECONDS)}/s)`);
console.log(
  `reads ${counts.reads} (hits ${counts.hits}), writes ${counts.writes}, rotations ${counts.rotations} (+${counts.failedRotations} rejected)`,
);
console.log(`errors ${JSON.stringify(Object.fromEntries(errors))}, unhandled rejections ${unhandled}`);
console.log(`stale reads ${counts.stale}, wrong values ${counts.wrong}, hits not verifiable ${counts.unverifiable}`);
if (counts.stale > 0 || counts.wrong > 0 || unhandled > 0) process.exit(1);
