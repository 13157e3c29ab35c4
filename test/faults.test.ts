import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { freePort } from '../scripts/memcached.js';
import { CacheError, NamespacedCache } from '../src/index.js';
import { errorLog, randomPrefix, rawClient } from './support/cache.js';
import { type LoadReport, startLoad } from './support/load.js';
import { protocol, protocolOptions } from './support/protocol.js';
import { FaultProxy } from './support/proxy.js';
import { privateMemcached } from './support/servers.js';

const TIMEOUT_S = 0.3;
/** How long a call may outlive its deadline: the deadline scan interval plus a loaded machine's noise. */
const MARGIN_MS = 200;
/** "Serves again within a few seconds of the server coming back." */
const RECOVERY_LIMIT_MS = 3000;

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

function cacheOn(servers: string) {
  const log = errorLog();
  const cache = new NamespacedCache({
    ...protocolOptions(),
    servers,
    prefix: randomPrefix(),
    timeout: TIMEOUT_S,
    onError: log.onError,
  });
  return { cache, log };
}

/** What every fault must leave true: deadlines kept, replies never mixed up, only CacheErrors. */
async function expectContained(
  context: TestContext,
  report: LoadReport,
  errors: readonly CacheError[],
  codes: readonly string[] = ['E_TIMEOUT', 'E_CONNECTION'],
) {
  await context.annotate(
    `longest of ${report.calls} calls: ${Math.round(report.longestMs)} ms (deadline ${TIMEOUT_S * 1000})`,
  );
  expect(report.longestMs).toBeLessThan(TIMEOUT_S * 1000 + MARGIN_MS);
  expect(report.wrongValues).toEqual([]);
  for (const rejection of report.rejections) {
    expect(rejection).toBeInstanceOf(CacheError);
    expect((rejection as CacheError).operation).toMatch(/^delete/);
  }
  for (const error of errors) expect(codes).toContain(error.code);
}

/** A cache behind a fault proxy, with load running and already succeeding. */
async function loadThroughProxy() {
  const proxy = await FaultProxy.start(await privateMemcached());
  const { cache, log } = cacheOn(proxy.servers);
  const load = startLoad(cache, log.errors);
  await load.successesAfter(performance.now(), 100, 5000);
  return { proxy, cache, log, load };
}

async function record(context: TestContext, what: string, value: number): Promise<void> {
  await context.annotate(`${what}: ${Math.round(value)} ms`);
}

describe('faults on real memcached processes', () => {
  it('fails fast while the server is absent, and serves once it starts', async (context) => {
    const port = await freePort();
    const { cache, log } = cacheOn(`127.0.0.1:${port}`);
    const load = startLoad(cache, log.errors, 8);
    await log.until(50);
    await expect(cache.deleteNamespace('load')).rejects.toMatchObject({ code: 'E_CONNECTION' });

    await privateMemcached({ port });
    const recoveryMs = await load.successesAfter(performance.now(), 100, RECOVERY_LIMIT_MS);
    const report = await load.stop();
    await expectContained(context, report, log.errors);
    await record(context, 'first success after the server started', recoveryMs);
    await cache.close();
  });

  it('contains a kill mid-load, then serves a restarted, empty server without old values', async (context) => {
    const server = await privateMemcached();
    const { cache, log } = cacheOn(server.servers);
    await cache.set('before', 'k', 'written before the restart');
    const load = startLoad(cache, log.errors);
    await load.successesAfter(performance.now(), 200, 5000);

    await server.kill();
    await log.until(20);
    await expect(cache.deleteNamespace('load')).rejects.toBeInstanceOf(CacheError);
    expect(await cache.get('before', 'k')).toBeUndefined(); // fails open

    await server.restart();
    const recoveryMs = await load.successesAfter(performance.now(), 200, RECOVERY_LIMIT_MS);
    const report = await load.stop();
    await expectContained(context, report, log.errors);
    // Data and tokens were lost with the process: nothing from before, and tokens are made anew.
    expect(await cache.get('before', 'k')).toBeUndefined();
    expect(await cache.set('before', 'k', 'after')).toBe(true);
    expect(await cache.get('before', 'k')).toBe('after');
    await record(context, 'first success after restart', recoveryMs);
    await cache.close();
  });

  it('keeps every deadline while the server is paused (SIGSTOP) under load, and recovers on resume', async (context) => {
    const server = await privateMemcached();
    const { cache, log } = cacheOn(server.servers);
    const load = startLoad(cache, log.errors);
    await load.successesAfter(performance.now(), 200, 5000);

    await server.pause();
    await log.until(50);
    server.resume();
    const recoveryMs = await load.successesAfter(performance.now(), 200, RECOVERY_LIMIT_MS);
    const report = await load.stop();
    await expectContained(context, report, log.errors);
    expect(log.errors.some((error) => error.code === 'E_TIMEOUT')).toBe(true);
    await record(context, 'first success after resume', recoveryMs);
    await cache.close();
  });

  it('absorbs connection resets: reads are retried on a new connection', async (context) => {
    const { proxy, cache, log, load } = await loadThroughProxy();
    for (let reset = 0; reset < 5; reset += 1) {
      const before = performance.now();
      await load.successesAfter(before, 100, 5000);
      proxy.resetConnections();
    }
    await load.successesAfter(performance.now(), 100, RECOVERY_LIMIT_MS);
    const report = await load.stop();
    await expectContained(context, report, log.errors);
    expect(log.errors.every((error) => error.operation !== 'get')).toBe(true);
    await cache.close();
  });

  it('recovers from half a reply followed by silence: the half frame never corrupts later replies', async (context) => {
    const { proxy, cache, log, load } = await loadThroughProxy();
    proxy.injectReplyFault('half-then-stall');
    await log.until(1);
    const recoveryMs = await load.successesAfter(performance.now(), 300, RECOVERY_LIMIT_MS);
    const report = await load.stop();
    await expectContained(context, report, log.errors);
    await record(context, 'first success after the stall was detected', recoveryMs);
    await cache.close();
  });

  it('recovers from a connection closed in the middle of a reply', async (context) => {
    const { proxy, cache, log, load } = await loadThroughProxy();
    for (let round = 0; round < 3; round += 1) {
      await load.successesAfter(performance.now(), 100, 5000);
      proxy.injectReplyFault('half-then-close');
    }
    await load.successesAfter(performance.now(), 300, RECOVERY_LIMIT_MS);
    const report = await load.stop();
    await expectContained(context, report, log.errors);
    // Failed at once when the connection closed (memjs alone would wait forever), never by deadline;
    // reads were retried on a new connection.
    expect(log.errors.filter((error) => error.code === 'E_TIMEOUT')).toEqual([]);
    expect(log.errors.filter((error) => error.operation === 'get')).toEqual([]);
    await cache.close();
  });

  // Text has no opaque: a lost reply (which memcached never loses) shifts later answers onto the
  // requests before them, caught at the first that cannot answer its request (a value for another
  // key, a store's reply to a get) — under this mixed load, at once. Meta and binary check the opaque.
  it('settles a call whose reply was lost even while other traffic keeps the socket busy', async (context) => {
    // memjs' own timeout measures socket inactivity: steady traffic postpones it forever.
    const { proxy, cache, log, load } = await loadThroughProxy();
    proxy.injectReplyFault('drop');
    await log.until(1);
    await load.successesAfter(performance.now(), 300, RECOVERY_LIMIT_MS);
    const report = await load.stop();
    // Binary finds the next reply's opaque further on and the lost one times out; meta's next reply
    // carries another request's opaque: out of step, a protocol error and a reset at once.
    const expected = protocol === 'binary' ? 'E_TIMEOUT' : 'E_PROTOCOL';
    await expectContained(context, report, log.errors, ['E_TIMEOUT', 'E_CONNECTION', expected]);
    expect(log.errors[0]?.code).toBe(expected);
    await cache.close();
  });

  it('serves slow replies within the deadline, fails open past it, and recovers when they speed up', async () => {
    const server = await privateMemcached();
    const proxy = await FaultProxy.start(server);
    const { cache, log } = cacheOn(proxy.servers);
    // Known token first: then every call is one round trip (a first use takes three: get, add, set).
    expect(await cache.set('slow', 'warm', 'up')).toBe(true);
    proxy.delayReplies(100);
    expect(await cache.set('slow', 'k', 'v')).toBe(true);
    expect(await cache.get('slow', 'k')).toBe('v');
    expect(log.errors).toEqual([]);

    proxy.delayReplies(1000);
    const started = performance.now();
    expect(await cache.get('slow', 'k')).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(TIMEOUT_S * 1000 + MARGIN_MS);
    expect(log.errors.map((error) => error.code)).toEqual(['E_TIMEOUT']);

    proxy.delayReplies(0);
    expect(await cache.get('slow', 'k')).toBe('v');
    await cache.close();
  });

  it("keeps working when memjs' request counter is about to pass 2^31", async () => {
    const client = rawClient();
    const cache = new NamespacedCache({ client, prefix: randomPrefix() });
    (client as unknown as { seq: number }).seq = 2 ** 31 - 5;
    for (let index = 0; index < 20; index += 1) {
      expect(await cache.set('seq', `k${index}`, index)).toBe(true);
      expect(await cache.get('seq', `k${index}`)).toBe(index);
    }
    expect(client.seq).toBeGreaterThan(0);
    expect(client.seq).toBeLessThan(2 ** 31);
    // memjs alone breaks there: its counter goes negative and every request throws.
    const bare = rawClient();
    (bare as unknown as { seq: number }).seq = 2 ** 31 - 1;
    await expect(bare.get('anything')).rejects.toThrow(RangeError);
  });
});
