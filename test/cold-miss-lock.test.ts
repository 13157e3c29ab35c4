import { Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cacheSpeaking, memcachedServers, randomPrefix, rawClient } from './support/cache.js';
import { heldLoad } from './support/contention.js';

// A missing key's fleet lock is an empty item at its data key (its stub), taken by the meta read
// that missed (`mg … N`) or by an add on text and binary: the same lock on every protocol.

type Protocol = 'meta' | 'text' | 'binary';
const PROTOCOLS: readonly Protocol[] = ['meta', 'text', 'binary'];

afterEach(() => {
  vi.restoreAllMocks();
});

/**
 * What the process writes to memcached, and in how many turns of the event loop (round trips). Only
 * sockets to memcached count: a test worker's stdout is a socket too.
 */
function watchSockets(): { turns(): number; text(): string } {
  const port = Number(memcachedServers.split(':')[1]);
  const written: Buffer[] = [];
  let turns = 0;
  let inTurn = false;
  const write = Socket.prototype.write;
  vi.spyOn(Socket.prototype, 'write').mockImplementation(function (this: Socket, ...args: unknown[]) {
    if (this.remotePort !== port) return (write as (...rest: unknown[]) => boolean).apply(this, args);
    written.push(Buffer.from(args[0] as Uint8Array));
    if (!inTurn) {
      turns += 1;
      inTurn = true;
      setImmediate(() => {
        inTurn = false;
      });
    }
    return (write as (...rest: unknown[]) => boolean).apply(this, args);
  });
  return { turns: () => turns, text: () => Buffer.concat(written).toString('latin1') };
}

describe("a cold miss's winner", () => {
  // meta: the read takes the stub, the value replaces it. binary: the read, an add, the value.
  // text: its add says nothing of the CAS the lock's renewal needs, so a gets follows it.
  it.each([
    ['meta', 2],
    ['binary', 3],
    ['text', 4],
  ] as const)(
    'on %s loads after the read that missed and writes the value: %i round trips',
    async (protocol, expected) => {
      const cache = cacheSpeaking(protocol);
      await cache.get('product', 'warm'); // the namespace's token is known: its read goes with the data read
      const sockets = watchSockets();
      const loader = vi.fn(() => 'loaded');
      expect(await cache.getOrSet('product', 'guitar', loader)).toBe('loaded');
      expect(sockets.turns()).toBe(expected);
      expect(loader).toHaveBeenCalledTimes(1);
      if (protocol === 'meta') {
        expect(sockets.text()).toMatch(/^mg \S+ v c N6 O\d+\r\n/m);
        expect(sockets.text().match(/^(ms|md) /gm)).toEqual(['ms ']); // the value, and no release
      }
      expect(sockets.text()).not.toContain(':l:'); // no lock key
    },
  );
});

describe('one load in a fleet of caches speaking different protocols (I5, rolling upgrades)', () => {
  const pairs = PROTOCOLS.flatMap((holder) =>
    PROTOCOLS.filter((waiter) => waiter !== holder).map((waiter) => [holder, waiter] as const),
  );
  it.each(pairs)('a %s holder, a %s waiter', async (holderProtocol, waiterProtocol) => {
    const prefix = randomPrefix();
    const holder = cacheSpeaking(holderProtocol, { prefix });
    const waiter = cacheSpeaking(waiterProtocol, { prefix, lockWait: 30 });
    const held = await heldLoad(holder, 'guitar');
    const loader = vi.fn(() => 'loaded by the waiter');
    const waiting = waiter.getOrSet('product', 'guitar', loader);
    await vi.waitFor(() => expect(waiter.stats().lockWaits).toBe(1));
    held.release('loaded by the holder');
    expect(await Promise.all([held.holding, waiting])).toEqual(['loaded by the holder', 'loaded by the holder']);
    expect(loader).not.toHaveBeenCalled();
  });
});

describe('a stub taken under a generation cleared meanwhile', () => {
  it('is released at once, so that callers still on that generation do not wait for it', async () => {
    const prefix = randomPrefix();
    const cache = cacheSpeaking('meta', { prefix });
    const other = cacheSpeaking('meta', { prefix });
    await cache.get('product', 'warm'); // remembers the generation: the next read goes out before its token read
    await other.deleteNamespace('product');
    const sockets = watchSockets();
    expect(await cache.getOrSet('product', 'guitar', () => 'loaded')).toBe('loaded');
    const stubbed = [...sockets.text().matchAll(/^mg (\S+) v c N/gm)].map((match) => match[1] as string);
    expect(stubbed).toHaveLength(2); // the optimistic read, then the one under the new generation
    vi.restoreAllMocks();
    const raw = rawClient();
    // The first, in the dead generation, is gone (not an empty item); the second holds the value.
    await vi.waitFor(async () => expect((await raw.get(stubbed[0] as string)).value).toBeNull());
    expect((await raw.get(stubbed[1] as string)).value?.length).toBeGreaterThan(0);
  });
});
