import memjs from 'memjs';
import { describe, expect, it } from 'vitest';
import type { FleetWorker } from '../../scripts/fleet/fleet.js';
import { NamespacedCache, useConsistentHashing } from '../../src/index.js';
import { rendezvousHashing } from '../../src/pool.js';
import { makeCache, randomPrefix, rawClient } from '../support/cache.js';
import { ask, fleetOf, totalLoads } from '../support/fleet.js';
import { privateMemcached } from '../support/servers.js';
import { spyOnWrites } from '../support/wire.js';

describe('tags and soft clears across a fleet of processes', () => {
  it('T1: after invalidateTags resolved, no process serves a value loaded before it, with loads racing it', async () => {
    const prefix = randomPrefix();
    const workers = await fleetOf(4, prefix, { lockWait: 5 });
    const cache = makeCache({ prefix });
    const database = rawClient();
    const dbKey = `${prefix}-db`;
    const keys = ['a', 'b', 'c', 'd', 'e'];
    const options = { tags: ['prices', 'page'] };
    await database.set(dbKey, '0', {});
    for (let version = 1; version <= 6; version += 1) {
      // Loads in flight in every process (some read the database before it moves on, some after)…
      const racing = Promise.all(
        workers.map((worker) =>
          worker.getOrSet({ namespace: 'page', keys, callers: 2, loader: { ms: 20, value: '{db}', dbKey }, options }),
        ),
      );
      // …while the database changes and the tag is invalidated.
      await database.set(dbKey, String(version), {});
      await cache.invalidateTags(['prices']);
      const after = await Promise.all(
        workers.map((worker) =>
          worker.getOrSet({ namespace: 'page', keys, callers: 2, loader: { ms: 5, value: '{db}', dbKey }, options }),
        ),
      );
      for (const result of after.flatMap((run) => run.results))
        expect(Number(result.value)).toBeGreaterThanOrEqual(version);
      const read = (await Promise.all(
        workers.map((worker) => ask(worker, { op: 'getMany', namespace: 'page', keys })),
      )) as (string | null)[][];
      for (const value of read.flat()) if (value !== null) expect(Number(value)).toBeGreaterThanOrEqual(version);
      await racing;
    }
  });

  it('T1 with writers: after invalidateTags resolved, no process serves a value whose set resolved before it was called', async () => {
    const prefix = randomPrefix();
    const workers = await fleetOf(4, prefix);
    const cache = makeCache({ prefix });
    const keys = ['a', 'b', 'c', 'd', 'e'];
    const options = { tags: ['prices', 'page'] };
    type Written = { value: string; stored: boolean; resolvedAt: number };
    const resolvedAt = new Map<string, number>();
    for (let round = 1; round <= 8; round += 1) {
      // Each process writes keys of its own, so that what one wrote before the call stays to be read.
      const writers = workers.map(
        (worker, index) =>
          ask(worker, {
            op: 'setMany',
            namespace: 'page',
            keys: keys.map((key) => `${key}${index}`),
            value: `r${round}`,
            options,
          }) as Promise<Written[]>,
      );
      // Once one process's sets resolved, the others' race the invalidation.
      await Promise.race(writers);
      const calledAt = performance.timeOrigin + performance.now();
      await cache.invalidateTags(['prices']);
      const roundWrites = (await Promise.all(writers)).flat();
      for (const written of roundWrites) resolvedAt.set(written.value, written.resolvedAt);
      const everyKey = workers.flatMap((_, index) => keys.map((key) => `${key}${index}`));
      const read = (await Promise.all(
        workers.map((worker) => ask(worker, { op: 'getMany', namespace: 'page', keys: everyKey })),
      )) as (string | null)[][];
      for (const value of read.flat()) {
        if (value !== null) expect(resolvedAt.get(value)).toBeGreaterThanOrEqual(calledAt);
      }
      // Writes before the call did happen (the race has two sides), and none of them is read.
      expect(roundWrites.some((written) => written.stored && written.resolvedAt < calledAt)).toBe(true);
    }
  });

  it('a soft clear of a namespace with 100 hot keys serves every caller at once, with exactly 100 loads in the fleet', async () => {
    const prefix = randomPrefix();
    const workers = await fleetOf(4, prefix);
    const keys = Array.from({ length: 100 }, (_, index) => `p${index}`);
    const cache = makeCache({ prefix });
    expect(await cache.setMulti('product', Object.fromEntries(keys.map((key) => [key, `old ${key}`])))).toBe(true);
    await cache.deleteNamespace('product', { staleFor: 60 });
    const runs = await Promise.all(
      workers.map((worker) =>
        worker.getOrSet({ namespace: 'product', keys, callers: 3, loader: { ms: 200, value: 'new {key}' } }),
      ),
    );
    for (const result of runs.flatMap((run) => run.results)) {
      expect(result.value).toBe(`old ${result.key}`);
      // Answered before any load of its process had finished: nobody waited for a refresh.
      expect(result.loadsFinishedAtResolve).toBe(0);
    }
    // The refreshes run in the background, once per key in the whole fleet.
    await expect.poll(() => totalLoads(workers), { timeout: 10_000 }).toBe(100);
    const read = (await ask(workers[1] as FleetWorker, { op: 'getMany', namespace: 'product', keys })) as string[];
    expect(read).toEqual(keys.map((key) => `new ${key}`));
    expect(await totalLoads(workers)).toBe(100);
    // Plain get never saw the old values: after the refreshes it reads the new ones, before them a miss.
    expect(await cache.get('product', 'p0')).toBe('new p0');
  });

  it('a database outage during a fleet load: the loader runs once, every caller fails within one lockWait', async () => {
    const prefix = randomPrefix();
    const lockWait = 4;
    const workers = await fleetOf(4, prefix, { lockWait });
    const runs = await Promise.all(
      workers.map((worker) =>
        worker.getOrSet({ namespace: 'product', keys: ['guitar'], callers: 5, loader: { ms: 300, fails: true } }),
      ),
    );
    expect(runs.reduce((total, run) => total + run.loads, 0)).toBe(1);
    const results = runs.flatMap((run) => run.results);
    expect(results).toHaveLength(20);
    for (const result of results) {
      expect(result.error).toMatch(/loader of guitar failed/);
      expect(result.ms).toBeLessThan(lockWait * 1000);
    }
  });

  it('T2: tag records evicted by memory pressure never bring an invalidated item back', async () => {
    const server = await privateMemcached({ memoryMb: 2 });
    const prefix = randomPrefix();
    const client = memjs.Client.create(server.servers, { logger: { log() {} } });
    const cache = new NamespacedCache({ client, prefix });
    const spy = spyOnWrites(client);
    await cache.set('page', 'home', 'old', { tags: ['t'] });
    const keys = spy.requests().map((request) => request.key);
    const recordKey = keys.find((key) => key.startsWith(`${prefix}:g:`)) as string;
    const dataKey = keys.filter((key) => /^[^:]+:[0-9a-f]{16}:[0-9a-f]{16}:[0-9a-f]{32}$/.test(key)).at(-1) as string;
    const workers = await fleetOf(4, prefix, {}, server.servers);
    for (const worker of workers) expect(await ask(worker, { op: 'get', namespace: 'page', key: 'home' })).toBe('old');
    await cache.invalidateTags(['t']);
    // Churn until memcached evicts the record, keeping the item itself in use. memcached evicts
    // within a slab class: the filler items have the record's key and value lengths.
    const raw = memjs.Client.create(server.servers, { logger: { log() {} } });
    const record = (await raw.get(recordKey)).value as Buffer;
    const item = (await raw.get(dataKey)).value as Buffer;
    const filler = 'x'.repeat(record.length);
    const fillerKey = (index: number): string => `${index}`.padStart(recordKey.length, 'c');
    // Reading the record would keep it in use: churn several times memcached's memory, then look once.
    let churned = 0;
    while (churned < 60_000) {
      await Promise.all(Array.from({ length: 500 }, () => raw.set(fillerKey(churned++), filler, {})));
      await raw.get(dataKey);
    }
    expect((await raw.get(recordKey)).value).toBeNull(); // evicted
    // The churn may evict the item too (memcached moves slab pages between classes under pressure):
    // the case under test is the item outliving its record, so put its very bytes back.
    await raw.set(dataKey, item, {});
    expect((await raw.get(dataKey)).value).toEqual(item); // the invalidated item is still there
    for (const worker of workers)
      expect(await ask(worker, { op: 'get', namespace: 'page', key: 'home' })).toBeUndefined();
    raw.close();
    await cache.close();
    client.close();
  });

  it('T2: a restarted server loses tag records; items on the other server that carried them read as misses', async () => {
    const [first, second] = [await privateMemcached(), await privateMemcached()];
    const pool = `${first.servers},${second.servers}`;
    const placement = rendezvousHashing([first.servers, second.servers]);
    const prefix = randomPrefix();
    const client = memjs.Client.create(pool, { logger: { log() {} } });
    useConsistentHashing(client);
    const cache = new NamespacedCache({ client, prefix });
    const spy = spyOnWrites(client);
    const items = Array.from({ length: 40 }, (_, index) => `item${index}`);
    const recordOf = new Map<string, string>();
    const dataOf = new Map<string, string>();
    for (const item of items) {
      spy.clear();
      await cache.set('page', item, item, { tags: [`tag-of-${item}`] });
      const sent = spy.requests().map((request) => request.key);
      recordOf.set(item, sent.find((key) => key.startsWith(`${prefix}:g:`)) as string);
      dataOf.set(item, sent.filter((key) => /:[0-9a-f]{32}$/.test(key)).at(-1) as string);
    }
    const workers = await fleetOf(4, prefix, {}, pool);
    const before = (await ask(workers[0] as FleetWorker, {
      op: 'getMany',
      namespace: 'page',
      keys: items,
    })) as unknown[];
    expect(before).toEqual(items);
    // The namespace token must survive: restart the server that does not hold it.
    const tokenKey = spy.requests().find((request) => request.key.startsWith(`${prefix}:t:`))?.key as string;
    const restarted = placement(tokenKey) === 0 ? 1 : 0;
    await [first, second][restarted]?.restart();
    const orphaned = items.filter(
      (item) =>
        placement(recordOf.get(item) as string) === restarted && placement(dataOf.get(item) as string) !== restarted,
    );
    const untouched = items.filter(
      (item) =>
        placement(recordOf.get(item) as string) !== restarted && placement(dataOf.get(item) as string) !== restarted,
    );
    expect(orphaned.length).toBeGreaterThan(0);
    for (const worker of workers) {
      const after = (await ask(worker, { op: 'getMany', namespace: 'page', keys: items })) as unknown[];
      items.forEach((item, index) => {
        if (orphaned.includes(item)) expect(after[index]).toBeNull();
        if (untouched.includes(item)) expect(after[index]).toBe(item);
      });
    }
    await cache.close();
    client.close();
  });
});
