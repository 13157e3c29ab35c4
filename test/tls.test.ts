import { beforeAll, describe, expect, it } from 'vitest';
import { type Certificates, makeCertificates } from '../scripts/certs.js';
import type { MemcachedServer } from '../scripts/memcached.js';
import { type CacheError, NamespacedCache, type NamespacedCacheOptions } from '../src/index.js';
import { errorLog, randomPrefix } from './support/cache.js';
import { startLoad } from './support/load.js';
import { privateMemcached } from './support/servers.js';

const TIMEOUT_S = 0.5;
/** How far past its deadline a call may settle: the deadline scan's interval plus scheduling. */
const MARGIN_MS = 250;

let certs: Certificates;
beforeAll(() => {
  certs = makeCertificates();
});

function tlsServer(
  which: keyof Pick<Certificates, 'server' | 'expired' | 'wrongHost' | 'unknownCa'>,
  verifyMode?: number,
) {
  return privateMemcached({
    tls: { ...certs[which], caFile: certs.caFile, ...(verifyMode === undefined ? {} : { verifyMode }) },
  });
}

function cacheOn(server: MemcachedServer, options: Partial<NamespacedCacheOptions> = {}) {
  const log = errorLog();
  const cache = new NamespacedCache({
    servers: server.servers,
    tls: { ca: certs.ca },
    prefix: randomPrefix(),
    timeout: TIMEOUT_S,
    onError: log.onError,
    ...options,
  } as NamespacedCacheOptions);
  return { cache, log };
}

/** A read fails open with a coded TLS error carrying its cause, within the deadline. */
async function expectRefused(cache: NamespacedCache, log: ReturnType<typeof errorLog>, cause: RegExp) {
  const started = performance.now();
  expect(await cache.get('n', 'k')).toBeUndefined();
  expect(performance.now() - started).toBeLessThan(TIMEOUT_S * 1000 + MARGIN_MS);
  const error = log.errors[0] as CacheError;
  expect(error.code).toBe('E_CONNECTION');
  expect(error.message).toMatch(/TLS/);
  expect(String((error.cause as NodeJS.ErrnoException)?.code ?? error.cause)).toMatch(cause);
}

describe('TLS against memcached -Z', () => {
  it('works over a valid chain: values over 16 KB and large batches too (memcached 1.6.18 stalls on more than ~16 KB of requests in one write)', async () => {
    const server = await tlsServer('server');
    const { cache, log } = cacheOn(server);
    const big = 'x'.repeat(200_000);
    expect(await cache.set('n', 'big', big)).toBe(true);
    expect(await cache.get('n', 'big')).toBe(big);
    const keys = Array.from({ length: 1500 }, (_, index) => `a-key-with-a-longish-name-${index}`);
    expect(await cache.setMulti('n', Object.fromEntries(keys.map((key) => [key, { key, pad: 'y'.repeat(100) }])))).toBe(
      true,
    );
    const found = await cache.getMulti('n', keys);
    expect(found.size).toBe(keys.length);
    // A large value behind small writes and in front of reads, in one tick.
    const mixed = await Promise.all([
      cache.set('n', 'a', 1),
      cache.set('n', 'big2', big),
      cache.get('n', 'a'),
      cache.get('n', 'big2'),
    ]);
    expect(mixed).toEqual([true, true, 1, big]);
    expect(log.errors).toEqual([]);
    await cache.close();
  });

  it('refuses a certificate from an unknown CA', async () => {
    const { cache, log } = cacheOn(await tlsServer('unknownCa'));
    await expectRefused(cache, log, /UNABLE_TO_VERIFY|SELF_SIGNED|unable to verify/i);
    await cache.close();
  });

  it('refuses a certificate for another host name', async () => {
    const { cache, log } = cacheOn(await tlsServer('wrongHost'));
    await expectRefused(cache, log, /ERR_TLS_CERT_ALTNAME_INVALID/);
    await cache.close();
  });

  it('refuses an expired certificate', async () => {
    const { cache, log } = cacheOn(await tlsServer('expired'));
    await expectRefused(cache, log, /CERT_HAS_EXPIRED|expired/i);
    await cache.close();
  });

  it('never falls back to plain TCP: a plain server is an error, not a conversation', async () => {
    const plain = await privateMemcached({ tls: undefined });
    const { cache, log } = cacheOn(plain);
    const started = performance.now();
    expect(await cache.get('n', 'k')).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(TIMEOUT_S * 1000 + MARGIN_MS);
    expect(log.errors[0]?.code).toMatch(/E_CONNECTION|E_TIMEOUT/);
    await cache.close();
  });

  it('does mutual TLS: refused without a client certificate, served with one', async () => {
    const server = await tlsServer('server', 2);
    const without = cacheOn(server);
    expect(await without.cache.get('n', 'k')).toBeUndefined();
    expect(without.log.errors[0]?.code).toBe('E_CONNECTION');
    const withCert = cacheOn(server, { tls: { ca: certs.ca, ...certs.client } });
    expect(await withCert.cache.set('n', 'k', 'v')).toBe(true);
    expect(await withCert.cache.get('n', 'k')).toBe('v');
    expect(withCert.log.errors).toEqual([]);
    await Promise.all([without.cache.close(), withCert.cache.close()]);
  });

  it('keeps every deadline across a server restart mid-traffic, and serves the restarted server', async () => {
    const server = await tlsServer('server');
    const { cache, log } = cacheOn(server);
    expect(await cache.set('n', 'warm', 1)).toBe(true);
    const load = startLoad(cache, log.errors);
    await server.restart();
    await load.successesAfter(performance.now(), 100, 5000);
    const report = await load.stop();
    expect(report.longestMs).toBeLessThan(TIMEOUT_S * 1000 + MARGIN_MS);
    expect(report.wrongValues).toEqual([]);
    for (const error of log.errors) expect(['E_CONNECTION', 'E_TIMEOUT']).toContain(error.code);
    await cache.close();
  });
});
