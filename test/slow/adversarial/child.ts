import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./child-ops.ts', import.meta.url));

/** Runs `ops` in a child process on `servers`/`prefix`; resolves what each op resolved. */
export function inChild(servers: string, prefix: string, ops: unknown[]): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', CHILD, servers, prefix, JSON.stringify(ops)],
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout.trim()) as unknown[]);
      },
    );
  });
}
