import { CacheError, type CacheOperation } from '../errors.js';
import { type CacheDescription, type OperationContext, type OperationOutcome, operationChannel } from './channel.js';

/**
 * The context of the traced operation whose synchronous part is running, if any. Set only around
 * that synchronous part and restored after it, so it never outlives a call: an operation that wants
 * to write into its context (an outcome, an error code) reads it once, when it starts, with
 * {@link currentOperation}, and keeps it in its closures.
 */
let current: OperationContext | undefined;

/**
 * The trace context of the operation that is starting, or `undefined` when nobody subscribes to the
 * channel (then nothing is to be recorded). Read it synchronously at the start of the operation.
 */
export function currentOperation(): OperationContext | undefined {
  return current;
}

/** Records that a `getOrSet` left or found a failure marker. */
export function recordFailureMarker(context: OperationContext | undefined, marker: 'left' | 'seen'): void {
  if (context === undefined) return;
  try {
    context.failureMarker = marker;
  } catch {
    // See FROZEN below.
  }
}

/** Records on a context the outcome an operation decided, unless it ended otherwise already. */
export function setOutcome(context: OperationContext | undefined, outcome: OperationOutcome): void {
  if (context === undefined) return;
  try {
    if (context.outcome === undefined) context.outcome = outcome;
  } catch {
    // See FROZEN below: the read is guarded too.
  }
}

/** Records an outcome that replaces any recorded before (a stale value served after a failed load). */
export function forceOutcome(context: OperationContext | undefined, outcome: OperationOutcome): void {
  if (context === undefined) return;
  try {
    context.outcome = outcome;
  } catch {
    // See FROZEN below.
  }
}

/*
 * FROZEN: a subscriber may freeze or seal a context it was given, or replace a field with an
 * accessor that throws. What it then misses is its own doing, and must never break the call: every
 * write to a context, and every read of a field a subscriber can replace, is guarded. Each guard is a named
 * property store (a generic `context[field] = value` helper made each store megamorphic and cost a
 * subscribed call ~1.5 µs more).
 */

/**
 * Publishes one call on the tracing channel, as `TracingChannel.tracePromise` does (`start` around the
 * synchronous part, then `end`; `asyncStart` and `asyncEnd` when the promise settles, after `error`
 * if it rejects), with one promise reaction instead of two: the outcome is filled in in the same
 * reaction, before `asyncStart`. `run` starts the call with `call` wrapped so that the call's
 * synchronous part sees its context in {@link currentOperation}.
 */
export function traceOperation<O, T>(
  context: OperationContext,
  run: (call: (operations: O) => Promise<T>) => Promise<T>,
  call: (operations: O) => Promise<T>,
): Promise<T> {
  const within = (operations: O): Promise<T> => {
    const outer = current;
    current = context;
    try {
      return call(operations);
    } finally {
      current = outer;
    }
  };
  const resolved = (result: T): T => {
    try {
      context.result = result;
      if (context.outcome === undefined) context.outcome = outcomeOf(context, result);
    } catch {
      // FROZEN
    }
    operationChannel.asyncStart.publish(context);
    operationChannel.asyncEnd.publish(context);
    return result;
  };
  const rejected = (error: unknown): never => {
    failed(context, error);
    operationChannel.asyncStart.publish(context);
    operationChannel.asyncEnd.publish(context);
    throw error;
  };
  return operationChannel.start.runStores(context, () => {
    try {
      return run(within).then(resolved, rejected);
    } catch (error) {
      failed(context, error);
      throw error;
    } finally {
      operationChannel.end.publish(context);
    }
  });
}

/** Records a failure on the context and publishes it on the `error` channel. */
function failed(context: OperationContext, error: unknown): void {
  try {
    context.error = error;
    context.outcome = 'error';
    if (error instanceof CacheError) context.errorCode = error.code;
  } catch {
    // FROZEN
  }
  operationChannel.error.publish(context);
}

/**
 * A new context for a call. Only what can be read without running user code is taken from the
 * arguments (a string namespace, a string key): a path array or a key list is read by the
 * operation, once, when it checks it, and the operation records what it read
 * ({@link recordNamespace}, {@link recordKeyCount}), so a getter or a hole cannot make the trace
 * disagree with the call, nor turn a rejection into a throw.
 */
export function operationContext(
  cache: CacheDescription,
  operation: CacheOperation,
  namespace: unknown,
  key: unknown,
): OperationContext {
  // Every field present from the start, in one order: all contexts share one hidden class, and
  // filling in the outcome later does not change it.
  return {
    operation,
    namespace: typeof namespace === 'string' ? Object.freeze([namespace]) : EMPTY_PATH,
    key: typeof key === 'string' ? key : undefined,
    keyCount: undefined,
    cache,
    outcome: undefined,
    errorCode: undefined,
    hits: undefined,
    failureMarker: undefined,
    result: undefined,
    error: undefined,
  };
}

const EMPTY_PATH: readonly string[] = Object.freeze([]);

/** Records the namespace path the running operation checked (a frozen copy). */
export function recordNamespace(context: OperationContext | undefined, path: readonly string[]): void {
  if (context === undefined) return;
  try {
    (context as { namespace: readonly string[] }).namespace = path;
  } catch {
    // FROZEN
  }
}

/** Records how many distinct keys the running batch operation checked. */
export function recordKeyCount(context: OperationContext | undefined, count: number): void {
  if (context === undefined) return;
  try {
    (context as { keyCount?: number }).keyCount = count;
  } catch {
    // FROZEN
  }
}

/** The outcome of a call that resolved, unless the operation recorded one itself. */
function outcomeOf(context: OperationContext, result: unknown): OperationOutcome {
  if (context.errorCode !== undefined) return 'error';
  switch (context.operation) {
    case 'get':
      return result === undefined ? 'miss' : 'hit';
    case 'getMulti': {
      const hits = result instanceof Map ? result.size : 0;
      try {
        context.hits = hits;
      } catch {
        // FROZEN
      }
      return hits === 0 ? 'miss' : hits === context.keyCount ? 'hit' : 'partial';
    }
    case 'set':
    case 'setMulti':
      return result === true ? 'stored' : 'error';
    case 'delete':
      return result === true ? 'deleted' : 'not-found';
    case 'deleteMulti':
      return typeof result === 'number' && result > 0 ? 'deleted' : 'not-found';
    case 'deleteNamespace':
      return 'cleared';
    case 'invalidateTags':
      return 'invalidated';
    case 'getEntry':
      return result === undefined ? 'miss' : (result as { state?: unknown }).state === 'stale' ? 'stale' : 'hit';
    default:
      // getOrSet: 'loaded' or 'stale' are recorded by the operation; anything else came from the cache.
      return 'hit';
  }
}

/**
 * What the channel context says about a cache: its prefix, servers, and the protocol its
 * connections speak (read when asked: the default detects it per connection).
 */
export function describeCache(
  prefix: string,
  servers: readonly { readonly host: string; readonly port: number }[],
  protocol: () => CacheDescription['protocol'],
  tls: boolean,
): CacheDescription {
  return Object.freeze({
    prefix,
    servers: Object.freeze(servers.map(({ host, port }) => Object.freeze({ host, port }))),
    get protocol() {
      return protocol();
    },
    tls,
  });
}

/** Records on a context the error a call failed with, when it fails open (a rejection is recorded anyway). */
export function recordError(context: OperationContext | undefined, error: CacheError): void {
  if (context === undefined) return;
  try {
    context.errorCode = error.code;
  } catch {
    // FROZEN
  }
}
