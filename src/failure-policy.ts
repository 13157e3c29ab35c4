import { CacheError, type CacheOperation } from './errors.js';
import type { Stats } from './observability/stats.js';
import { Status, statusName } from './protocol.js';

/**
 * DESIGN §6: reads and writes fail open (a miss or `false`, and `onError`); invalidations always
 * reject; `failOpen: false` makes reads and writes reject too.
 */
export class FailurePolicy {
  /**
   * @param failOpen - the `failOpen` option.
   * @param onError - the `onError` option.
   * @param stats - counts every error reported or thrown, by code.
   */
  constructor(
    readonly failOpen: boolean,
    private readonly onError: (error: CacheError) => void,
    private readonly stats: Stats,
  ) {}

  /** A failed read or write: report it and resolve `fallback`, or reject with `failOpen: false`. */
  fail<T>(
    operation: CacheOperation,
    error: CacheError,
    fallback: T,
    resolve: (value: T) => void,
    reject: (error: CacheError) => void,
  ): void {
    const reported = withOperation(error, operation);
    if (this.failOpen) {
      this.report(reported);
      resolve(fallback);
    } else {
      reject(this.stats.error(reported));
    }
  }

  /** Tells `onError` about an error the cache swallows. */
  report(error: CacheError): void {
    this.stats.error(error);
    try {
      this.onError(error);
    } catch (thrown) {
      // A throwing onError must not break the cache or turn a fail-open read into a crash.
      process.emitWarning(`memjs-namespaces: onError threw: ${String(thrown)}`, { code: 'MEMJS_NAMESPACES_ONERROR' });
    }
  }

  /** The error an invalidation rejects with: counted, and naming the public operation. */
  thrown(error: CacheError, operation: CacheOperation): CacheError {
    return this.stats.error(withOperation(error, operation));
  }
}

/** A copy of an error that names the public operation (transport errors are shared by requests). */
export function withOperation(error: CacheError, operation: CacheOperation): CacheError {
  return new CacheError(error.code, error.message, { cause: error.cause, operation });
}

/** memcached answered a request with an error status. */
export function serverError(what: string, status: number): CacheError {
  return new CacheError('E_SERVER', `memcached refused the ${what}: ${statusName(status)}`);
}

/** memcached refused to store a value. */
export function refusedWrite(status: number): CacheError {
  if (status === Status.TooLarge) {
    return new CacheError(
      'E_VALUE_TOO_LARGE',
      'memcached refused the value as too large (its item size limit, 1 MB by default, is set with -I)',
    );
  }
  return serverError('write', status);
}
