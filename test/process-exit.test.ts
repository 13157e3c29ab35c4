import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort } from '../scripts/memcached.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Runs the fixture against `servers`; resolves its output lines and exit code (null: killed after 15 s). */
function runFixture(servers: string): Promise<{ code: number | null; lines: unknown[]; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/own-sockets-exit.ts', servers], {
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
});
