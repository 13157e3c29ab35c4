// The public API. Every module re-exported here has its declarations shipped and read by consumers'
// TypeScript (skipLibCheck off, maybe without @types/node): tag internal exports of those modules
// `@internal` (the build strips them), so that no Node or transport type reaches the .d.ts.
// `npm run check:consumers` fails when one does.
export type { Entries } from './arguments.js';
export type {
  CacheEntry,
  FreshnessOptions,
  GetEntryOptions,
  GetOrSetOptions,
  InvalidateOptions,
  SetOptions,
  TagOptions,
  TagState,
} from './call-options.js';
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
} from './observability/channel.js';
export {
  type ChannelListener,
  type OperationChannel,
  type OperationEventChannel,
  type OperationSubscribers,
  operationChannel,
} from './observability/public-channel.js';
export type { CacheStats } from './observability/stats.js';
export type {
  ClientOption,
  CommonOptions,
  MemjsClientLike,
  NamespacedCacheOptions,
  Protocol,
  ServersOption,
  TlsOptions,
} from './options.js';
export { useConsistentHashing } from './pool.js';
export type { Loader, LoaderContext } from './read-through/loader.js';
export { MAX_TAG_LENGTH, MAX_TAGS } from './tags/limits.js';

declare global {
  /**
   * `LoaderContext.signal` is an `AbortSignal`, a global of Node's types and of the DOM's. This empty
   * declaration merges with either, and lets the declarations compile where neither is loaded.
   */
  interface AbortSignal {}
}
