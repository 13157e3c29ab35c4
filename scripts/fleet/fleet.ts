/**
 * Starts worker processes (worker.ts) that share a memcached and a prefix: a fleet, as the pods of
 * one service are. Used by the cross-process tests and `npm run bench:stampede`.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { NamespacedCacheOptions } from '../../src/index.js';
import type { CallResult, Command, Notice, Reply } from './protocol.js';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

/** One worker process. */
export class FleetWorker {
  private nextId = 1;
  private readonly pending = new Map<number, (reply: Reply) => void>();
  private readonly loading: ((key: string) => void)[] = [];

  constructor(readonly process: ChildProcess) {
    process.on('message', (message: Reply | Notice) => {
      if ('notice' in message) {
        if (message.notice === 'loading') for (const waiter of this.loading.splice(0)) waiter(message.key);
        return;
      }
      this.pending.get(message.id)?.(message);
      this.pending.delete(message.id);
    });
  }

  /** Sends a command; resolves the worker's reply. */
  request(command: Command): Promise<Reply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, resolve);
      this.process.once('exit', () => reject(new Error(`worker ${this.process.pid} exited`)));
      this.process.send({ ...command, id });
    });
  }

  /** Runs concurrent getOrSet calls; resolves every call's result and how many loads ran here. */
  async getOrSet(command: Omit<Extract<Command, { op: 'getOrSet' }>, 'op'>): Promise<{
    results: readonly CallResult[];
    loads: number;
  }> {
    return (await this.request({ op: 'getOrSet', ...command })) as unknown as { results: CallResult[]; loads: number };
  }

  /** Resolves once a loader of this worker that `hangs` has started. */
  loaderStarted(): Promise<string> {
    return new Promise((resolve) => this.loading.push(resolve));
  }

  /** SIGKILL, as a crashing pod; resolves once the process is gone. */
  async kill(): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    const exited = once(this.process, 'exit');
    this.process.kill('SIGKILL');
    await exited;
  }
}

/** A fleet of `size` workers on `servers` with one `prefix`; stop() ends them. */
export async function startFleet(
  size: number,
  servers: string,
  prefix: string,
  options: Omit<NamespacedCacheOptions, 'servers' | 'client' | 'prefix'> = {},
): Promise<{ readonly workers: readonly FleetWorker[]; stop(): Promise<void> }> {
  const workers = await Promise.all(
    Array.from({ length: size }, async () => {
      const child = fork(WORKER, [servers, prefix, JSON.stringify(options)], {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const [notice] = (await once(child, 'message')) as [Notice];
      if (notice.notice !== 'ready') throw new Error(`worker ${child.pid} did not start`);
      return new FleetWorker(child);
    }),
  );
  return {
    workers,
    async stop() {
      await Promise.all(
        workers.map(async (worker) => {
          if (worker.process.connected) {
            const exited = once(worker.process, 'exit');
            worker.process.disconnect();
            await exited;
          }
        }),
      );
    },
  };
}
