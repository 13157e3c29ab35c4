import { performance } from 'node:perf_hooks';
import type { CacheError, NamespacedCache } from '../../src/index.js';

/** What a load run saw. */
export interface LoadReport {
  readonly calls: number;
  /** Calls that settled without an error (reported or thrown). */
  readonly successes: number;
  /** Longest time a call took to settle, in milliseconds. */
  readonly longestMs: number;
  /** Rejections of invalidations (`delete`, `deleteNamespace`): expected while the server is down. */
  readonly rejections: readonly unknown[];
  /** Reads that returned a value not written for their key: a misparsed reply. Must stay empty. */
  readonly wrongValues: readonly string[];
  /** When (performance.now()) each successful call settled. */
  readonly successTimes: readonly number[];
}

/** Expected value of a key in load runs: any read of the key returns this or nothing. */
export const expectedValue = (key: string): string => `value of ${key}`;

/**
 * Runs mixed load (get, set, getMulti, delete, deleteNamespace) from `workers` concurrent loops
 * until stopped. The cache's onError must feed `errors` so that failed-open calls are not counted as
 * successes.
 */
export function startLoad(cache: NamespacedCache, errors: readonly CacheError[], workers = 16) {
  let running = true;
  let calls = 0;
  let successes = 0;
  let longestMs = 0;
  const rejections: unknown[] = [];
  const wrongValues: string[] = [];
  const successTimes: number[] = [];
  const waiters = new Set<{ since: number; count: number; resolve: (firstMs: number) => void }>();
  const wakeWaiters = (): void => {
    for (const waiter of waiters) {
      const after = successTimes.filter((time) => time > waiter.since);
      if (after.length >= waiter.count) {
        waiters.delete(waiter);
        waiter.resolve((after[0] as number) - waiter.since);
      }
    }
  };

  const step = async (worker: number, round: number): Promise<void> => {
    const key = `k${(worker * 7 + round) % 40}`;
    const namespace = round % 2 === 0 ? 'load' : ['tenant:load', 'items'];
    const errorsBefore = errors.length;
    const started = performance.now();
    try {
      switch (round % 10) {
        case 0:
        case 1:
        case 2: {
          await cache.set(namespace, key, expectedValue(key));
          break;
        }
        case 9:
          if (worker === 0) await cache.deleteNamespace(namespace);
          else await cache.delete(namespace, key);
          break;
        case 8: {
          const found = await cache.getMulti<string>(namespace, [key, 'k1', 'k2']);
          for (const [foundKey, value] of found)
            if (value !== expectedValue(foundKey)) wrongValues.push(`${foundKey}=${value}`);
          break;
        }
        default: {
          const value = await cache.get(namespace, key);
          if (value !== undefined && value !== expectedValue(key)) wrongValues.push(`${key}=${String(value)}`);
        }
      }
      if (errors.length === errorsBefore) {
        successes += 1;
        successTimes.push(performance.now());
        wakeWaiters();
      }
    } catch (error) {
      rejections.push(error);
    }
    longestMs = Math.max(longestMs, performance.now() - started);
    calls += 1;
  };

  const loops = Array.from({ length: workers }, async (_, worker) => {
    for (let round = 0; running; round += 1) await step(worker, round);
  });

  return {
    /**
     * Resolves, once at least `count` calls have succeeded after `since`, with the time from
     * `since` to the first of them; rejects after `timeoutMs`.
     */
    successesAfter(since: number, count: number, timeoutMs: number): Promise<number> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`fewer than ${count} successes within ${timeoutMs} ms`));
        }, timeoutMs);
        const waiter = {
          since,
          count,
          resolve: (firstMs: number) => {
            clearTimeout(timer);
            resolve(firstMs);
          },
        };
        waiters.add(waiter);
        wakeWaiters();
      });
    },
    async stop(): Promise<LoadReport> {
      running = false;
      await Promise.all(loops);
      return { calls, successes, longestMs, rejections, wrongValues, successTimes };
    },
  };
}
