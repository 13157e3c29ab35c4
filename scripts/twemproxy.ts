/**
 * Starts twemproxy (nutcracker) on 127.0.0.1 in front of memcached servers, for the text-protocol
 * tests. Not part of the published package.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './memcached.js';

const HOST = '127.0.0.1';

/** A running twemproxy. */
export interface Twemproxy {
  /** `host:port` of the proxy. */
  readonly servers: string;
  stop(): Promise<void>;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, HOST);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
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
  const deadline = Date.now() + 10_000;
  for (let delay = 5; !(await accepts(port)); delay = Math.min(delay * 2, 100)) {
    if (child.exitCode !== null) throw new Error('nutcracker exited before listening');
    if (Date.now() > deadline) throw new Error('nutcracker did not listen within 10 s');
    // No event tells when a child process starts listening: poll with backoff.
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
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
