import {
  type Histogram,
  type MeterProvider,
  metrics,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { type OperationContext, operationChannel } from '../index.js';
import { type AttributeOptions, commonAttributes, errorType, operationName, startAttributes } from './attributes.js';

/** Options of {@link instrumentOpenTelemetry}. All are optional. */
export interface OpenTelemetryOptions {
  /**
   * Where spans go.
   * @default the global tracer provider (`trace.getTracerProvider()`)
   */
  readonly tracerProvider?: TracerProvider;
  /**
   * Where the `db.client.operation.duration` histogram goes.
   * @default the global meter provider (`metrics.getMeterProvider()`)
   */
  readonly meterProvider?: MeterProvider;
  /**
   * Record the key of single-key calls as `memjs_namespaces.key`. Keys are often personal data (user
   * ids, e-mail addresses): turn this on only where that is acceptable.
   * @default false
   */
  readonly recordKeys?: boolean;
  /**
   * Record the namespace path as `db.collection.name`. Turn it off when namespaces hold personal data
   * (a namespace per user).
   * @default true
   */
  readonly recordNamespaces?: boolean;
}

/** The name of the tracer and meter, as the conventions ask: the instrumentation's package. */
const SCOPE = 'memjs-namespaces';

/** Bucket boundaries (seconds) the database metric conventions advise for operation durations. */
const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];

interface InFlight {
  readonly span: Span;
  readonly startedAt: number;
}

/**
 * Records every operation of every cache in this process as an OpenTelemetry `CLIENT` span named by
 * `db.operation.name`, following the database semantic conventions, and its duration in the
 * `db.client.operation.duration` histogram. It subscribes to the `memjs-namespaces:operation` tracing
 * channel: calls made while it is subscribed are recorded, and the cache pays nothing when it is not.
 *
 * Keys are never recorded unless `recordKeys` is set. The span of a call that failed (even one that
 * failed open and resolved a miss) has `error.type` set to the `CacheError` code and an error status.
 *
 * @returns a function that unsubscribes (calls in flight then end unrecorded).
 *
 * @example
 * ```ts
 * import { instrumentOpenTelemetry } from 'memjs-namespaces/otel';
 * const stop = instrumentOpenTelemetry(); // the global tracer and meter providers
 * ```
 */
export function instrumentOpenTelemetry(options: OpenTelemetryOptions = {}): () => void {
  const tracer: Tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE);
  const duration: Histogram = (options.meterProvider ?? metrics.getMeterProvider())
    .getMeter(SCOPE)
    .createHistogram('db.client.operation.duration', {
      description: 'Duration of database client operations.',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    });
  const attributeOptions: AttributeOptions = {
    recordKeys: options.recordKeys ?? false,
    recordNamespaces: options.recordNamespaces ?? true,
  };
  const inFlight = new WeakMap<OperationContext, InFlight>();

  const finish = (context: OperationContext): void => {
    const call = inFlight.get(context);
    if (call === undefined) return; // started before the subscription
    inFlight.delete(context);
    const { span, startedAt } = call;
    // The call has checked its arguments by now: the namespace path and the key count are known
    // (read once, by the call itself), and with them the span's name. Not at `end`: a call made
    // before the hash functions loaded runs later than its synchronous part.
    span.updateName(operationName(context));
    span.setAttributes(startAttributes(context, attributeOptions));
    const error = errorType(context);
    if (context.outcome !== undefined) span.setAttribute('memjs_namespaces.outcome', context.outcome);
    if (context.hits !== undefined) span.setAttribute('memjs_namespaces.hits', context.hits);
    if (context.failureMarker !== undefined)
      span.setAttribute('memjs_namespaces.failure_marker', context.failureMarker);
    if (error !== undefined) {
      span.setAttribute('error.type', error);
      if (context.error instanceof Error) span.recordException(context.error);
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: context.error instanceof Error ? context.error.message : error,
      });
    }
    span.end();
    const attributes = commonAttributes(context);
    if (error !== undefined) attributes['error.type'] = error;
    if (context.outcome !== undefined) attributes['memjs_namespaces.outcome'] = context.outcome;
    duration.record((performance.now() - startedAt) / 1000, attributes);
  };

  const start = (message: unknown): void => {
    const context = message as OperationContext;
    // Published synchronously in the caller: the active context is the caller's, the span's parent.
    const span = tracer.startSpan(operationName(context), {
      kind: SpanKind.CLIENT,
      attributes: commonAttributes(context),
    });
    inFlight.set(context, { span, startedAt: performance.now() });
  };
  const end = (message: unknown): void => {
    const context = message as OperationContext;
    // A call that threw synchronously gets no asyncEnd; a call that returned a promise has no error yet.
    if (context.error !== undefined) finish(context);
  };
  const asyncEnd = (message: unknown): void => finish(message as OperationContext);

  operationChannel.start.subscribe(start);
  operationChannel.end.subscribe(end);
  operationChannel.asyncEnd.subscribe(asyncEnd);
  return () => {
    operationChannel.start.unsubscribe(start);
    operationChannel.end.unsubscribe(end);
    operationChannel.asyncEnd.unsubscribe(asyncEnd);
  };
}
