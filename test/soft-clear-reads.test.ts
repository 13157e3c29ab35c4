import { describe, expect, it } from 'vitest';
import { NamespacedCache } from '../src/index.js';
import { randomPrefix, rawClient } from './support/cache.js';
import { spyOnWrites } from './support/wire.js';

/** A cache over a client whose writes the test watches, with its namespace's tokens already known. */
async function watched() {
  const prefix = randomPrefix();
  const client = rawClient();
  const cache = new NamespacedCache({ client, prefix });
  await cache.get(['a', 'b'], 'warm');
  const spy = spyOnWrites(client);
  const windowReads = () => spy.requests().filter((request) => request.key.startsWith(`${prefix}:s:`)).length;
  return { cache, spy, windowReads };
}

describe("getOrSet's read of soft-clear windows", () => {
  it('costs a miss no round trip where nothing was soft-cleared: read, then write', async () => {
    const { cache, spy, windowReads } = await watched();
    expect(await cache.getOrSet(['a', 'b'], 'k', () => 'v', { lock: false })).toBe('v');
    expect(spy.turns()).toBe(2);
    expect(windowReads()).toBe(0);
    // A hard clear leaves no window either.
    await cache.deleteNamespace('a');
    await cache.get(['a', 'b'], 'warm');
    spy.clear();
    expect(await cache.getOrSet(['a', 'b'], 'k', () => 'v', { lock: false })).toBe('v');
    expect(spy.turns()).toBe(2);
    expect(windowReads()).toBe(0);
    await cache.close();
  });

  it('reads the window of the level that was soft-cleared (only it), and serves the value from before', async () => {
    const { cache, spy, windowReads } = await watched();
    await cache.set(['a', 'b'], 'k', 'old');
    await cache.deleteNamespace('a', { staleFor: 30 });
    await cache.get(['a', 'b'], 'warm');
    spy.clear();
    expect(await cache.getOrSet(['a', 'b'], 'k', () => 'new', { lock: false })).toBe('old');
    expect(windowReads()).toBe(1);
    // A hard clear after it ends the window: no window read.
    await cache.deleteNamespace('a');
    await cache.get(['a', 'b'], 'warm');
    spy.clear();
    expect(await cache.getOrSet(['a', 'b'], 'k', () => 'newer', { lock: false })).toBe('newer');
    expect(windowReads()).toBe(0);
    await cache.close();
  });
});
