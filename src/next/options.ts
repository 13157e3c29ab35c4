import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CacheError, NamespacedCache, type NamespacedCacheOptions } from '../index.js';

/** Options of the Next.js handlers themselves (the cache's options are separate). */
export interface NextHandlerOptions {
  /**
   * The cache namespace holding the entries and tag records. The cache's `prefix` keeps apps apart.
   * @default 'next'
   */
  readonly namespace?: string;
  /**
   * Told about failures that are not memcached's, as `CacheError`s with a code: a `'use cache'`
   * stream that errored before it ended (`E_LOADER`), an entry this handler did not write
   * (`E_CORRUPT_VALUE`), more
   * tags than the cache checks (`E_TAG`), an older entry that could not be deleted
   * (`E_STALE_VALUE`). memcached's own failures go to the cache's `onError` and its tracing channel.
   * @default the `onError` of the cache options, when the handler is given options and creates the
   *   cache; a no-op when it is given a cache (that cache's `onError` is not called for these)
   */
  readonly onError?: (error: CacheError) => void;
}

/** Options of the incremental handler: those of both handlers, and the build. */
export interface IncrementalHandlerOptions extends NextHandlerOptions {
  /**
   * The build the entries belong to. Next's incremental cache keys carry no build id, so without it
   * a new deploy would be served the previous build's pages. Entries of other builds are never
   * read; tags are shared by every build of the app, so a `revalidateTag` reaches old and new pods
   * alike during a rolling deploy. (`'use cache'` keys need none: Next puts the build id, or a
   * hash of the function's code, in them.)
   * @default the `BUILD_ID` file `next build` wrote next to the server directory Next gives the
   *   handler (`.next/BUILD_ID`)
   */
  readonly buildId?: string;
}

/** @internal What a handler works with, resolved once. */
export interface HandlerContext {
  readonly cache: NamespacedCache;
  readonly namespace: string;
  readonly onError: (error: CacheError) => void;
}

/**
 * @internal The cache (passed in, or created from options) and the handler's resolved options.
 * @throws TypeError for an invalid option.
 */
export function resolveHandlerContext(
  optionsOrCache: NamespacedCache | NamespacedCacheOptions = {},
  options: NextHandlerOptions = {},
): HandlerContext {
  const given = isCache(optionsOrCache);
  const cache = given
    ? optionsOrCache
    : new NamespacedCache({ compression: true, ...optionsOrCache } as NamespacedCacheOptions);
  const namespace = options.namespace ?? 'next';
  if (typeof namespace !== 'string' || namespace === '') {
    throw new TypeError(`Expected \`namespace\` to be a non-empty string, got ${String(namespace)}`);
  }
  const onError = options.onError ?? (given ? undefined : optionsOrCache.onError) ?? noop;
  if (typeof onError !== 'function')
    throw new TypeError(`Expected \`onError\` to be a function, got ${typeof onError}`);
  return { cache, namespace, onError: onError as (error: CacheError) => void };
}

/** Told apart by shape, not instanceof: a cache from the package's other build (ESM or CJS) is a cache too. */
function isCache(cache: NamespacedCache | NamespacedCacheOptions): cache is NamespacedCache {
  return typeof (cache as Partial<NamespacedCache>).deleteNamespace === 'function';
}

/**
 * @internal The build id `next build` wrote to `<distDir>/BUILD_ID`, next to the `serverDistDir`
 * (`<distDir>/server`) Next passes the incremental handler; else `.next/BUILD_ID` under the working
 * directory; else `''`.
 */
export function buildIdNear(serverDistDir: unknown): string {
  const candidates = [typeof serverDistDir === 'string' ? join(serverDistDir, '..', 'BUILD_ID') : undefined];
  candidates.push(join(process.cwd(), '.next', 'BUILD_ID'));
  for (const file of candidates) {
    if (file === undefined) continue;
    try {
      return readFileSync(file, 'utf8').trim();
    } catch {
      // Not there: the next candidate.
    }
  }
  return '';
}

/** @internal An explicit `buildId`, checked. */
export function checkBuildId(buildId: unknown): string | undefined {
  if (buildId !== undefined && typeof buildId !== 'string') {
    throw new TypeError(`Expected \`buildId\` to be a string, got ${typeof buildId}`);
  }
  return buildId;
}

function noop(): void {}
