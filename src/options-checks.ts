/**
 * Validators of the cache's options: each returns the checked value or throws a TypeError or
 * RangeError that says what was expected and what came.
 */
import { describe } from './describe.js';
import type { CacheError } from './errors.js';
import { MAX_PREFIX_LENGTH } from './keys.js';

/** The longest `timeout` Node's timers can honour, in seconds. */
const MAX_TIMEOUT = 2_147_483;

const noop = (): void => {};

export function checkPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || !/^[\x21-\x7e]+$/.test(prefix) || prefix.length > MAX_PREFIX_LENGTH) {
    throw new TypeError(
      `Expected \`prefix\` to be 1 to ${MAX_PREFIX_LENGTH} printable ASCII characters without spaces, got ${describe(prefix)}`,
    );
  }
  return prefix;
}

/**
 * One server as memjs parses it: `[user:password@]host[:port]`, the port 1-65535 (memjs defaults a
 * missing one to 11211). memjs splits on `:` and `@` without checking anything, so `host:abc` or
 * `host:99999` would construct and then fail every call; they are refused here instead.
 */
const SERVER_PATTERN = /^(?:[^\s,@:]*(?::[^\s,@]*)?@)?[^\s,@:/]+(?::(\d{1,5}))?$/;

function isServer(server: unknown): boolean {
  if (typeof server !== 'string') return false;
  const match = SERVER_PATTERN.exec(server);
  if (match === null) return false;
  const port = match[1] === undefined ? 11211 : Number(match[1]);
  return port >= 1 && port <= 65535;
}

/**
 * The servers as memjs takes them (`'a:1,b:2'`). Without `servers`, memjs reads the environment:
 * that is checked too, so a bad variable fails at construction rather than on every call.
 */
export function checkServers(servers: unknown): string | undefined {
  if (servers === undefined) {
    for (const name of ['MEMCACHIER_SERVERS', 'MEMCACHE_SERVERS']) {
      const value = process.env[name];
      if (value) {
        if (!value.split(',').every(isServer)) {
          throw new TypeError(
            `Expected $${name} (used because \`servers\` is not given) to be 'host:port,host:port', got ${describe(value)}`,
          );
        }
        return undefined;
      }
    }
    return undefined;
  }
  // Array.from reads each element once and turns holes into undefined (every() would skip them).
  const list: unknown[] | undefined =
    typeof servers === 'string' ? servers.split(',') : Array.isArray(servers) ? Array.from(servers) : undefined;
  if (list === undefined || list.length === 0 || !list.every(isServer)) {
    throw new TypeError(
      `Expected \`servers\` to be 'host:port,host:port' or an array of 'host:port' (port 1-65535), got ${describe(servers)}`,
    );
  }
  return list.join(',');
}

export function checkSeconds(name: string, value: unknown, zeroAllowed: boolean): number {
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

export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') {
    throw new TypeError(`Expected \`${name}\` to be a boolean, got ${describe(value)}`);
  }
  return value;
}

export function checkOnError(onError: unknown): (error: CacheError) => void {
  if (onError === undefined) return noop;
  if (typeof onError !== 'function') {
    throw new TypeError(`Expected \`onError\` to be a function, got ${describe(onError)}`);
  }
  return onError as (error: CacheError) => void;
}
