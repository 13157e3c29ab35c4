export {
  createIncrementalCacheHandler,
  type IncrementalCacheContext,
  type IncrementalCacheControl,
  type IncrementalCacheHandler,
  type IncrementalCacheValue,
} from './incremental-handler.js';
export type { TagDurations } from './invalidation.js';
export type { IncrementalHandlerOptions, NextHandlerOptions } from './options.js';
export type { UseCacheEntry } from './use-cache-entry.js';
export { createCacheHandler, type UseCacheHandler } from './use-cache-handler.js';
