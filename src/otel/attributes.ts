import type { Attributes } from '@opentelemetry/api';
import type { CacheOperation, OperationContext } from '../index.js';

/**
 * The OpenTelemetry database semantic conventions applied to the operation channel's contexts.
 * memcached is `db.system.name = "memcached"`; the cache's `prefix` plays the part of the database
 * (`db.namespace`) and the namespace path that of the collection (`db.collection.name`).
 */

/** `db.operation.name` of each public operation run on one key (batch calls add `BATCH `). */
const OPERATION_NAMES: Readonly<Record<CacheOperation, string>> = {
  get: 'get',
  set: 'set',
  delete: 'delete',
  deleteNamespace: 'deleteNamespace',
  getMulti: 'get',
  setMulti: 'set',
  deleteMulti: 'delete',
  getOrSet: 'getOrSet',
  getEntry: 'get',
  invalidateTags: 'invalidateTags',
  getTagStates: 'getTagStates',
  close: 'close',
};

const BATCH_OPERATIONS: ReadonlySet<CacheOperation> = new Set(['getMulti', 'setMulti', 'deleteMulti']);

/** What the bridge may record beyond the conventions' defaults. */
export interface AttributeOptions {
  readonly recordKeys: boolean;
  readonly recordNamespaces: boolean;
}

/**
 * `db.operation.name`. A batch call sends one memcached request per key, pipelined: the conventions
 * call that a batch (`BATCH get`) unless it holds exactly one operation, which is modelled as that
 * operation.
 */
export function operationName(context: OperationContext): string {
  const name = OPERATION_NAMES[context.operation];
  return BATCH_OPERATIONS.has(context.operation) && context.keyCount !== 1 ? `BATCH ${name}` : name;
}

/** The attributes that come from the call's checked arguments: batch size, namespace, key. */
export function startAttributes(context: OperationContext, options: AttributeOptions): Attributes {
  const attributes = commonAttributes(context);
  if (BATCH_OPERATIONS.has(context.operation) && context.keyCount !== undefined && context.keyCount !== 1) {
    attributes['db.operation.batch.size'] = context.keyCount;
  }
  if (options.recordNamespaces) attributes['db.collection.name'] = collectionName(context.namespace);
  if (options.recordKeys && context.key !== undefined) attributes['memjs_namespaces.key'] = context.key;
  return attributes;
}

/**
 * The low-cardinality attributes shared by the span and the `db.client.operation.duration`
 * histogram. The server is known only for a one-server cache: in a pool each key has its own.
 */
export function commonAttributes(context: OperationContext): Attributes {
  const attributes: Attributes = {
    'db.system.name': 'memcached',
    'db.operation.name': operationName(context),
    'db.namespace': context.cache.prefix,
    'network.protocol.name': `memcached-${context.cache.protocol}`,
  };
  const servers = context.cache.servers;
  if (servers.length === 1) {
    attributes['server.address'] = servers[0]?.host;
    attributes['server.port'] = servers[0]?.port;
  }
  return attributes;
}

/**
 * `error.type` of a failed call: the `CacheError` code (also for calls that failed open), else the
 * name of what was thrown (`TypeError` for bad arguments); `undefined` when the call succeeded.
 */
export function errorType(context: OperationContext): string | undefined {
  if (context.errorCode !== undefined) return context.errorCode;
  if (context.outcome !== 'error') return undefined;
  return context.error instanceof Error ? context.error.name : '_OTHER';
}

/** A one-level namespace as it is; a path as JSON, so that `['a', 'b']` and `'a:b'` stay apart. */
function collectionName(path: readonly string[]): string {
  return path.length === 1 ? (path[0] as string) : JSON.stringify(path);
}
