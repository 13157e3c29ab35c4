/** The constructor's options resolved: defaults applied, every option checked, the settings a cache runs with. */
import { checkCompression } from './compression.js';
import { describe } from './describe.js';
import type { CacheError } from './errors.js';
import { checkTtl } from './expiry.js';
import { FRESHNESS_OPTIONS, type Freshness, freshnessOf } from './freshness.js';
import type { CommonOptions, MemjsClientLike, NamespacedCacheOptions, Protocol, ServersOption } from './options.js';
import { checkBoolean, checkOnError, checkPrefix, checkSeconds, checkServers } from './options-checks.js';
import { checkConnection } from './protocol-options.js';
import { LOCKING_DEFAULTS, LOCKING_OPTIONS, type Locking, lockingOf } from './read-through/locking.js';

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
