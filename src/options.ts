import { type CompressionOption, checkCompression } from './compression.js';
import { describe } from './describe.js';
import type { CacheError } from './errors.js';
import { checkTtl } from './expiry.js';
import { FRESHNESS_OPTIONS, type Freshness, freshnessOf } from './freshness.js';
import { checkBoolean, checkOnError, checkPrefix, checkSeconds, checkServers } from './options-checks.js';
import { checkConnection } from './protocol-options.js';
import { LOCKING_DEFAULTS, LOCKING_OPTIONS, type Locking, lockingOf } from './read-through/locking.js';

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

/**
 * How long a value is fresh and how long it may be served stale (seconds). The *writer's* windows
 * decide how long memcached keeps a value; the *reader's* decide what its `getOrSet` may serve.
 */
export interface FreshnessOptions {
  /** Fresh time to live in seconds, overriding the cache's `ttl`; `0` = never expires. */
  readonly ttl?: number;
  /**
   * Seconds past `ttl` during which `getOrSet` returns the stale value at once and refreshes it in
   * the background (one refresh in the whole fleet). Plain `get` treats a value past `ttl` as a miss.
   */
  readonly staleWhileRevalidate?: number;
  /** Seconds past `ttl` during which `getOrSet` returns the stale value when its loader fails. */
  readonly staleIfError?: number;
  /**
   * Shortens each write's ttl by a random part up to this fraction (`0.1`: up to 10%), so that keys
   * written together — after a clear, say — do not expire together.
   */
  readonly ttlJitter?: number;
}

/** The tags of an item (DESIGN §12). */
export interface TagOptions {
  /**
   * The item's tags: `invalidateTags([tag])` invalidates every item carrying `tag`, in every
   * namespace of the cache's `prefix`. At most 128 distinct tags of at most 1024 characters each.
   * A read checks them: one round trip when the reader knows them, two at most.
   */
  readonly tags?: readonly string[];
}

/** Options of a single write (`set`, `setMulti`). */
export interface SetOptions extends FreshnessOptions, TagOptions {
  /**
   * Epoch ms (like `Date.now()`): the value reflects the world as of this time — when its
   * computation began. With `tags`, the write stores nothing and resolves `false` if one of the
   * tags was (hard-)invalidated at or after it; softly invalidated inside its window, the value is
   * stored as stale. A tag record created since (found missing) is not counted (a creation, not an
   * invalidation). Compared with the invalidators' clocks: keep them in sync. Without
   * `tags` it changes nothing; `writtenAt` stays the time of the write.
   */
  readonly computedAt?: number;
}

/** Options of `getOrSet`: the freshness of what it writes and reads, and its fleet-wide lock. */
export interface GetOrSetOptions extends FreshnessOptions, TagOptions {
  /**
   * On a miss, take a short memcached lock (one `add`) so that one caller in the whole fleet runs
   * the loader while the others wait for its value. `false`: every process loads on its own.
   */
  readonly lock?: boolean;
  /**
   * Seconds the lock lives in memcached unless renewed (whole seconds, rounded up): how long a dead
   * holder can hold the others back before one of them takes over. A live holder renews it every
   * half `lockTtl` while its loader runs, for `lockWait` at most (then releases it). A lost lock
   * (evicted, deleted, not renewed for `lockTtl`) fails nothing: the load goes on, `onError` hears
   * `E_LOCK_EXPIRED`, and another caller may load too.
   */
  readonly lockTtl?: number;
  /**
   * Seconds a caller waits for another's load (polling memcached) before it loads itself; also the
   * longest a holder keeps its lock while its loader runs.
   */
  readonly lockWait?: number;
}

/** Options of `getEntry`. */
export interface GetEntryOptions {
  /**
   * Tags checked at read time, by time, that the item need not carry (Next.js's soft tags): the
   * entry is expired if one was hard-invalidated at or after it was written, stale if soft-invalidated.
   */
  readonly tags?: readonly string[];
}

/** Options of an invalidation (`deleteNamespace`, `invalidateTags`). */
export interface InvalidateOptions {
  /**
   * Seconds during which the invalidated values may still be served as stale by `getOrSet` (and
   * reported by `getEntry` as `'stale'`) while one refresh runs in the fleet. `0` or absent: a hard
   * invalidation, after which nothing from before it is served.
   * @default 0
   */
  readonly staleFor?: number;
}

/** An entry read with its freshness (`getEntry`). */
export interface CacheEntry<T> {
  readonly value: T;
  /** `'stale'`: past its ttl, or invalidated by a soft clear whose `staleFor` has not run out. */
  readonly state: 'fresh' | 'stale';
  /** Epoch ms when the value was computed (before its loader ran); 0 for a value written without `tags`. */
  readonly writtenAt: number;
  /** Epoch ms since which it is stale: its fresh time ran out, or the soft clear that made it stale. */
  readonly staleSince?: number;
  /** The tags the value was written with. */
  readonly tags: readonly string[];
}

/** What a tag's record says (`getTagStates`); Next.js's tags manifest has this shape. */
export interface TagState {
  /** Epoch ms of the last soft or hard invalidation (or of the record's creation, see below). */
  readonly staleAt?: number;
  /**
   * Epoch ms at which the last invalidation expires (or expired) the entries written before it: equal to
   * `staleAt` for a hard one, `staleAt + staleFor` for a soft one. A record found missing (never
   * used, evicted, lost in a restart) is created with both set to now: nothing older counts as valid.
   */
  readonly expiredAt?: number;
}

/** @internal The options after defaults and validation: what the cache actually runs with. */
export interface Settings {
  /** The memjs client passed in, or `undefined`. */
  readonly client: MemjsClientLike | undefined;
  /** The `servers` option, checked and joined with `,`; `undefined`: the environment's or memjs' default. */
  readonly servers: string | undefined;
  /** The protocol asked for; `undefined`: the default (see {@link ServersOption.protocol}). */
  readonly protocol: Protocol | undefined;
  /** `node:tls` options, or `undefined` for plain TCP. */
  readonly tls: Readonly<Record<string, unknown>> | undefined;
  /** See {@link CommonOptions.prefix}. */
  readonly prefix: string;
  /** Default time to live of values, seconds (see {@link CommonOptions.ttl}). */
  readonly ttl: number;
  /** Time to live of namespace tokens, seconds; `0` = never. */
  readonly tokenTtl: number;
  /** The deadline of each call, in milliseconds (the `timeout` option is in seconds). */
  readonly timeoutMs: number;
  /** See {@link CommonOptions.failOpen}. */
  readonly failOpen: boolean;
  /** How long a token read may be trusted without reading it again, in milliseconds; `0` = never. */
  readonly tokenCacheTtlMs: number;
  /** Told about every error the cache swallows (a no-op by default). */
  readonly onError: (error: CacheError) => void;
  /** Freshness of writes that give none of their own. */
  readonly freshness: Freshness;
  /** Locking of `getOrSet` calls that give none of their own. */
  readonly locking: Locking;
  /** Encoded values longer than this many bytes are stored compressed; `Infinity`: never. */
  readonly compressAbove: number;
}

const DEFAULTS = {
  prefix: 'ns',
  ttl: 86_400,
  tokenTtl: 0,
  timeout: 1,
  failOpen: true,
  tokenCacheTtl: 0,
} as const;

const KNOWN_OPTIONS = new Set<string>([
  'client',
  'servers',
  'prefix',
  'tokenTtl',
  'timeout',
  'failOpen',
  'tokenCacheTtl',
  'onError',
  ...FRESHNESS_OPTIONS,
  ...LOCKING_OPTIONS,
  'compression',
  'protocol',
  'tls',
]);

/** memjs option names people reach for by habit, and what this library calls them. */
const RENAMED_OPTIONS: Readonly<Record<string, string>> = {
  expires: 'ttl',
  retries: 'timeout',
  conntimeout: 'timeout',
};

/**
 * @internal Applies defaults and validates every option, so that a bad option fails at construction with a
 * message that says what was expected and what came.
 */
export function resolveOptions(options: NamespacedCacheOptions = {}): Settings {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected options to be an object, got ${describe(options)}`);
  }
  for (const name of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(name)) {
      const hint = RENAMED_OPTIONS[name] === undefined ? '' : `; did you mean \`${RENAMED_OPTIONS[name]}\`?`;
      throw new TypeError(`Unknown option \`${name}\`${hint}`);
    }
  }
  const { client, servers } = options;
  if (client !== undefined && servers !== undefined) {
    throw new TypeError('Expected either `client` or `servers`, not both');
  }
  const ttl = checkTtl('ttl', options.ttl ?? DEFAULTS.ttl);
  const tokenTtl = checkTtl('tokenTtl', options.tokenTtl ?? DEFAULTS.tokenTtl);
  if (tokenTtl !== 0 && (ttl === 0 || tokenTtl < ttl)) {
    throw new RangeError(
      `Expected \`tokenTtl\` to be 0 (never expires) or at least \`ttl\` (${ttl === 0 ? '0, never' : ttl}): an expiring token invalidates its whole namespace; got ${tokenTtl}`,
    );
  }
  const checkedServers = checkServers(servers);
  return {
    client,
    servers: checkedServers,
    ...checkConnection(options as Readonly<Record<string, unknown>>, checkedServers),
    prefix: checkPrefix(options.prefix ?? DEFAULTS.prefix),
    ttl,
    tokenTtl,
    timeoutMs: checkSeconds('timeout', options.timeout ?? DEFAULTS.timeout, false) * 1000,
    failOpen: checkBoolean('failOpen', options.failOpen ?? DEFAULTS.failOpen),
    tokenCacheTtlMs: checkSeconds('tokenCacheTtl', options.tokenCacheTtl ?? DEFAULTS.tokenCacheTtl, true) * 1000,
    onError: checkOnError(options.onError),
    freshness: freshnessOf(options as Readonly<Record<string, unknown>>, {
      ttl,
      staleWhileRevalidateMs: 0,
      staleIfErrorMs: 0,
      ttlJitter: 0,
    }),
    locking: lockingOf(options as Readonly<Record<string, unknown>>, {
      enabled: LOCKING_DEFAULTS.lock,
      ttl: LOCKING_DEFAULTS.lockTtl,
      waitMs: LOCKING_DEFAULTS.lockWait * 1000,
    }),
    compressAbove: checkCompression(options.compression),
  };
}
