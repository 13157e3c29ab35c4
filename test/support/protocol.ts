import { inject } from 'vitest';
import type { NamespacedCacheOptions } from '../../src/index.js';

/** The protocol the suites run on (`MEMCACHED_PROTOCOL`; `npm test`: meta). */
export const protocol = inject('memcachedProtocol');

/** The test CA and server certificate files when the suites run on TLS. */
export const tlsFiles = inject('tls');

/** The options that make a cache on `servers` speak the protocol under test. */
export function protocolOptions(): Pick<NamespacedCacheOptions, 'protocol' | 'tls'> {
  switch (protocol) {
    case 'binary':
      return { protocol: 'binary' };
    case 'text':
      return { protocol: 'text' };
    case 'tls':
      return { tls: { ca: tlsFiles?.ca } };
    default:
      return {};
  }
}

/** What a cache's tracing context says about its connections under the protocol under test. */
export function describedProtocol(): { protocol: 'meta' | 'text' | 'binary'; tls: boolean } {
  return { protocol: protocol === 'tls' ? 'meta' : protocol, tls: protocol === 'tls' };
}

/**
 * {@link protocolOptions} for a test that also reads its servers with memjs, which has no TLS: under
 * tls it runs on plain meta (its servers start without TLS), under the others as they are.
 */
export function plainProtocolOptions(): Pick<NamespacedCacheOptions, 'protocol' | 'tls'> {
  return protocol === 'tls' ? {} : protocolOptions();
}
