/** The options of the `NamespacedCache` constructor. */
import type { CompressionOption } from './compression.js';
import type { CacheError } from './errors.js';

/**
 * The parts of a memjs `Client` the cache needs. Pass what `memjs.Client.create(...)` returns;
 * the cache checks the rest of its shape at construction.
 */
export interface MemjsClientLike {
  readonly servers: readonly object[];
  readonly seq: number;
  close(): void;
}

/** Options shared by both ways of connecting. */
export interface CommonOptions {
  /**
   * Isolates applications that share one memcached: every key the cache sends starts with it, and
   * clearing a namespace never touches another prefix. Printable ASCII without spaces, at most
   * 183 characters (so that every key stays within memcached's 250 bytes).
   * @default 'ns'
   */
  readonly prefix?: string;
  /**
   * Default time to live of values, in seconds. `0` means "never expires" (LRU eviction only).
   * Above 30 days it is sent as an absolute time, as memcached requires.
   * @default 86400
   */
  readonly ttl?: number;
  /**
   * Time to live of namespace tokens, in seconds; `0` = never. A token that expires invalidates its
   * whole namespace, so it must be `0` or at least `ttl`.
   * @default 0
   */
  readonly tokenTtl?: number;
  /**
   * Deadline of each operation, in seconds. A call settles within about this long, whatever the
   * server does (a stopped server, a half-open connection, a lost reply).
   * @default 1
   */
  readonly timeout?: number;
  /**
   * When `true`, reads that fail return a miss and writes that fail return `false`, after telling
   * `onError`. When `false`, they throw. Invalidations (`delete`, `deleteNamespace`) always throw.
   * @default true
   */
  readonly failOpen?: boolean;
  /**
   * How long, in seconds, a namespace token read from memcached may be trusted without reading it
   * again. `0` makes every read see rotations done anywhere before it started. A positive value lets
   * reads in this process miss rotations made by *other* processes for at most that long (this
   * cache's own rotations apply at once).
   * @default 0
   */
  readonly tokenCacheTtl?: number;
  /**
   * Told about every error the cache swallows (reads and writes that fail open, values it cannot
   * decode, loader errors answered with a stale value). Never called for errors it throws.
   * @default a no-op
   */
  readonly onError?: (error: CacheError) => void;
  /** Default of {@link FreshnessOptions.staleWhileRevalidate} for every write and `getOrSet`. @default 0 */
  readonly staleWhileRevalidate?: number;
  /** Default of {@link FreshnessOptions.staleIfError} for every write and `getOrSet`. @default 0 */
  readonly staleIfError?: number;
  /** Default of {@link FreshnessOptions.ttlJitter} for every write. @default 0 */
  readonly ttlJitter?: number;
  /** Default of {@link GetOrSetOptions.lock}. @default true */
  readonly lock?: boolean;
  /** Default of {@link GetOrSetOptions.lockTtl}, in seconds. @default 5 */
  readonly lockTtl?: number;
  /** Default of {@link GetOrSetOptions.lockWait}, in seconds. @default 10 */
  readonly lockWait?: number;
  /**
   * Stores values whose encoded form is longer than `threshold` bytes compressed (Brotli, quality 1,
   * `node:zlib`), when that makes them shorter: less memcached memory and network for large JSON, at
   * some CPU per write and read (see the README's "Compression"). `true` uses a threshold of 16384.
   * Compressed values read back whatever this option says, so it can be turned on or off at any time.
   * @default false
   */
  readonly compression?: CompressionOption;
}

/** Connect through a memjs client you created (binary protocol); the cache never closes it. */
export interface ClientOption {
  /** A memjs client, e.g. `memjs.Client.create('host:11211')`. The cache uses it but never closes it. */
  readonly client: MemjsClientLike;
  /** Not with `client`: the client's own servers are used. */
  readonly servers?: never;
  /** Not with `client`: a memjs client speaks binary. */
  readonly protocol?: never;
  /** Not with `client`: memjs has no TLS. */
  readonly tls?: never;
}

/**
 * The wire protocol of the cache's connections:
 * - `'meta'`: memcached's meta protocol (1.6.10+), on connections the cache opens itself;
 * - `'text'`: the classic text protocol, for proxies (twemproxy, mcrouter) — see the README for
 *   what changes (the fleet lock's release reads the lock's CAS first);
 * - `'binary'`: the binary protocol through memjs (no TLS), as with a `client` or SASL credentials.
 *
 * Without `protocol`, a server found to have no meta (binary-only, before 1.6.10) is spoken to in
 * binary by the cache's own codec on its own connections, not through memjs.
 */
export type Protocol = 'meta' | 'text' | 'binary';

/**
 * TLS options, passed to `node:tls`' `connect` (`ca`, `cert`, `key`, `servername`, …). Certificates
 * are verified unless `rejectUnauthorized: false` says otherwise.
 */
export interface TlsOptions {
  /** Trusted CA certificates (PEM); the system's when omitted. */
  readonly ca?: string | Uint8Array | readonly (string | Uint8Array)[];
  /** Client certificate chain (PEM), for servers that require mutual TLS. */
  readonly cert?: string | Uint8Array | readonly (string | Uint8Array)[];
  /** Client private key (PEM). */
  readonly key?: string | Uint8Array | readonly (string | Uint8Array)[];
  /** The key's passphrase. */
  readonly passphrase?: string;
  /** The name the certificate must carry (SNI); the server's host name by default. */
  readonly servername?: string;
  /**
   * `false` accepts a certificate that does not verify (self-signed, unknown CA, wrong host): the
   * connection is encrypted but the server unauthenticated. For tests; prefer `ca`.
   * @default true
   */
  readonly rejectUnauthorized?: boolean;
  /** Any other `tls.connect` option. */
  readonly [option: string]: unknown;
}

/** Let the cache create (and own) its memjs client. */
export interface ServersOption {
  /**
   * memcached servers, as memjs takes them: `'host:port,host:port'` or an array of `'host:port'`.
   * @default memjs' own default: `$MEMCACHIER_SERVERS`, `$MEMCACHE_SERVERS` or `'localhost:11211'`
   */
  readonly servers?: string | readonly string[];
  readonly client?: never;
  /**
   * The wire protocol. By default: meta on the cache's own connections, falling back to binary per
   * connection when the server has no meta (`memcached -B binary`, before 1.6.10; detected once per
   * connection); binary through memjs when the servers carry SASL credentials (`user:pass@host`).
   */
  readonly protocol?: Protocol;
  /**
   * Encrypts the connections (meta or text): `true` verifies the server's certificate against the
   * system's CAs; an object passes options to `node:tls` (CA, client certificate, `servername`). A
   * failed handshake or a bad certificate is an `E_CONNECTION` error with its cause; never plain TCP.
   * @default false
   */
  readonly tls?: boolean | TlsOptions;
}

/** Options of {@link NamespacedCache}. All are optional. */
export type NamespacedCacheOptions = CommonOptions & (ClientOption | ServersOption);
