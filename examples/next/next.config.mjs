// The example app's Next config: both cache handlers on memcached (see README, "Next.js").
import { fileURLToPath } from 'node:url';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

/** @type {import('next').NextConfig} */
export default {
  // 'use cache', cacheTag, cacheLife and updateTag need Cache Components (Next 16).
  cacheComponents: true,
  // The incremental cache: ISR pages, route handlers, the fetch cache.
  cacheHandler: here('./cache-handlers/incremental.mjs'),
  // No in-process copy in front of memcached: every instance reads the shared cache.
  cacheMaxMemorySize: 0,
  // 'use cache' and 'use cache: remote'.
  cacheHandlers: {
    default: here('./cache-handlers/use-cache.mjs'),
    remote: here('./cache-handlers/use-cache.mjs'),
  },
  // The repository is the workspace root (one package-lock.json).
  turbopack: { root: here('../..') },
  outputFileTracingRoot: here('../..'),
};
