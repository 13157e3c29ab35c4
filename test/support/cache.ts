import { randomBytes } from 'node:crypto';
import memjs from 'memjs';
import { afterEach, inject } from 'vitest';
import { type CacheError, NamespacedCache, type NamespacedCacheOptions } from '../../src/index.js';
import { protocolOptions } from './protocol.js';

/** `host:port` the caches under test connect to (twemproxy under text, the TLS port under tls). */
export const servers = inject('cacheServers');

/** `host:port` of the shared memcached itself, without TLS: for raw memjs clients. */
export const memcachedServers = inject('memcachedServers');

/** A prefix no other test uses, so test files can run in parallel without flushing. */
export function randomPrefix(): string {
  return `t${randomBytes(6).toString('hex')}`;
}

const opened: { close(): unknown }[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((cache) => cache.close()));
});

/** A cache on the shared server with a fresh prefix (unless given), closed after the test. */
export function makeCache(options: NamespacedCacheOptions = {}): NamespacedCache {
  const connection = 'client' in options ? {} : { servers, ...protocolOptions() };
  const cache = new NamespacedCache({ ...connection, prefix: randomPrefix(), ...options } as NamespacedCacheOptions);
  opened.push(cache);
  return cache;
}

/**
 * A cache speaking `protocol` to the shared memcached itself (which speaks all three), with a fresh
 * prefix unless given, closed after the test: for fleets that mix protocols.
 */
export function cacheSpeaking(
  protocol: 'meta' | 'text' | 'binary',
  options: NamespacedCacheOptions = {},
): NamespacedCache {
  const connection = { servers: memcachedServers, protocol, prefix: randomPrefix() };
  const cache = new NamespacedCache({ ...connection, ...options } as NamespacedCacheOptions);
  opened.push(cache);
  return cache;
}

/** A raw memjs client, closed after the test. */
export function rawClient(serverList: string = memcachedServers): memjs.Client {
  const client = memjs.Client.create(serverList, { logger: { log() {} }, retries: 1 });
  opened.push(client);
  return client;
}

/** Collects what a cache reports to onError; `until(n)` resolves once n errors have come. */
export function errorLog(): {
  errors: CacheError[];
  onError: (error: CacheError) => void;
  until(count: number): Promise<void>;
} {
  const errors: CacheError[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  return {
    errors,
    onError(error) {
      errors.push(error);
      for (const waiter of waiters.filter((candidate) => errors.length >= candidate.count)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    },
    until(count) {
      if (errors.length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
  };
}
