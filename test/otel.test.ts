import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { type HistogramMetricData, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NamespacedCache, operationChannel } from '../src/index.js';
import { instrumentOpenTelemetry, type OpenTelemetryOptions } from '../src/otel/index.js';
import { makeCache, randomPrefix, servers } from './support/cache.js';
import { describedProtocol, protocolOptions } from './support/protocol.js';
import { privateMemcached } from './support/servers.js';

/** A metric reader the test collects from on demand. */
class CollectingReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

const exporter = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager();
let stop: (() => void) | undefined;

beforeAll(() => {
  // Without a context manager every span is a root: the parent test needs one.
  context.setGlobalContextManager(contextManager.enable());
});
afterAll(() => {
  context.disable();
});
afterEach(() => {
  stop?.();
  stop = undefined;
  exporter.reset();
});

function instrument(options: OpenTelemetryOptions = {}): MetricReader {
  const reader = new CollectingReader();
  stop = instrumentOpenTelemetry({
    tracerProvider,
    meterProvider: new MeterProvider({ readers: [reader] }),
    ...options,
  });
  return reader;
}

/** The finished spans of one cache's calls, as name and attributes. */
function spansOf(prefix: string) {
  return exporter
    .getFinishedSpans()
    .filter((span) => span.attributes['db.namespace'] === prefix)
    .map((span) => ({ name: span.name, attributes: span.attributes }));
}

describe('memjs-namespaces/otel', () => {
  it('records a CLIENT span per call with the database conventions, and no key by default', async () => {
    instrument();
    const prefix = randomPrefix();
    const cache = makeCache({ prefix });
    await cache.set('product', 'guitar', 1);
    await cache.get('product', 'guitar');
    await cache.get('product', 'bass');
    await cache.getMulti(['tenant:1', 'product'], ['guitar', 'bass', 'drum']);
    await cache.getMulti('product', ['guitar']);
    await cache.setMulti('product', { a: 1, b: 2 });
    await cache.deleteMulti('product', ['a', 'b']);
    await cache.delete('product', 'guitar');
    await cache.getOrSet('product', 'drum', () => 3);
    await cache.deleteNamespace('product');

    const [host, port] = servers.split(':');
    const common = {
      'db.system.name': 'memcached',
      'db.namespace': prefix,
      'server.address': host,
      'server.port': Number(port),
      'db.collection.name': 'product',
      'network.protocol.name': `memcached-${describedProtocol().protocol}`,
    };
    expect(spansOf(prefix)).toEqual([
      { name: 'set', attributes: { ...common, 'db.operation.name': 'set', 'memjs_namespaces.outcome': 'stored' } },
      { name: 'get', attributes: { ...common, 'db.operation.name': 'get', 'memjs_namespaces.outcome': 'hit' } },
      { name: 'get', attributes: { ...common, 'db.operation.name': 'get', 'memjs_namespaces.outcome': 'miss' } },
      {
        name: 'BATCH get',
        attributes: {
          ...common,
          'db.collection.name': '["tenant:1","product"]',
          'db.operation.name': 'BATCH get',
          'db.operation.batch.size': 3,
          'memjs_namespaces.outcome': 'miss',
          'memjs_namespaces.hits': 0,
        },
      },
      // A batch of one operation is that operation (the conventions never record a batch size of 1).
      {
        name: 'get',
        attributes: {
          ...common,
          'db.operation.name': 'get',
          'memjs_namespaces.outcome': 'hit',
          'memjs_namespaces.hits': 1,
        },
      },
      {
        name: 'BATCH set',
        attributes: {
          ...common,
          'db.operation.name': 'BATCH set',
          'db.operation.batch.size': 2,
          'memjs_namespaces.outcome': 'stored',
        },
      },
      {
        name: 'BATCH delete',
        attributes: {
          ...common,
          'db.operation.name': 'BATCH delete',
          'db.operation.batch.size': 2,
          'memjs_namespaces.outcome': 'deleted',
        },
      },
      {
        name: 'delete',
        attributes: { ...common, 'db.operation.name': 'delete', 'memjs_namespaces.outcome': 'deleted' },
      },
      {
        name: 'getOrSet',
        attributes: { ...common, 'db.operation.name': 'getOrSet', 'memjs_namespaces.outcome': 'loaded' },
      },
      {
        name: 'deleteNamespace',
        attributes: { ...common, 'db.operation.name': 'deleteNamespace', 'memjs_namespaces.outcome': 'cleared' },
      },
    ]);
    for (const span of exporter.getFinishedSpans()) {
      expect(span.kind).toBe(SpanKind.CLIENT);
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
      expect(span.instrumentationScope.name).toBe('memjs-namespaces');
    }
  });

  it('records keys only when asked, and namespaces unless asked not to', async () => {
    const prefix = randomPrefix();
    const cache = makeCache({ prefix });
    instrument({ recordKeys: true });
    await cache.get(['tenant:1', 'product'], 'alice@example.com');
    stop?.();
    instrument({ recordNamespaces: false });
    await cache.get(['tenant:1', 'product'], 'alice@example.com');

    const [withKey, withoutNamespace] = spansOf(prefix);
    expect(withKey?.attributes).toMatchObject({
      'memjs_namespaces.key': 'alice@example.com',
      'db.collection.name': '["tenant:1","product"]',
    });
    expect(withoutNamespace?.attributes).not.toHaveProperty('db.collection.name');
    expect(withoutNamespace?.attributes).not.toHaveProperty('memjs_namespaces.key');
  });

  it('marks failed calls with error.type and an error status, whether they failed open or rejected', async () => {
    const server = await privateMemcached();
    const prefix = randomPrefix();
    const cache = new NamespacedCache({ ...protocolOptions(), servers: server.servers, prefix, onError: () => {} });
    await server.kill();
    instrument();
    expect(await cache.get('product', 'guitar')).toBeUndefined();
    await expect(cache.deleteNamespace('product')).rejects.toMatchObject({ code: 'E_CONNECTION' });
    await expect(cache.get('product', 7 as unknown as string)).rejects.toThrow(TypeError);
    await cache.close();

    const spans = exporter.getFinishedSpans().filter((span) => span.attributes['db.namespace'] === prefix);
    expect(spans.map((span) => [span.name, span.attributes['error.type'], span.status.code])).toEqual([
      ['get', 'E_CONNECTION', SpanStatusCode.ERROR],
      ['deleteNamespace', 'E_CONNECTION', SpanStatusCode.ERROR],
      ['get', 'TypeError', SpanStatusCode.ERROR],
    ]);
    // A rejection is recorded as an exception event; a call that failed open has no error object.
    expect(spans.map((span) => span.events.map((event) => event.name))).toEqual([[], ['exception'], ['exception']]);
    expect(spans[1]?.events[0]?.attributes).toMatchObject({ 'exception.type': 'E_CONNECTION' });
  });

  it('makes each span a child of the span active where the call was made', async () => {
    instrument();
    const prefix = randomPrefix();
    const cache = makeCache({ prefix });
    const tracer = tracerProvider.getTracer('test');
    const parent = tracer.startSpan('handle request');
    await context.with(trace.setSpan(context.active(), parent), () => cache.get('product', 'guitar'));
    parent.end();

    const [child] = exporter.getFinishedSpans().filter((span) => span.attributes['db.namespace'] === prefix);
    expect(child?.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(child?.spanContext().traceId).toBe(parent.spanContext().traceId);
  });

  it('records db.client.operation.duration in seconds by operation, outcome and error type', async () => {
    const reader = instrument();
    const prefix = randomPrefix();
    const cache = makeCache({ prefix });
    await cache.get('product', 'guitar');
    await cache.get('product', 'guitar');
    await cache.set('product', 'guitar', 1);

    const { resourceMetrics } = await reader.collect();
    const metric = resourceMetrics.scopeMetrics
      .flatMap((scope) => scope.metrics)
      .find((candidate) => candidate.descriptor.name === 'db.client.operation.duration') as HistogramMetricData;
    expect(metric.descriptor.unit).toBe('s');
    const points = metric.dataPoints.filter((point) => point.attributes['db.namespace'] === prefix);
    expect(
      points.map((point) => [
        point.attributes['db.operation.name'],
        point.attributes['memjs_namespaces.outcome'],
        point.value.count,
      ]),
    ).toEqual([
      ['get', 'miss', 2],
      ['set', 'stored', 1],
    ]);
    for (const point of points) {
      expect(point.attributes['db.system.name']).toBe('memcached');
      expect(point.attributes).not.toHaveProperty('db.collection.name'); // namespaces are not bounded
      // A memcached call on this machine takes well under a second, and more than nothing.
      expect(point.value.sum).toBeGreaterThan(0);
      expect(point.value.sum).toBeLessThan(point.value.count);
    }
  });

  it('unsubscribes when stopped, leaving the channel without subscribers', async () => {
    instrument();
    expect(operationChannel.hasSubscribers).toBe(true);
    stop?.();
    stop = undefined;
    expect(operationChannel.hasSubscribers).toBe(false);
    const prefix = randomPrefix();
    await makeCache({ prefix }).get('product', 'guitar');
    expect(spansOf(prefix)).toEqual([]);
  });
});

describe('packaging of the OpenTelemetry bridge', () => {
  it('is a subpath export with an optional peer dependency; the core keeps two runtime dependencies', async () => {
    const { readFile } = await import('node:fs/promises');
    const manifest = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
    expect(Object.keys(manifest.dependencies).sort()).toEqual(['memjs', 'xxhash-wasm']);
    expect(manifest.exports['./otel']).toEqual({
      import: { types: './dist/otel/index.d.ts', default: './dist/otel/index.js' },
      require: { types: './dist/cjs/otel/index.d.ts', default: './dist/cjs/otel/index.js' },
    });
    expect(manifest.peerDependencies).toHaveProperty('@opentelemetry/api');
    expect(manifest.peerDependenciesMeta['@opentelemetry/api']).toEqual({ optional: true });
  });

  it('nothing outside src/otel imports it or @opentelemetry', async () => {
    const { readdir, readFile } = await import('node:fs/promises');
    const src = new URL('../src/', import.meta.url);
    const files = (await readdir(src, { recursive: true })).filter(
      (file) => file.endsWith('.ts') && !file.startsWith('otel'),
    );
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const text = await readFile(new URL(file, src), 'utf8');
      expect(text, file).not.toMatch(/from '[./]*\/?otel\/|from '@opentelemetry\//);
    }
  });
});
