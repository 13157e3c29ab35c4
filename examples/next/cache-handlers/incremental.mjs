// cacheHandler: ISR pages, route handlers and the fetch cache on memcached.
import { createIncrementalCacheHandler } from '../../../dist/next/index.js';
import { cache } from './cache.mjs';

export default createIncrementalCacheHandler(cache);
