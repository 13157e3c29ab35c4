import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort } from '../scripts/memcached.js';
import { memcachedServers } from './support/cache.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Runs a fixture against `servers`; resolves its output lines and exit code (null: killed after 15 s). */
function runFixture(
  servers: string,
  fixture = 'test/fixtures/own-sockets-exit.ts',
): Promise<{ code: number | null; lines: unknown[]; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, servers], {
      cwd: root,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stderr,
        lines: stdout
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line)),
      });
    });
  });
}

describe("the cache's own sockets in a process of their own", () => {
  it('settles every call while connects are refused and backing off, then lets the process exit', async () => {
    const port = await freePort();
    const { code, lines, stderr } = await runFixture(`127.0.0.1:${port}`);
    expect(stderr).toBe('');
    expect(lines).toEqual([
      ...Array.from({ length: 4 }, () => ({ code: 'E_CONNECTION' })),
      { code: 'E_CONNECTION' },
      { code: 'E_CLOSED' },
    ]);
    expect(code).toBe(0);
  }, 30_000);

  it('exits by itself with a loader that never settles and a caller joined to it', async () => {
    const { code, lines, stderr } = await runFixture(memcachedServers, 'test/fixtures/join-exit.ts');
    expect(stderr).toBe('');
    expect(lines).toEqual([{ joined: true }]);
    // Killed after 15 s (code null) if the join's 50 s wait kept the process alive.
    expect(code).toBe(0);
  }, 30_000);
});
