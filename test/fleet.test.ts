import { performance } from 'node:perf_hooks';
import { describe, expect, it, vi } from 'vitest';
import type { FleetWorker } from '../scripts/fleet/fleet.js';
import type { CallResult } from '../scripts/fleet/protocol.js';
import { makeCache, randomPrefix } from './support/cache.js';
import { ask, fleetOf, totalLoads } from './support/fleet.js';

const values = (results: readonly CallResult[]): unknown[] => results.map((result) => result.value ?? result.error);

describe('getOrSet across a fleet of processes', () => {
  it('runs the loader once for 4 processes x 25 callers of one cold key (I5)', async () => {
    const workers = await fleetOf(4, randomPrefix());
    const runs = await Promise.all(
      workers.map((worker) =>
        worker.getOrSet({ namespace: 'product', keys: ['guitar'], callers: 25, loader: { ms: 200, value: 'loaded' } }),
      ),
    );
    expect(runs.reduce((total, run) => total + run.loads, 0)).toBe(1);
    const results = runs.flatMap((run) => run.results);
    expect(results).toHaveLength(100);
    expect(new Set(values(results))).toEqual(new Set(['loaded']));
  });

  it('reloads 100 hot keys once each across the fleet after a clear, and serves nothing from before (I4, I5)', async () => {
    const prefix = randomPrefix();
    const workers = await fleetOf(4, prefix);
    const keys = Array.from({ length: 100 }, (_, index) => `p${index}`);
    const warm = await (workers[0] as FleetWorker).getOrSet({
      namespace: 'product',
      keys,
      callers: 1,
      loader: { ms: 0, value: 'old {key}' },
    });
    expect(warm.loads).toBe(100);
    const cache = makeCache({ prefix });
    await cache.deleteNamespace('product');
    const runs = await Promise.all(
      workers.map((worker) =>
        worker.getOrSet({ namespace: 'product', keys, callers: 3, loader: { ms: 50, value: 'new {key}' } }),
      ),
    );
    expect(runs.reduce((total, run) => total + run.loads, 0)).toBe(100);
    for (const result of runs.flatMap((run) => run.results)) expect(result.value).toBe(`new ${result.key}`);
  });

  it('lets the others load after lockWait when the lock holder is killed mid-loader, and none hangs past it', async () => {
    const workers = (await fleetOf(3, randomPrefix(), { lockWait: 1 })) as [FleetWorker, FleetWorker, FleetWorker];
    const [holder, ...others] = workers;
    const started = holder.loaderStarted();
    holder
      .getOrSet({ namespace: 'product', keys: ['guitar'], callers: 1, loader: { ms: 0, hangs: true } })
      .catch(() => {});
    await started;
    await holder.kill();
    const waitedFrom = performance.now();
    const runs = await Promise.all(
      others.map((worker) =>
        worker.getOrSet({ namespace: 'product', keys: ['guitar'], callers: 5, loader: { ms: 20, value: 'by {pid}' } }),
      ),
    );
    const elapsed = performance.now() - waitedFrom;
    // The dead holder's lock lives 5 s (lockTtl): each survivor waits lockWait (1 s), then loads —
    // unless the other survivor's value is already there at its last poll.
    const loads = runs.reduce((total, run) => total + run.loads, 0);
    expect(loads).toBeGreaterThanOrEqual(1);
    expect(loads).toBeLessThanOrEqual(2);
    for (const result of runs.flatMap((run) => run.results)) {
      expect(result.value).toMatch(/^by \d+$/);
      expect(result.ms).toBeGreaterThanOrEqual(900);
    }
    expect(elapsed).toBeLessThan(1000 + 1500);
  });

  it('serves a stale value at once and refreshes it once in the fleet (staleWhileRevalidate, I6)', async () => {
    const options = { ttl: 1, staleWhileRevalidate: 30 };
    const workers = await fleetOf(4, randomPrefix());
    const first = await (workers[0] as FleetWorker).getOrSet({
      namespace: 'product',
      keys: ['guitar'],
      callers: 1,
      loader: { ms: 0, value: 'v1' },
      options,
    });
    expect(values(first.results)).toEqual(['v1']);
    // Every process's clock moves past the fresh ttl (memcached keeps the value for ttl + 30 s).
    await Promise.all(workers.map((worker) => worker.request({ op: 'clock', offsetMs: 1500 })));
    const stale = await Promise.all(
      workers.map((worker) =>
        worker.getOrSet({
          namespace: 'product',
          keys: ['guitar'],
          callers: 5,
          loader: { ms: 500, value: 'v2' },
          options,
        }),
      ),
    );
    const results = stale.flatMap((run) => run.results);
    expect(new Set(values(results))).toEqual(new Set(['v1']));
    // Every caller had its answer before any refresh finished: stale values are served at once.
    expect(results.every((result) => result.loadsFinishedAtResolve === 0)).toBe(true);
    const next = workers[1] as FleetWorker;
    await vi.waitFor(
      async () => expect(await ask(next, { op: 'get', namespace: 'product', key: 'guitar' })).toBe('v2'),
      {
        timeout: 5000,
        interval: 50,
      },
    );
    // The first load, then exactly one refresh among the 20 stale callers of 4 processes.
    expect(await totalLoads(workers)).toBe(2);
    const after = await next.getOrSet({
      namespace: 'product',
      keys: ['guitar'],
      callers: 1,
      loader: { ms: 0 },
      options,
    });
    expect(values(after.results)).toEqual(['v2']);
    expect(after.loads).toBe(0);
  });

  it('serves nothing from before a clear in any process: not fresh, not stale, not stale-if-error (I4)', async () => {
    const prefix = randomPrefix();
    const options = { ttl: 1, staleWhileRevalidate: 60, staleIfError: 60 };
    const workers = await fleetOf(3, prefix);
    const [writer, ...readers] = workers as [FleetWorker, FleetWorker, FleetWorker];
    await writer.getOrSet({
      namespace: 'product',
      keys: ['a', 'b'],
      callers: 1,
      loader: { ms: 0, value: 'old' },
      options,
    });
    const cache = makeCache({ prefix });
    expect(await cache.get('product', 'a')).toBe('old');
    await Promise.all(workers.map((worker) => worker.request({ op: 'clock', offsetMs: 1500 })));
    await cache.deleteNamespace('product');
    for (const reader of readers) {
      expect(await ask(reader, { op: 'get', namespace: 'product', key: 'a' })).toBeUndefined();
      const failing = await reader.getOrSet({
        namespace: 'product',
        keys: ['a'],
        callers: 2,
        loader: { ms: 0, fails: true },
        options,
      });
      for (const result of failing.results) expect(result.error).toMatch(/loader of a failed/);
    }
    const refreshed = await Promise.all(
      readers.map((reader) =>
        reader.getOrSet({ namespace: 'product', keys: ['b'], callers: 2, loader: { ms: 20, value: 'new' }, options }),
      ),
    );
    expect(new Set(values(refreshed.flatMap((run) => run.results)))).toEqual(new Set(['new']));
  });

  it('without the lock, every process loads on its own (the stampede the lock prevents)', async () => {
    const workers = await fleetOf(4, randomPrefix(), { lock: false });
    const runs = await Promise.all(
      workers.map((worker) =>
        worker.getOrSet({ namespace: 'product', keys: ['guitar'], callers: 10, loader: { ms: 100, value: 'loaded' } }),
      ),
    );
    // Single flight still holds inside each process.
    expect(runs.map((run) => run.loads)).toEqual([1, 1, 1, 1]);
  });

  it('never makes a caller after a clear wait on a lock of the old generation', async () => {
    const prefix = randomPrefix();
    const [holder, other] = (await fleetOf(2, prefix, { lockWait: 30 })) as [FleetWorker, FleetWorker];
    const started = holder.loaderStarted();
    holder
      .getOrSet({ namespace: 'product', keys: ['guitar'], callers: 1, loader: { ms: 0, hangs: true } })
      .catch(() => {});
    await started;
    await makeCache({ prefix }).deleteNamespace('product');
    // lockWait is 30 s: only a lock of its own generation could hold this caller back.
    const run = await other.getOrSet({
      namespace: 'product',
      keys: ['guitar'],
      callers: 1,
      loader: { ms: 0, value: 'new' },
    });
    expect(values(run.results)).toEqual(['new']);
    expect(run.results[0]?.ms).toBeLessThan(5000);
  });
});
