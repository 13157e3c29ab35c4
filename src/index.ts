export type { Entries } from './arguments.js';
export type { Storable, StorableLoad, Unstorable } from './codec.js';
export { CacheError, type CacheErrorCode, type CacheOperation } from './errors.js';
export { NamespaceHandle } from './namespace-handle.js';
export { NamespacedCache } from './namespaced-cache.js';
export type { Namespace } from './namespaces.js';
export {
  type CacheDescription,
  OPERATION_CHANNEL,
  type OperationContext,
  type OperationOutcome,
  operationChannel,
} from './observability/channel.js';
export type { CacheStats } from './observability/stats.js';
export type {
  ClientOption,
  CommonOptions,
  FreshnessOptions,
  GetOrSetOptions,
  MemjsClientLike,
  NamespacedCacheOptions,
  ServersOption,
  SetOptions,
} from './options.js';
export { useConsistentHashing } from './pool.js';
export type { Loader, LoaderContext } from './read-through/loader.js';
