import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { NamespacedCache } from '../src/index.js';
import { Opcode } from '../src/protocol.js';
import { errorLog, makeCache, randomPrefix, rawClient } from './support/cache.js';
import { parseRequests, type SentRequest, spyOnWrites } from './support/wire.js';

describe('fresh reads (invariant I1)', () => {
  it('never serves a value from before a rotation another client made, over many interleaved rounds', async () => {
    const prefix = randomPrefix();
    const cache = makeCache({ prefix });
    const other = makeCache({ prefix }); // another process: its own client and token knowledge
    for (let round = 0; round < 300; round += 1) {
      const namespace = round % 2 === 0 ? 'product' : ['tenant:1', 'product'];
      expect(await cache.set(namespace, 'k', round)).toBe(true);
      expect(await cache.get(namespace, 'k')).toBe(round);
      await other.deleteNamespace(round % 3 === 0 ? 'tenant:1' : namespace);
      if (round % 3 === 0 && namespace === 'product') continue; // clearing tenant:1 leaves 'product' alone
      expect(await cache.get(namespace, 'k')).toBeUndefined();
    }
  });

  it('keeps I1 under concurrent writes, reads and rotations from two clients', async () => {
    const prefix = randomPrefix();
    const log = errorLog();
    const cache = makeCache({ prefix, onError: log.onError });
    const rotator = makeCache({ prefix });
    const writeCompletedAt = new Map<number, number>();
    const rotations: { startedAt: number; resolvedAt: number }[] = [];
    const reads: { startedAt: number; value: number | undefined }[] = [];
    let sequence = 0;
    let running = true;

    const writer = async () => {
      while (running) {
        const value = sequence++;
        await cache.set('hot', 'k', value);
        writeCompletedAt.set(value, performance.now());
      }
    };
    const reader = async () => {
      while (running) {
        const startedAt = performance.now();
        reads.push({ startedAt, value: await cache.get<number>('hot', 'k') });
      }
    };
    // Runs until enough reads returned a value after at least one rotation, whatever the machine's speed.
    const readsAfterRotations = () =>
      reads.filter((read) => read.value !== undefined && read.startedAt > (rotations[0]?.resolvedAt ?? Infinity))
        .length;
    const rotate = async () => {
      while (rotations.length < 150 || readsAfterRotations() < 300) {
        const startedAt = performance.now();
        await rotator.deleteNamespace('hot');
        rotations.push({ startedAt, resolvedAt: performance.now() });
      }
      running = false;
    };
    await Promise.all([writer(), writer(), reader(), reader(), reader(), reader(), rotate()]);

    expect(log.errors).toEqual([]);
    let checked = 0;
    for (const read of reads) {
      if (read.value === undefined) continue;
      const completedAt = writeCompletedAt.get(read.value) as number;
      // The latest rotation that resolved before this read started:
      const before = rotations.filter((rotation) => rotation.resolvedAt < read.startedAt).at(-1);
      // A value whose write completed before that rotation even started sits in a dead generation.
      if (before === undefined) continue;
      expect(completedAt).toBeGreaterThan(before.startedAt);
      checked += 1;
    }
    expect(checked).toBeGreaterThanOrEqual(300);
  });

  it('reads in one round trip once the token is known: the token and the value in one write', async () => {
    const client = rawClient();
    const cache = new NamespacedCache({ client, prefix: randomPrefix() });
    await cache.set('product', 'guitar', 'v');
    const written = spyOnWrites(client);
    expect(await cache.get('product', 'guitar')).toBe('v');
    const requests = written.requests();
    expect(requests.map((request) => request.opcode)).toEqual([Opcode.Get, Opcode.Get]);
    expect(written.blobs()).toHaveLength(1);
  });

  it('rereads under the new generation when the token moved, in a second round trip', async () => {
    const prefix = randomPrefix();
    const client = rawClient();
    const cache = new NamespacedCache({ client, prefix });
    const other = makeCache({ prefix });
    await cache.set('product', 'guitar', 'old');
    await other.deleteNamespace('product');
    await other.set('product', 'guitar', 'new');
    const written = spyOnWrites(client);
    expect(await cache.get('product', 'guitar')).toBe('new');
    expect(written.blobs()).toHaveLength(2);
    expect(written.requests()).toHaveLength(3); // token + stale data, then fresh data
  });

  it('shares a token read among the reads written together, and never with reads that start later', async () => {
    const client = rawClient();
    const cache = new NamespacedCache({ client, prefix: randomPrefix() });
    await cache.set('product', 'k', 1);
    const written = spyOnWrites(client);
    const isTokenGet = (request: SentRequest) => request.opcode === Opcode.Get && request.key.includes(':t:');

    await Promise.all(Array.from({ length: 50 }, () => cache.get('product', 'k')));
    // One token read per write at most (a tick's requests go out in one or two writes), not one per read.
    for (const blob of written.blobs()) expect(parseRequests([blob]).filter(isTokenGet).length).toBeLessThanOrEqual(1);
    expect(written.requests().filter(isTokenGet).length).toBeLessThanOrEqual(10);

    written.clear();
    for (let read = 0; read < 5; read += 1) await cache.get('product', 'k');
    expect(written.requests().filter(isTokenGet)).toHaveLength(5);
  });

  it('never hands a read a token read that was already sent when it started', async () => {
    const prefix = randomPrefix();
    const client = rawClient();
    const cache = new NamespacedCache({ client, prefix });
    const other = makeCache({ prefix });
    await cache.set('product', 'k', 'old');

    // Hold the replies to the first read, once memcached has sent them: its token read has happened.
    const server = client.servers[0] as unknown as { responseHandler(chunk: Buffer): void };
    const deliver = server.responseHandler.bind(server);
    let held: Buffer[] | undefined = [];
    const answered = new Promise<void>((resolve) => {
      server.responseHandler = (chunk) => {
        if (held === undefined) return deliver(chunk);
        held.push(chunk);
        resolve();
      };
    });
    const first = cache.get('product', 'k');
    await answered;

    await other.deleteNamespace('product'); // resolves after the first read's token read
    const second = cache.get('product', 'k'); // starts after the rotation resolved
    const chunks = held;
    held = undefined;
    for (const chunk of chunks) deliver(chunk);

    expect(await first).toBe('old'); // started before the rotation: either answer is allowed
    expect(await second).toBeUndefined();
  });

  it('makes its own rotation visible to its next read, with or without tokenCacheTtl', async () => {
    for (const tokenCacheTtl of [0, 60]) {
      const cache = makeCache({ tokenCacheTtl });
      await cache.set(['tenant:1', 'product'], 'k', 1);
      expect(await cache.get(['tenant:1', 'product'], 'k')).toBe(1);
      await cache.deleteNamespace('tenant:1');
      expect(await cache.get(['tenant:1', 'product'], 'k')).toBeUndefined();
    }
  });
});

describe('tokenCacheTtl', () => {
  it('serves a trusted token without reading it, so a rotation elsewhere is seen within tokenCacheTtl', async () => {
    const prefix = randomPrefix();
    const client = rawClient();
    const cache = new NamespacedCache({ client, prefix, tokenCacheTtl: 0.5 });
    const other = makeCache({ prefix });
    await cache.set('product', 'k', 'before');
    expect(await cache.get('product', 'k')).toBe('before');

    const written = spyOnWrites(client);
    expect(await cache.get('product', 'k')).toBe('before');
    expect(written.requests().map((request) => request.key.includes(':t:'))).toEqual([false]);

    await other.deleteNamespace('product');
    const rotatedAt = performance.now();
    // Within the TTL the old generation may still be served (the documented staleness) ...
    expect(await cache.get('product', 'k')).toBe('before');
    // ... and it stops once the token it trusted is older than tokenCacheTtl: read back to back
    // until the miss, and check when the last stale read started.
    let lastStaleReadStart = rotatedAt;
    for (;;) {
      const startedAt = performance.now();
      if ((await cache.get('product', 'k')) === undefined) break;
      lastStaleReadStart = startedAt;
    }
    expect(lastStaleReadStart - rotatedAt).toBeLessThan(500);
  });
});
