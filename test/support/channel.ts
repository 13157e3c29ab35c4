import { afterEach } from 'vitest';
import { type OperationContext, operationChannel } from '../../src/index.js';

type EventName = 'start' | 'end' | 'asyncStart' | 'asyncEnd' | 'error';
const EVENT_NAMES: readonly EventName[] = ['start', 'end', 'asyncStart', 'asyncEnd', 'error'];

/** One publication on the operation channel, with the context as it was at that moment. */
export interface Published {
  readonly event: EventName;
  readonly context: OperationContext;
  /** A copy of the context's fields at publication time (the context itself changes later). */
  readonly seen: Record<string, unknown>;
}

const subscribed: (() => void)[] = [];
afterEach(() => {
  for (const unsubscribe of subscribed.splice(0)) unsubscribe();
});

/**
 * Subscribes to the operation channel until the end of the test and records what the caches with
 * `prefix` publish (other caches of the file may be running). `ended()` lists the contexts of the
 * calls that settled, in order.
 */
export function recordOperations(prefix: string): {
  readonly published: Published[];
  ended(): OperationContext[];
} {
  const published: Published[] = [];
  const handlers = Object.fromEntries(
    EVENT_NAMES.map((event) => [
      event,
      (message: unknown) => {
        const context = message as OperationContext;
        if (context.cache.prefix === prefix) published.push({ event, context, seen: { ...context } });
      },
    ]),
  ) as Record<EventName, (message: unknown) => void>;
  operationChannel.subscribe(handlers);
  subscribed.push(() => operationChannel.unsubscribe(handlers));
  return {
    published,
    ended: () => published.filter((entry) => entry.event === 'asyncEnd').map((entry) => entry.context),
  };
}
