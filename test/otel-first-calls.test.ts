import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { loadedHasher } from '../src/hash.js';
import { NamespacedCache } from '../src/index.js';
import { instrumentOpenTelemetry } from '../src/otel/index.js';
import { randomPrefix, servers } from './support/cache.js';

// A file of its own: vitest loads its modules afresh, so the hash functions have not loaded yet
// when the cache below is made, and its first calls wait for them (as in a new process).
describe('OpenTelemetry spans of the first calls of a process, made before the hash functions load', () => {
  it('have the names and attributes of the calls as made: path, BATCH naming, batch size', async () => {
    expect(loadedHasher()).toBeUndefined();
    const exporter = new InMemorySpanExporter();
    const stop = instrumentOpenTelemetry({
      tracerProvider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    });
    const prefix = randomPrefix();
    const cache = new NamespacedCache({ servers, prefix });
    await Promise.all([
      cache.get(['tenant', 'products'], 'k'),
      cache.getMulti('product', ['one']),
      cache.getMulti('product', ['a', 'b', 'c']),
      cache.setMulti('product', { x: 1, y: 2 }),
    ]);
    expect(loadedHasher()).toBeDefined();
    const spans = exporter.getFinishedSpans().map(({ name, attributes }) => ({
      name,
      collection: attributes['db.collection.name'],
      operation: attributes['db.operation.name'],
      size: attributes['db.operation.batch.size'],
    }));
    expect(spans).toEqual([
      { name: 'get', collection: '["tenant","products"]', operation: 'get', size: undefined },
      { name: 'get', collection: 'product', operation: 'get', size: undefined },
      { name: 'BATCH get', collection: 'product', operation: 'BATCH get', size: 3 },
      { name: 'BATCH set', collection: 'product', operation: 'BATCH set', size: 2 },
    ]);
    stop();
    await cache.close();
  });
});
