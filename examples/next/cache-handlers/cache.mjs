// One cache for both handlers of this process. The app imports the handlers as built from this
// repository (`npm run build`); an app of yours imports 'memjs-namespaces/next'.
import { NamespacedCache } from '../../../dist/index.js';

export const cache = new NamespacedCache({
  servers: process.env.MEMCACHED_SERVERS ?? '127.0.0.1:11211',
  prefix: process.env.NEXT_CACHE_PREFIX ?? 'next-example',
  compression: true,
  // Fail open fast: a page waits at most about this long (seconds) for memcached.
  timeout: 0.5,
  onError: (error) => console.warn(`[memcached] ${error.code}: ${error.message}`),
});
