import { describe } from './describe.js';
import type { Protocol } from './options.js';

const PROTOCOLS: readonly string[] = ['meta', 'text', 'binary'];

/** Whether memjs would authenticate (SASL): credentials in a server or in its environment variables. */
export function hasCredentials(servers: string | undefined): boolean {
  const list = servers ?? process.env.MEMCACHIER_SERVERS ?? process.env.MEMCACHE_SERVERS ?? '';
  return (
    list.split(',').some((server) => server.includes('@')) ||
    Boolean(process.env.MEMCACHIER_USERNAME || process.env.MEMCACHE_USERNAME)
  );
}

/**
 * Checks `protocol` and `tls` against each other and against the way of connecting: a memjs client
 * and SASL speak binary, and binary (memjs) has no TLS.
 *
 * @throws TypeError on a bad value or an impossible combination.
 */
export function checkConnection(
  options: Readonly<Record<string, unknown>>,
  servers: string | undefined,
): { protocol: Protocol | undefined; tls: Readonly<Record<string, unknown>> | undefined } {
  const { protocol, tls, client } = options;
  if (protocol !== undefined && (typeof protocol !== 'string' || !PROTOCOLS.includes(protocol))) {
    throw new TypeError(`Expected \`protocol\` to be 'meta', 'text' or 'binary', got ${describe(protocol)}`);
  }
  if (
    tls !== undefined &&
    typeof tls !== 'boolean' &&
    (typeof tls !== 'object' || tls === null || Array.isArray(tls))
  ) {
    throw new TypeError(`Expected \`tls\` to be a boolean or an object of node:tls options, got ${describe(tls)}`);
  }
  const tlsOptions =
    tls === true ? {} : tls === false || tls === undefined ? undefined : (tls as Record<string, unknown>);
  if (client !== undefined) {
    if (protocol !== undefined && protocol !== 'binary') {
      throw new TypeError(
        `A memjs \`client\` speaks the binary protocol: \`protocol: '${protocol}'\` needs \`servers\` instead`,
      );
    }
    if (tlsOptions !== undefined) {
      throw new TypeError('A memjs `client` has no TLS (memjs does not support it): give `servers` and `tls` instead');
    }
  }
  if (protocol === 'binary' && tlsOptions !== undefined) {
    throw new TypeError(
      "The binary protocol goes through memjs, which has no TLS: use `protocol: 'meta'` (the default) or 'text' with `tls`",
    );
  }
  if (client === undefined && hasCredentials(servers)) {
    if (protocol === 'meta' || protocol === 'text') {
      throw new TypeError(
        `SASL credentials (user:password@host) need the binary protocol; got \`protocol: '${protocol}'\``,
      );
    }
    if (tlsOptions !== undefined) {
      throw new TypeError('SASL credentials (user:password@host) go through memjs, which has no TLS');
    }
  }
  return { protocol: protocol as Protocol | undefined, tls: tlsOptions };
}
