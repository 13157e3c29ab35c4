/** Where and how a connection of the cache's own reaches its server, and the rules of its socket's life. */
import type { ConnectionOptions } from 'node:tls';
import { CacheError } from '../errors.js';
import type { Codec } from './codec.js';

/** What a cache's own connection speaks: a codec, or `'auto'` (meta if the server has it, else binary). */
export type Speech = Codec | 'auto';

/** How a connection reaches its server. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
  /** `node:tls` options; `undefined`: plain TCP. */
  readonly tls: ConnectionOptions | undefined;
  readonly speech: Speech;
  /** How long a connect (and TLS handshake, and protocol probe) may take. */
  readonly timeoutMs: number;
}

/**
 * Debian's memcached 1.6.18 with TLS (`-Z`) stops reading when more than about 16 KB of requests
 * arrive together, until the client writes again (it leaves decrypted bytes in OpenSSL's buffer and
 * waits for the socket). Over TLS, no more than this many bytes of requests are left unanswered at
 * once; the rest waits for replies. A single larger request still goes alone.
 */
export const TLS_UNANSWERED_BYTES = 15 * 1024;

/** Reconnect backoff: the first retry at once, then 25 ms doubling to 1 s while connects keep failing. */
export function backoffMs(failures: number): number {
  return failures <= 1 ? 0 : Math.min(1000, 25 * 2 ** (failures - 2));
}

/** The error a socket failed with, as the cache reports it (TLS failures say so, with their cause). */
export function socketError(error: unknown, endpoint: Endpoint, phase: string): CacheError {
  if (error instanceof CacheError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const tls = endpoint.tls !== undefined && phase !== 'ready' && phase !== 'draining' ? 'TLS ' : '';
  return new CacheError(
    'E_CONNECTION',
    `${tls}connection to memcached ${endpoint.host}:${endpoint.port} failed: ${message}`,
    {
      cause: error,
    },
  );
}
