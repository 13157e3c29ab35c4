import { checkKey, ttlOf } from './arguments.js';
import { type CacheValue, decodeValue, encodeValue, UNDECODABLE } from './codec.js';
import { CacheError, type CacheOperation } from './errors.js';
import { toExpiry } from './expiry.js';
import { type Hasher, loadedHasher, loadHasher } from './hash.js';
import { KeySpace } from './keys.js';
import { checkMemjsClient, createMemjsClient, type MemjsClient } from './memjs-client.js';
import { type Namespace, type NamespaceState, Namespaces } from './namespaces.js';
import { type NamespacedCacheOptions, resolveOptions, type SetOptions, type Settings } from './options.js';
import { Opcode, Status, statusName } from './protocol.js';
import { Tokens } from './tokens.js';
import { now, Transport } from './transport.js';

type HeadCallback = (error: CacheError | undefined, head: string) => void;

/** What needs the hash functions, which load asynchronously once per process. */
interface Core {
  readonly keys: KeySpace;
  readonly namespaces: Namespaces;
  readonly tokens: Tokens;
}

/**
 * A memcached cache whose keys live in namespaces that can be cleared in one write.
 *
 * Every namespace has a generation token stored in memcached and resolved into each of its keys;
 * {@link NamespacedCache.deleteNamespace} replaces the token, so every key written under the old
 * one becomes unreachable at once (memcached's LRU reclaims them). See the README for the key
 * layout and the guarantees.
 *
 * @example
 * ```ts
 * const cache = new NamespacedCache({ servers: 'localhost:11211', prefix: 'shop' });
 * await cache.set('product', 'guitar', { price: 5000 });
 * await cache.get('product', 'guitar'); // { price: 5000 }
 * await cache.deleteNamespace('product');
 * await cache.get('product', 'guitar'); // undefined
 * ```
 */
export class NamespacedCache {
  private readonly settings: Settings;
  private readonly client: MemjsClient;
  private readonly ownsClient: boolean;
  private readonly transport: Transport;
  private core: Core | undefined;
  private readonly ready: Promise<Core>;
  private closing: Promise<void> | undefined;

  /**
   * @param options - see {@link NamespacedCacheOptions}; every option is optional.
   * @throws TypeError or RangeError when an option is invalid.
   */
  constructor(options: NamespacedCacheOptions = {}) {
    this.settings = resolveOptions(options);
    const { client, servers } = this.settings;
    this.ownsClient = client === undefined;
    this.client = client === undefined ? createMemjsClient(servers) : checkMemjsClient(client);
    this.transport = new Transport(this.client, this.settings.timeoutMs);
    const hasher = loadedHasher();
    if (hasher !== undefined) {
      this.core = this.makeCore(hasher);
      this.ready = Promise.resolve(this.core);
    } else {
      this.ready = loadHasher().then((loaded) => {
        this.core ??= this.makeCore(loaded);
        return this.core;
      });
    }
  }

  private makeCore(hasher: Hasher): Core {
    const keys = new KeySpace(this.settings.prefix, hasher);
    return {
      keys,
      namespaces: new Namespaces(keys),
      tokens: new Tokens(this.transport, hasher, this.settings.tokenTtl),
    };
  }

  /**
   * Reads a value. Resolves `undefined` on a miss, and (fail-open) when memcached fails, after
   * telling `onError`.
   *
   * @param namespace - a string or a path such as `['tenant:42', 'products']`.
   * @param key - any string.
   */
  get<T = unknown>(namespace: Namespace, key: string): Promise<T | undefined> {
    const core = this.core;
    if (core === undefined || this.closing !== undefined) return this.later('get', () => this.get<T>(namespace, key));
    let state: NamespaceState;
    let keyHash: string;
    try {
      state = core.namespaces.of(namespace);
      keyHash = core.keys.keyHash(checkKey(key));
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<T | undefined>((resolve, reject) => {
      const deadline = now() + this.settings.timeoutMs;
      const fail = (error: CacheError): void => this.failOpen('get', error, undefined, resolve, reject);
      this.resolveHead(core, state, deadline, (error, head) => {
        if (error !== undefined) return fail(error);
        this.transport.get(head + keyHash, deadline, (error, status, value) => {
          if (error !== undefined) return fail(error);
          if (status === Status.NotFound) return resolve(undefined);
          if (status !== Status.Ok) return fail(serverError('read', status));
          resolve(this.decode('get', value) as T | undefined);
        });
      });
    });
  }

  /**
   * Writes a value under the namespace's current generation. Resolves `true` when memcached stored
   * it; `false` (fail-open, after telling `onError`) when it could not. A value memcached refuses
   * (too large) never leaves an older value readable: the key is deleted, or an `E_STALE_VALUE`
   * error says it could not be.
   *
   * The token is resolved when the write is sent: a `set` racing a `deleteNamespace` may land in
   * either generation. {@link getOrSet} pins the token before loading instead.
   *
   * @throws TypeError for a value that cannot round-trip (`undefined`, functions, BigInt, cycles,
   *   Maps, class instances) and RangeError for a bad `ttl`, before anything is sent.
   */
  set(namespace: Namespace, key: string, value: CacheValue, options?: SetOptions): Promise<boolean> {
    const core = this.core;
    if (core === undefined || this.closing !== undefined) {
      return this.later('set', () => this.set(namespace, key, value, options));
    }
    let state: NamespaceState;
    let keyHash: string;
    let bytes: Buffer;
    let expiry: number;
    try {
      state = core.namespaces.of(namespace);
      keyHash = core.keys.keyHash(checkKey(key));
      bytes = encodeValue(value);
      expiry = toExpiry(ttlOf(options, this.settings.ttl));
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<boolean>((resolve, reject) => {
      const deadline = now() + this.settings.timeoutMs;
      const fail = (error: CacheError): void => this.failOpen('set', error, false, resolve, reject);
      this.resolveHead(core, state, deadline, (error, head) => {
        if (error !== undefined) return fail(error);
        const dataKey = head + keyHash;
        this.transport.store(Opcode.Set, dataKey, bytes, expiry, deadline, (error, status) => {
          if (error !== undefined) return fail(error);
          if (status === Status.Ok) return resolve(true);
          this.removeStale(dataKey, deadline, refusedWrite(status), fail);
        });
      });
    });
  }

  /**
   * Deletes a key from the namespace's current generation. Resolves whether it existed.
   *
   * @throws CacheError (rejects) when memcached fails: an invalidation never fails silently.
   */
  delete(namespace: Namespace, key: string): Promise<boolean> {
    const core = this.core;
    if (core === undefined || this.closing !== undefined)
      return this.later('delete', () => this.delete(namespace, key));
    let state: NamespaceState;
    let keyHash: string;
    try {
      state = core.namespaces.of(namespace);
      keyHash = core.keys.keyHash(checkKey(key));
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<boolean>((resolve, reject) => {
      const deadline = now() + this.settings.timeoutMs;
      const fail = (error: CacheError): void => reject(withOperation(error, 'delete'));
      this.resolveHead(core, state, deadline, (error, head) => {
        if (error !== undefined) return fail(error);
        this.transport.delete(head + keyHash, deadline, (error, status) => {
          if (error !== undefined) return fail(error);
          if (status === Status.Ok || status === Status.NotFound) return resolve(status === Status.Ok);
          fail(serverError('delete', status));
        });
      });
    });
  }

  /**
   * Clears a namespace and every namespace below it (`['tenant:42']` clears
   * `['tenant:42', 'products']`) with one write: its token is replaced, so every key written under
   * the old one becomes unreachable. Reads that start after this resolves, in any process, never
   * see the old values.
   *
   * @throws CacheError (rejects) when memcached did not acknowledge the write.
   */
  deleteNamespace(namespace: Namespace): Promise<void> {
    const core = this.core;
    if (core === undefined || this.closing !== undefined) {
      return this.later('deleteNamespace', () => this.deleteNamespace(namespace));
    }
    let state: NamespaceState;
    try {
      state = core.namespaces.of(namespace);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<void>((resolve, reject) => {
      const level = state.levels[state.levels.length - 1];
      core.tokens.rotate(level as NonNullable<typeof level>, now() + this.settings.timeoutMs, (error) => {
        if (error !== undefined) reject(withOperation(error, 'deleteNamespace'));
        else resolve();
      });
    });
  }

  /**
   * Waits for the calls in flight to settle (each within its deadline), then closes the memjs
   * client if the cache created it; a client passed in is left open. Later calls reject with an
   * `E_CLOSED` CacheError.
   */
  close(): Promise<void> {
    this.closing ??= this.transport.idle().then(() => {
      if (this.ownsClient) this.client.close();
    });
    return this.closing;
  }

  /** Runs `call` once the hash functions have loaded, or rejects if the cache is closed. */
  private later<T>(operation: CacheOperation, call: () => Promise<T>): Promise<T> {
    if (this.closing !== undefined) {
      return Promise.reject(new CacheError('E_CLOSED', `${operation}() after close()`, { operation }));
    }
    return this.ready.then(call);
  }

  /** Resolves the data-key head of the namespace's current generation (one token per level). */
  private resolveHead(core: Core, state: NamespaceState, deadline: number, callback: HeadCallback): void {
    const levels = state.levels;
    const tokens: string[] = new Array(levels.length);
    let remaining = levels.length;
    let failed = false;
    levels.forEach((level, index) => {
      core.tokens.resolve(level, deadline, (error, token) => {
        if (failed) return;
        if (error !== undefined) {
          failed = true;
          return callback(error, '');
        }
        tokens[index] = token;
        remaining -= 1;
        if (remaining === 0) callback(undefined, state.dataKeyHead(tokens));
      });
    });
  }

  /**
   * After memcached refused a write (invariant I3), deletes the key so that no older value stays
   * readable, then reports the refusal, or `E_STALE_VALUE` if the delete failed too.
   */
  private removeStale(dataKey: string, deadline: number, refusal: CacheError, fail: (error: CacheError) => void): void {
    this.transport.delete(dataKey, deadline, (error, status) => {
      if (error === undefined && (status === Status.Ok || status === Status.NotFound)) return fail(refusal);
      fail(
        new CacheError(
          'E_STALE_VALUE',
          `${refusal.message}; deleting the older value failed too, so it may be served until it expires`,
          { cause: error ?? refusal },
        ),
      );
    });
  }

  private decode(operation: CacheOperation, bytes: Buffer): unknown {
    const value = decodeValue(bytes);
    if (value !== UNDECODABLE) return value;
    this.report(
      new CacheError('E_CORRUPT_VALUE', 'the stored bytes are not a value this library wrote; read as a miss', {
        operation,
      }),
    );
    return undefined;
  }

  /** Fail-open: report and resolve `fallback`; with `failOpen: false`, reject. */
  private failOpen<T>(
    operation: CacheOperation,
    error: CacheError,
    fallback: T,
    resolve: (value: T) => void,
    reject: (error: CacheError) => void,
  ): void {
    const reported = withOperation(error, operation);
    if (this.settings.failOpen) {
      this.report(reported);
      resolve(fallback);
    } else {
      reject(reported);
    }
  }

  private report(error: CacheError): void {
    try {
      this.settings.onError(error);
    } catch (thrown) {
      // A throwing onError must not break the cache or turn a fail-open read into a crash.
      process.emitWarning(`memjs-namespaces: onError threw: ${String(thrown)}`, { code: 'MEMJS_NAMESPACES_ONERROR' });
    }
  }
}

/** A copy of a transport error that names the public operation (transport errors are shared). */
function withOperation(error: CacheError, operation: CacheOperation): CacheError {
  return new CacheError(error.code, error.message, { cause: error.cause, operation });
}

function serverError(what: string, status: number): CacheError {
  return new CacheError('E_SERVER', `memcached refused the ${what}: ${statusName(status)}`);
}

function refusedWrite(status: number): CacheError {
  if (status === Status.TooLarge) {
    return new CacheError(
      'E_VALUE_TOO_LARGE',
      'memcached refused the value as too large (its item size limit, 1 MB by default, is set with -I)',
    );
  }
  return serverError('write', status);
}
