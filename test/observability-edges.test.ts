import { afterEach, describe, expect, it, vi } from 'vitest';
import { type OperationContext, operationChannel } from '../src/index.js';
import { errorLog, makeCache, randomPrefix } from './support/cache.js';
import { recordOperations } from './support/channel.js';

const unsubscribers: (() => void)[] = [];
afterEach(() => {
  for (const unsubscribe of unsubscribers.splice(0)) unsubscribe();
  vi.restoreAllMocks();
});

/** A subscriber that freezes every context it sees at `start`. */
function freezeContexts(): void {
  const freeze = (message: unknown): void => {
    Object.freeze(message);
  };
  operationChannel.start.subscribe(freeze);
  unsubscribers.push(() => operationChannel.start.unsubscribe(freeze));
}

describe('a subscriber cannot change what a call does', () => {
  it('a subscriber that freezes the context breaks no call, stale getOrSet included', async () => {
    const cache = makeCache();
    const options = { ttl: 1, staleWhileRevalidate: 600 };
    await cache.set('product', 'k', 'old', options);
    freezeContexts();
    expect(await cache.set('product', 'other', 1)).toBe(true);
    expect(await cache.getMulti('product', ['other', 'missing'])).toEqual(new Map([['other', 1]]));
    const real = Date.now.bind(Date);
    vi.spyOn(Date, 'now').mockImplementation(() => real() + 1500);
    expect(await cache.getOrSet('product', 'k', () => 'new', options)).toBe('old');
  });

  it('a subscriber that makes context.outcome a throwing accessor breaks no call, getOrSet included', async () => {
    const cache = makeCache();
    const booby = (message: unknown): void => {
      const explode = (): never => {
        throw new Error('subscriber trap');
      };
      Object.defineProperty(message, 'outcome', { get: explode, set: explode, configurable: true });
    };
    operationChannel.start.subscribe(booby);
    unsubscribers.push(() => operationChannel.start.unsubscribe(booby));
    expect(await cache.get('product', 'k')).toBeUndefined();
    expect(await cache.getOrSet('product', 'k', () => 'loaded')).toBe('loaded');
    expect(await cache.getOrSet('product', 'k', () => 'unused')).toBe('loaded');
  });

  it('with a subscriber, a path and a key list are read once, and bad elements still reject', async () => {
    const prefix = randomPrefix();
    const cache = makeCache({ prefix });
    const log = recordOperations(prefix);
    let reads = 0;
    const path = new Proxy(['first'], {
      get: (target, property, receiver) =>
        property === '0' ? (reads++ === 0 ? 'first' : 'second') : Reflect.get(target, property, receiver),
    });
    await cache.get(path, 'k');
    expect(reads).toBe(1);
    let keyReads = 0;
    const keys = new Proxy(['a', 'b', 'a'], {
      get: (target, property, receiver) => {
        if (property === '1') keyReads += 1;
        return Reflect.get(target, property, receiver);
      },
    });
    await cache.getMulti('product', keys);
    expect(keyReads).toBe(1);
    expect(log.ended().map((context) => [context.namespace, context.keyCount])).toEqual([
      [['first'], undefined],
      [['product'], 2],
    ]);
    // Elements that would throw if converted reject with the cache's TypeError, never throw.
    const throwing = [
      {
        toString: () => {
          throw new Error('boom');
        },
      },
    ] as unknown as string[];
    const nullProto = [Object.create(null)] as unknown as string[];
    for (const bad of [throwing, nullProto]) {
      let call: Promise<unknown> | undefined;
      expect(() => {
        call = cache.get(bad, 'k');
      }).not.toThrow();
      await expect(call).rejects.toBeInstanceOf(TypeError);
    }
  });

  it('traces a stale-if-error answer as stale, with E_LOADER', async () => {
    const prefix = randomPrefix();
    const log = errorLog();
    const cache = makeCache({ prefix, onError: log.onError });
    const options = { ttl: 1, staleIfError: 600 };
    await cache.set('product', 'k', 'old', options);
    const real = Date.now.bind(Date);
    vi.spyOn(Date, 'now').mockImplementation(() => real() + 1500);
    const recorded = recordOperations(prefix);
    const failing = (): never => {
      throw new Error('database down');
    };
    expect(await cache.getOrSet('product', 'k', failing, options)).toBe('old');
    const context = recorded.ended().find((candidate: OperationContext) => candidate.operation === 'getOrSet');
    expect([context?.outcome, context?.errorCode]).toEqual(['stale', 'E_LOADER']);
    expect(cache.stats().staleServed).toBe(1);
  });
});
