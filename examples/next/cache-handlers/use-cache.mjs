// cacheHandlers.default and cacheHandlers.remote: 'use cache' on memcached.
import { createCacheHandler } from '../../../dist/next/index.js';
import { cache } from './cache.mjs';

export default createCacheHandler(cache);
