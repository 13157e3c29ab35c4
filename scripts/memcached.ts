/**
 * Starts throwaway memcached servers on 127.0.0.1 for the tests, the demo and the benchmark.
 * Never touches any other address. Not part of the published package.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';

const HOST = '127.0.0.1';

/** Printed when memcached is missing: how to get one. */
export const INSTALL_HINT = [
  'memcached was not found on PATH. Install it:',
  '  Debian/Ubuntu: sudo apt-get install -y memcached',
  '  macOS:         brew install memcached',
  'or run one in Docker (`docker compose up -d`) and point the tests at it:',
  '  MEMCACHED_SERVERS=127.0.0.1:11211 npm test',
  '(the fault-injection tests start memcached processes of their own and still need the binary).',
].join('\n');

/** Options of {@link startMemcached}. */
export interface MemcachedOptions {
  /** Port to listen on; a free one is picked when omitted. */
  readonly port?: number;
  /** Memory limit in megabytes (`-m`). @default 64 */
  readonly memoryMb?: number;
  /** Worker threads (`-t`). @default 2 */
  readonly threads?: number;
  /** Speak only the binary protocol (`-B binary`). */
  readonly binaryOnly?: boolean;
  /** Speak only the text and meta protocols (`-B ascii`). */
  readonly asciiOnly?: boolean;
  /** Most simultaneous connections (`-c`); past it memcached answers `ERROR Too many open connections`. */
  readonly maxConnections?: number;
  /** Serve TLS (`-Z`) with this certificate and key (files); `caFile` and `verifyMode` for mutual TLS. */
  readonly tls?: {
    readonly cert: string;
    readonly key: string;
    readonly caFile?: string;
    /** memcached's `ssl_verify_mode`: 0 none, 1 request, 2 require, 3 once. */
    readonly verifyMode?: number;
  };
  /** With `tls`: also listen without TLS on this port (`-l notls:…`). */
  readonly plainPort?: number;
}

/** A running memcached child process. */
export interface MemcachedServer {
  readonly host: string;
  readonly port: number;
  /** `host:port`, as memjs and the cache take it. */
  readonly servers: string;
  /** `host:port` without TLS: {@link servers}, or the `plainPort` listener of a TLS server. */
  readonly plainServers: string;
  /** Freezes the process (SIGSTOP) and resolves once every thread has stopped. */
  pause(): Promise<void>;
  /** Resumes a paused process (SIGCONT). */
  resume(): void;
  /** Kills the process (SIGKILL) and waits until it is gone. */
  kill(): Promise<void>;
  /** Starts a new, empty memcached on the same port (after {@link kill}). */
  restart(): Promise<void>;
  /** Stops the process, resuming it first if paused. */
  stop(): Promise<void>;
}

/** Whether a `memcached` binary is on PATH. */
export function hasMemcached(): boolean {
  try {
    execFileSync('memcached', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A port nothing listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, HOST);
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('could not find a free port');
  return address.port;
}

function memcachedArgs(port: number, options: MemcachedOptions): string[] {
  const args = ['-l', `${HOST}:${port}`, '-U', '0', '-m', String(options.memoryMb ?? 64)];
  args.push('-t', String(options.threads ?? 2));
  if (options.binaryOnly) args.push('-B', 'binary');
  if (options.asciiOnly) args.push('-B', 'ascii');
  if (options.maxConnections !== undefined) args.push('-c', String(options.maxConnections));
  const tls = options.tls;
  if (tls !== undefined) {
    const settings = [`ssl_chain_cert=${tls.cert}`, `ssl_key=${tls.key}`];
    if (tls.caFile !== undefined) settings.push(`ssl_ca_cert=${tls.caFile}`);
    if (tls.verifyMode !== undefined) settings.push(`ssl_verify_mode=${tls.verifyMode}`);
    args.push('-Z', '-o', settings.join(','));
    if (options.plainPort !== undefined) args.push('-l', `notls:${HOST}:${options.plainPort}`);
  }
  // memcached refuses to run as root unless told which user to be.
  if (process.getuid?.() === 0) args.push('-u', 'root');
  return args;
}

/** Whether something accepts a TCP connection on the port right now. */
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

/** Resolves once something accepts TCP connections on the port (`name`: the child, for errors). */
export async function waitUntilListening(port: number, child: ChildProcess, name = 'memcached'): Promise<void> {
  const deadline = Date.now() + 10_000;
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    if (exited) throw new Error(`${name} exited before listening on ${HOST}:${port}`);
    if (await accepts(port)) return;
    if (Date.now() > deadline) throw new Error(`${name} did not listen on ${HOST}:${port} within 10 s`);
    // No event tells when a child process starts listening: poll with backoff.
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

async function spawnMemcached(port: number, options: MemcachedOptions): Promise<ChildProcess> {
  const child = spawn('memcached', memcachedArgs(port, options), { stdio: ['ignore', 'ignore', 'pipe'] });
  // Not events.once(child, 'spawn'): it rejects with the raw error when 'error' comes first.
  const failure = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', resolve);
  });
  if (failure !== undefined) {
    throw failure.code === 'ENOENT' ? new Error(INSTALL_HINT, { cause: failure }) : failure;
  }
  await waitUntilListening(port, child);
  return child;
}

/**
 * kill() returns before SIGSTOP has reached every thread: a worker thread running on another core
 * may still answer a request written just after. Waits until /proc shows each thread stopped
 * (Linux; elsewhere it returns at once).
 */
async function untilStopped(pid: number): Promise<void> {
  const taskDir = `/proc/${pid}/task`;
  if (!existsSync(taskDir)) return;
  for (let attempt = 0; attempt < 1000; attempt += 1) {
    const states = readdirSync(taskDir).map((task) => {
      const stat = readFileSync(`${taskDir}/${task}/stat`, 'latin1');
      return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    });
    if (states.every((state) => state === 'T' || state === 't')) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`memcached (pid ${pid}) did not stop after SIGSTOP`);
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts a memcached on 127.0.0.1 and waits until it accepts connections. */
export async function startMemcached(options: MemcachedOptions = {}): Promise<MemcachedServer> {
  const port = options.port ?? (await freePort());
  let child = await spawnMemcached(port, options);
  running.add(child);
  let paused = false;

  const kill = async (): Promise<void> => {
    running.delete(child);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
    paused = false;
  };

  return {
    host: HOST,
    port,
    servers: `${HOST}:${port}`,
    plainServers: `${HOST}:${options.tls !== undefined && options.plainPort !== undefined ? options.plainPort : port}`,
    async pause() {
      child.kill('SIGSTOP');
      paused = true;
      await untilStopped(child.pid as number);
    },
    resume() {
      child.kill('SIGCONT');
      paused = false;
    },
    kill,
    async restart() {
      await kill();
      child = await spawnMemcached(port, options);
      running.add(child);
    },
    async stop() {
      if (paused) child.kill('SIGCONT');
      await kill();
    },
  };
}
