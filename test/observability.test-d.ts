import { describe, expectTypeOf, it } from 'vitest';
import type {
  CacheErrorCode,
  CacheStats,
  NamespacedCache,
  OperationContext,
  OperationOutcome,
  operationChannel,
} from '../src/index.js';
import type { instrumentOpenTelemetry, OpenTelemetryOptions } from '../src/otel/index.js';

declare const cache: NamespacedCache;
declare const channel: typeof operationChannel;
declare const instrument: typeof instrumentOpenTelemetry;

describe('observability types', () => {
  it('stats() is a snapshot of numbers, errors keyed by every code', () => {
    expectTypeOf(cache.stats()).toEqualTypeOf<CacheStats>();
    expectTypeOf(cache.stats().hits).toEqualTypeOf<number>();
    expectTypeOf(cache.stats().errors).toEqualTypeOf<Readonly<Record<CacheErrorCode, number>>>();
    // @ts-expect-error a snapshot is read-only
    cache.stats().hits = 1;
  });

  it('the channel carries OperationContext', () => {
    expectTypeOf(channel.asyncEnd.publish).parameter(0).toEqualTypeOf<unknown>();
    expectTypeOf<OperationContext['outcome']>().toEqualTypeOf<OperationOutcome | undefined>();
    expectTypeOf<OperationContext['errorCode']>().toEqualTypeOf<CacheErrorCode | undefined>();
    expectTypeOf<OperationContext['namespace']>().toEqualTypeOf<readonly string[]>();
  });

  it('instrumentOpenTelemetry takes optional options and returns a stop function', () => {
    expectTypeOf(instrument).parameter(0).toEqualTypeOf<OpenTelemetryOptions | undefined>();
    expectTypeOf(instrument()).toEqualTypeOf<() => void>();
    // @ts-expect-error recordKeys is a boolean
    instrument({ recordKeys: 'yes' });
  });
});
