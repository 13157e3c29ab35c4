/**
 * Starts twemproxy (nutcracker) on 127.0.0.1 in front of memcached servers, for the text-protocol
 * tests. Not part of the published package.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitUntilListening } from './memcached.js';

const HOST = '127.0.0.1';

/** A running twemproxy. */
export interface Twemproxy {
  /** `host:port` of the proxy. */
  readonly servers: string;
  stop(): Promise<void>;
}

/** Starts nutcracker in front of `backends` (`host:port` each); resolves once it accepts connections. */
export async function startTwemproxy(backends: readonly string[]): Promise<Twemproxy> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'memjs-namespaces-twemproxy-'));
  const config = join(dir, 'nutcracker.yml');
  writeFileSync(
    config,
    [
      'pool:',
      `  listen: ${HOST}:${port}`,
      '  hash: fnv1a_64',
      '  distribution: ketama',
      '  timeout: 2000',
      // A dead backend answers errors at once instead of being ejected: reads fail open.
      '  auto_eject_hosts: false',
      '  server_retry_timeout: 200',
      '  servers:',
      ...backends.map((backend) => `    - ${backend}:1`),
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(
    'nutcracker',
    ['-c', config, '-s', String(await freePort()), '-o', join(dir, 'log')],
    {
      stdio: 'ignore',
    },
  );
  await waitUntilListening(port, child, 'nutcracker');
  return {
    servers: `${HOST}:${port}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}
