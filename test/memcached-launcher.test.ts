import { afterEach, describe, expect, it } from 'vitest';
import { hasMemcached, INSTALL_HINT, startMemcached } from '../scripts/memcached.js';

describe('the memcached launcher of the tests, demo and bench', () => {
  const path = process.env.PATH;
  afterEach(() => {
    process.env.PATH = path;
  });

  it('says how to install memcached, or to use docker compose, when the binary is missing', async () => {
    process.env.PATH = '/nonexistent';
    expect(hasMemcached()).toBe(false);
    await expect(startMemcached()).rejects.toThrow(INSTALL_HINT);
    expect(INSTALL_HINT).toContain('apt-get install -y memcached');
    expect(INSTALL_HINT).toContain('docker compose up -d');
  });

  it('starts a memcached on 127.0.0.1 on a free port, and stops it', async () => {
    const server = await startMemcached();
    expect(server.servers).toMatch(/^127\.0\.0\.1:\d+$/);
    await server.stop();
  });
});
