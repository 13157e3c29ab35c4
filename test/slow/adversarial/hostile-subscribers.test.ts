// Adversarial: tracing-channel subscribers that freeze the context or booby-trap its fields.
import { afterEach, describe, expect, it } from 'vitest';
import { type OperationContext, operationChannel } from '../../../src/index.js';
import { makeCache } from '../../support/cache.js';

const unsubscribers: (() => void)[] = [];
afterEach(() => {
  for (const unsubscribe of unsubscribers.splice(0)) unsubscribe();
});

function onStart(handler: (context: OperationContext) => void): void {
  const subscriber = (message: unknown) => handler(message as OperationContext);
  operationChannel.start.subscribe(subscriber);
  unsubscribers.push(() => operationChannel.start.unsubscribe(subscriber));
}

describe('hostile subscribers never change what a call does', () => {
  it('a subscriber that freezes every context: getOrSet with tags, soft clear, getEntry still work', async () => {
    onStart((context) => Object.freeze(context));
    const cache = makeCache();
    expect(await cache.getOrSet('ns', 'k', async () => 'v', { tags: ['t'] })).toBe('v');
    await cache.invalidateTags(['t'], { staleFor: 30 });
    expect((await cache.getEntry('ns', 'k'))?.state).toBe('stale');
    expect(await cache.getOrSet('ns', 'k', async () => 'new', { tags: ['t'] })).toBe('v');
    await cache.deleteNamespace('ns', { staleFor: 30 });
    expect(await cache.get('ns', 'k')).toBeUndefined();
  });

  it('a subscriber whose setters throw on outcome/result/error/failureMarker: calls unaffected', async () => {
    onStart((context) => {
      for (const field of ['outcome', 'result', 'error', 'failureMarker', 'errorCode', 'hits']) {
        Object.defineProperty(context, field, {
          get() {
            throw new Error(`get ${field}`);
          },
          set() {
            throw new Error(`set ${field}`);
          },
        });
      }
    });
    const cache = makeCache({ lockWait: 1 });
    expect(await cache.set('ns', 'k', 'v', { tags: ['t'] })).toBe(true);
    expect(await cache.get('ns', 'k')).toBe('v');
    expect((await cache.getMulti('ns', ['k'])).get('k')).toBe('v');
    await expect(
      cache.getOrSet('ns', 'fails', async () => {
        throw new Error('db down');
      }),
    ).rejects.toThrow('db down');
    await cache.invalidateTags(['t']);
    expect(await cache.get('ns', 'k')).toBeUndefined();
    expect((await cache.getTagStates(['t'])).size).toBe(1);
  });
});
