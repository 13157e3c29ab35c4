import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { memcachedServers, randomPrefix } from './support/cache.js';

const root = fileURLToPath(new URL('..', import.meta.url));

beforeAll(() => {
  // The real dual build, as `npm run build` makes it (dist/ and dist/cjs/).
  const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root, encoding: 'utf8' });
  expect(build.status, build.stderr).toBe(0);
}, 120_000);

/** Runs the fixture; resolves its output and exit code, or `exited: false` if it is still running after 15 s. */
function runFixture(): Promise<{ exited: boolean; code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['test/fixtures/dual-build.mjs', memcachedServers, randomPrefix()], {
      cwd: root,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ exited: false, code: null, stdout, stderr });
    }, 15_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ exited: true, code, stdout, stderr });
    });
  });
}

describe('the ES module and CommonJS builds in one process, sharing one memjs client', () => {
  it('both caches work (sets stored, gets hit, clears acknowledged), and the process exits', async () => {
    for (let run = 0; run < 3; run += 1) {
      const { exited, code, stdout, stderr } = await runFixture();
      expect(stderr).toBe('');
      expect(JSON.parse(stdout)).toEqual({
        esm: Array.from({ length: 20 }, () => true),
        cjs: Array.from({ length: 20 }, () => true),
        clientOwn: true,
      });
      expect([exited, code]).toEqual([true, 0]);
    }
  }, 60_000);
});
