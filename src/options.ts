import { type CompressionOption, checkCompression } from './compression.js';
import { describe } from './describe.js';
import type { CacheError } from './errors.js';
import { checkTtl } from './expiry.js';
import { MAX_PREFIX_LENGTH } from './keys.js';

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
   * decode). Never called for errors it throws.
   * @default a no-op
   */
  readonly onError?: (error: CacheError) => void;
  /**
   * Stores values whose encoded form is longer than `threshold` bytes compressed (Brotli, quality 1,
   * `node:zlib`), when that makes them shorter: less memcached memory and network for large JSON, at
   * some CPU per write and read (see the README's "Compression"). `true` uses a threshold of 16384.
   * Compressed values read back whatever this option says, so it can be turned on or off at any time.
   * @default false
   */
  readonly compression?: CompressionOption;
}

/** Connect through a memjs client you created; the cache never closes it. */
export interface ClientOption {
  /** A memjs client, e.g. `memjs.Client.create('host:11211')`. The cache uses it but never closes it. */
  readonly client: MemjsClientLike;
  readonly servers?: never;
}

/** Let the cache create (and own) its memjs client. */
export interface ServersOption {
  /**
   * memcached servers, as memjs takes them: `'host:port,host:port'` or an array of `'host:port'`.
   * @default memjs' own default: `$MEMCACHIER_SERVERS`, `$MEMCACHE_SERVERS` or `'localhost:11211'`
   */
  readonly servers?: string | readonly string[];
  readonly client?: never;
}

/** Options of {@link NamespacedCache}. All are optional. */
export type NamespacedCacheOptions = CommonOptions & (ClientOption | ServersOption);

/** Options of a single write. */
export interface SetOptions {
  /** Time to live in seconds, overriding the cache's `ttl`; `0` = never expires. */
  readonly ttl?: number;
}

/** The options after defaults and validation: what the cache actually runs with. */
export interface Settings {
  readonly client: MemjsClientLike | undefined;
  readonly servers: string | undefined;
  readonly prefix: string;
  readonly ttl: number;
  readonly tokenTtl: number;
  readonly timeoutMs: number;
  readonly failOpen: boolean;
  readonly tokenCacheTtlMs: number;
  readonly onError: (error: CacheError) => void;
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

const KNOWN_OPTIONS = new Set([
  'client',
  'servers',
  'prefix',
  'ttl',
  'tokenTtl',
  'timeout',
  'failOpen',
  'tokenCacheTtl',
  'onError',
  'compression',
]);

/** memjs option names people reach for by habit, and what this library calls them. */
const RENAMED_OPTIONS: Readonly<Record<string, string>> = {
  expires: 'ttl',
  retries: 'timeout',
  conntimeout: 'timeout',
};

/** The longest `timeout` Node's timers can honour, in seconds. */
const MAX_TIMEOUT = 2_147_483;

const noop = (): void => {};

/**
 * Applies defaults and validates every option, so that a bad option fails at construction with a
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
  return {
    client,
    servers: checkServers(servers),
    prefix: checkPrefix(options.prefix ?? DEFAULTS.prefix),
    ttl,
    tokenTtl,
    timeoutMs: checkSeconds('timeout', options.timeout ?? DEFAULTS.timeout, false) * 1000,
    failOpen: checkBoolean('failOpen', options.failOpen ?? DEFAULTS.failOpen),
    tokenCacheTtlMs: checkSeconds('tokenCacheTtl', options.tokenCacheTtl ?? DEFAULTS.tokenCacheTtl, true) * 1000,
    onError: checkOnError(options.onError),
    compressAbove: checkCompression(options.compression),
  };
}

function checkPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || !/^[\x21-\x7e]+$/.test(prefix) || prefix.length > MAX_PREFIX_LENGTH) {
    throw new TypeError(
      `Expected \`prefix\` to be 1 to ${MAX_PREFIX_LENGTH} printable ASCII characters without spaces, got ${describe(prefix)}`,
    );
  }
  return prefix;
}

function checkServers(servers: unknown): string | undefined {
  if (servers === undefined) return undefined;
  const list = typeof servers === 'string' ? servers.split(',') : servers;
  if (
    !Array.isArray(list) ||
    list.length === 0 ||
    !list.every((server) => typeof server === 'string' && /^[^\s,]+$/.test(server))
  ) {
    throw new TypeError(
      `Expected \`servers\` to be 'host:port,host:port' or an array of 'host:port', got ${describe(servers)}`,
    );
  }
  return list.join(',');
}

function checkSeconds(name: string, value: unknown, zeroAllowed: boolean): number {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < 0 ||
    (value === 0 && !zeroAllowed) ||
    value > MAX_TIMEOUT
  ) {
    const bound = zeroAllowed ? '>= 0' : '> 0';
    throw new (typeof value === 'number' ? RangeError : TypeError)(
      `Expected \`${name}\` to be a number of seconds ${bound} and at most ${MAX_TIMEOUT}, got ${describe(value)}`,
    );
  }
  return value;
}

function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') {
    throw new TypeError(`Expected \`${name}\` to be a boolean, got ${describe(value)}`);
  }
  return value;
}

function checkOnError(onError: unknown): (error: CacheError) => void {
  if (onError === undefined) return noop;
  if (typeof onError !== 'function') {
    throw new TypeError(`Expected \`onError\` to be a function, got ${describe(onError)}`);
  }
  return onError as (error: CacheError) => void;
}
