/**
 * Stable codes of {@link CacheError}. Match on `error.code`, never on the message.
 *
 * - `E_TIMEOUT`: the operation's deadline (`timeout`) passed before memcached answered.
 * - `E_CONNECTION`: the connection failed, was refused or was closed by the server.
 * - `E_SERVER`: memcached answered with an error status (out of memory, unknown command, …).
 * - `E_PROTOCOL`: the peer sent bytes that are not a memcached reply to the request (not memcached,
 *   or a corrupted stream); the connection is reset.
 * - `E_VALUE_TOO_LARGE`: memcached refused the item as larger than its item size limit (1 MB by default).
 * - `E_STALE_VALUE`: a write failed and the older value under that key could not be deleted either,
 *   so it may still be served until it expires.
 * - `E_CORRUPT_VALUE`: the stored bytes are not a value this library wrote; the read counts as a miss.
 * - `E_TOKEN`: the namespace's generation token could not be resolved.
 * - `E_TAG`: a tag record could not be created or invalidated (it kept changing or vanishing).
 * - `E_LOADER`: a `getOrSet` loader failed where nobody could be told by a rejection (a background
 *   refresh), or a stale value was served instead (`staleIfError`); the loader's error is the `cause`.
 * - `E_LOCK_EXPIRED`: told to `onError` when a loader's fleet lock was lost (evicted, deleted, or
 *   not renewed for `lockTtl`) or released because the loader ran past `lockWait`: the load goes on
 *   and its callers get its value, but others may be loading too.
 * - `E_CLOSED`: the cache was closed.
 */
export type CacheErrorCode =
  | 'E_TIMEOUT'
  | 'E_CONNECTION'
  | 'E_SERVER'
  | 'E_PROTOCOL'
  | 'E_VALUE_TOO_LARGE'
  | 'E_STALE_VALUE'
  | 'E_CORRUPT_VALUE'
  | 'E_TOKEN'
  | 'E_TAG'
  | 'E_LOADER'
  | 'E_LOCK_EXPIRED'
  | 'E_CLOSED';

/** The public operation an error belongs to. */
export type CacheOperation =
  | 'get'
  | 'set'
  | 'delete'
  | 'deleteNamespace'
  | 'getMulti'
  | 'setMulti'
  | 'deleteMulti'
  | 'getOrSet'
  | 'getEntry'
  | 'invalidateTags'
  | 'getTagStates'
  | 'close';

/**
 * Every failure that comes from memcached or the connection to it. Reads and writes hand these to
 * `onError` when they fail open; invalidations (`delete`, `deleteNamespace`) and, with
 * `failOpen: false`, every operation reject with them. The memjs or socket error, when there is one,
 * is the `cause`.
 */
export class CacheError extends Error {
  override readonly name = 'CacheError';
  /** What went wrong; see {@link CacheErrorCode}. */
  readonly code: CacheErrorCode;
  /** The public operation that failed; set on every error the cache reports or throws. */
  readonly operation: CacheOperation | undefined;

  /**
   * @param code - a stable {@link CacheErrorCode}.
   * @param message - what happened, for people.
   * @param options - `cause`: the underlying error; `operation`: the public operation.
   */
  constructor(code: CacheErrorCode, message: string, options: { cause?: unknown; operation?: CacheOperation } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.operation = options.operation;
  }
}

/** @internal Wraps anything thrown by memjs or a socket into a {@link CacheError}, keeping CacheErrors as they are. */
export function toCacheError(error: unknown): CacheError {
  if (error instanceof CacheError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new CacheError('E_CONNECTION', `memcached connection failed: ${message}`, { cause: error });
}
