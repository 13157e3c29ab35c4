import { describe, expect, it, vi } from 'vitest';
import { NamespacedCache } from '../src/index.js';
import { errorLog, randomPrefix } from './support/cache.js';
import { linePeer } from './support/peer.js';

/**
 * A scripted meta peer: memcached 1.6.18 to the probe, a token for every token read, and for data
 * reads the given answer — `undefined`: the connection drops unanswered, as after memcached created
 * a stub for an `mg … N` and the reply was lost. Counts the data reads.
 */
async function stubbingPeer(
  answer: (line: string, count: number) => string | undefined,
): Promise<{ servers: string; dataReads(): number }> {
  let dataReads = 0;
  const servers = await linePeer((line, socket) => {
    const opaque = /O(\d+)/.exec(line)?.[1] ?? '';
    if (line.startsWith('version')) socket.write('VERSION 1.6.18\r\n');
    else if (line.startsWith('mg ') && line.includes(':t:')) socket.write(`VA 16 O${opaque}\r\n0123456789abcdef\r\n`);
    else if (line.startsWith('mg ')) {
      dataReads += 1;
      const reply = answer(line, dataReads);
      if (reply === undefined) socket.destroy();
      else socket.write(reply);
    } else {
      socket.write(`HD O${opaque}\r\n`);
      // A store's value line follows its command: skip it.
      if (line.startsWith('ms ')) return Number(line.split(' ')[2]) + 2;
    }
    return 0;
  });
  return { servers, dataReads: () => dataReads };
}

describe('a getOrSet read that may have created a stub (mg … N)', () => {
  it('is not sent again when its connection drops: the caller loads, and waits for no stub', async () => {
    // The first data read drops its connection unanswered; memcached would now hold the stub it
    // created, so any later read finds it held by another (VA 0 … Z): a re-sent read would wait.
    const peer = await stubbingPeer((line, count) =>
      count === 1 ? undefined : `VA 0 c7 Z O${/O(\d+)/.exec(line)?.[1] ?? ''}\r\n\r\n`,
    );
    const log = errorLog();
    const options = { servers: peer.servers, protocol: 'meta', prefix: randomPrefix(), onError: log.onError } as const;
    const cache = new NamespacedCache({ ...options, lockWait: 2 });
    const loader = vi.fn(() => 'loaded');
    expect(await cache.getOrSet('n', 'k', loader)).toBe('loaded');
    expect(peer.dataReads()).toBe(1);
    expect(loader).toHaveBeenCalledTimes(1);
    expect(cache.stats().lockWaits).toBe(0);
    expect(log.errors.map((error) => error.code)).toContain('E_CONNECTION');
    await cache.close();
  });
});
