import type { Socket } from 'node:net';
import memjs from 'memjs';
import { describe } from './describe.js';

/**
 * A memjs `Server` (one connection), including the internals the transport repairs.
 * See memjs/lib/memjs/server.js (1.3.2).
 */
export interface MemjsServer {
  readonly host: string;
  readonly port: number;
  _socket?: Socket;
  /** One deadline per write, retired one per reply memjs parses (its own timers read them). */
  requestTimeouts?: number[];
  onResponse(seq: number, callback: (reply: unknown) => void): void;
  onError(seq: number, callback: (reply: unknown) => void): void;
  write(blob: Buffer): void;
  /** Destroys the socket and fails every registered callback with `error`. */
  error(error: unknown): void;
  /** Called by the socket's `data` listener with each chunk (through the instance: replaceable). */
  responseHandler(chunk: Buffer): void;
  /** Hands a parsed reply to the callback registered for its opaque. */
  respond(response: unknown): void;
  /** Answers the server's SASL mechanism list. */
  saslAuth(): void;
  emit(event: string): boolean;
}

/** A memjs `Client`, including the internals the transport uses. See memjs/lib/memjs/memjs.js. */
export interface MemjsClient {
  servers: MemjsServer[];
  seq: number;
  /** memjs' server choice: `getServer(key)`, skipping servers marked failed when failover is on. */
  server(key: string): MemjsServer | null;
  close(): void;
}

/**
 * memjs' own timers measure socket *inactivity* (steady traffic postpones them) and, when they fire,
 * end the socket without clearing its read buffer. A client the cache owns gets them far out of the
 * way; the transport's deadlines replace them. (Node caps socket timeouts at 2^31 - 1 ms.)
 */
const MEMJS_TIMERS_OFF_SECONDS = 3600;

const silentLogger = { log: (): void => {} };

/** Creates the memjs client a cache owns: one attempt per request, no default expiry, no logging. */
export function createMemjsClient(servers: string | undefined): MemjsClient {
  return memjs.Client.create(servers, {
    retries: 1,
    expires: 0,
    timeout: MEMJS_TIMERS_OFF_SECONDS,
    conntimeout: MEMJS_TIMERS_OFF_SECONDS,
    keepAlive: true,
    logger: silentLogger,
  }) as unknown as MemjsClient;
}

/**
 * Checks that a user-supplied client is a memjs client the transport can drive.
 *
 * @throws TypeError when it is not shaped like `memjs.Client.create(...)`'s result.
 */
export function checkMemjsClient(client: unknown): MemjsClient {
  const candidate = client as Partial<MemjsClient> | null;
  const looksRight =
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.server === 'function' &&
    typeof candidate.seq === 'number' &&
    Array.isArray(candidate.servers) &&
    candidate.servers.length > 0 &&
    candidate.servers.every(
      (server) =>
        typeof server?.write === 'function' &&
        typeof server.onResponse === 'function' &&
        typeof server.onError === 'function' &&
        typeof server.error === 'function',
    );
  if (!looksRight) {
    throw new TypeError(`Expected \`client\` to be a memjs Client (memjs.Client.create(...)), got ${describe(client)}`);
  }
  return candidate as MemjsClient;
}
