import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from 'vitest';
import { NamespacedCache } from '../src/index.js';
import { errorLog, randomPrefix } from './support/cache.js';
import { protocolOptions } from './support/protocol.js';
import { FaultProxy } from './support/proxy.js';
import { privateMemcached } from './support/servers.js';

it('gives a read queued behind a stalled request its retry on the new connection, instead of failing it', async () => {
  const proxy = await FaultProxy.start(await privateMemcached());
  const log = errorLog();
  const cache = new NamespacedCache({
    ...protocolOptions(),
    servers: proxy.servers,
    prefix: randomPrefix(),
    timeout: 0.3,
    onError: log.onError,
  });
  expect(await cache.set('ns', 'k', 'v')).toBe(true);

  proxy.injectReplyFault('half-then-stall'); // the connection stalls in the middle of the next reply
  const stalled = cache.get('ns', 'k');
  // Half a timeout later: written to the stalled connection, which is reset (at 0.3 s) long before
  // this read's own deadline. Not a wait for an event: the point is to be sent at this moment.
  await sleep(150);
  const queued = cache.get('ns', 'k');

  expect(await stalled).toBeUndefined(); // fails open: it is what stalled
  expect(await queued).toBe('v');
  expect(log.errors.map((error) => error.code)).toEqual(['E_TIMEOUT']);
  await cache.close();
});
