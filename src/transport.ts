import { compressValue } from './compression.js';
import { CacheError } from './errors.js';
import type { MemjsClient, MemjsServer } from './memjs-client.js';
import { Opcode } from './protocol.js';
import { now } from './transport/clock.js';
import { Connection, type ConnectionOwner } from './transport/connection.js';
import { EMPTY, type ReplyCallback, Request } from './transport/request.js';

export { now } from './transport/clock.js';
export type { ReplyCallback } from './transport/request.js';

/**
 * memjs wraps its request counter with `seq &= 0xffffffff`, which turns negative after 2^31
 * requests; every request then throws when memjs writes the opaque field. The transport assigns
 * sequence numbers itself and keeps them in 1 ..= 2^31 - 1.
 */
const MAX_SEQ = 0x7fff_ffff;

/**
 * Sends requests through a memjs client's servers: coalesced into one or two writes per connection
 * per tick, each with a deadline, replies read by the cache itself (transport/wire.ts), and memjs'
 * hang states detected and repaired (see {@link Connection}).
 */
export class Transport implements ConnectionOwner {
  /**
   * Incremented each time queued requests are written. A request queued in the current epoch has
   * not reached the socket yet, so work started now may still share it (token lookups, I1).
   */
  epoch = 0;
  private readonly connections = new Map<MemjsServer, Connection>();
  private lastServer: MemjsServer | undefined;
  private lastConnection: Connection | undefined;
  private dirtyConnections: Connection[] = [];
  private flushScheduled = false;
  private scanTimer: NodeJS.Timeout | undefined;
  private readonly scanIntervalMs: number;
  private idleWaiters: (() => void)[] = [];
  /** A {@link noteAnswered} re-check is scheduled. */
  private idleCheck = false;
  private closed = false;

  /**
   * @param client - the memjs client whose servers carry the requests.
   * @param timeoutMs - how long a connection may leave its oldest request unanswered before it is
   *   considered stalled and reset.
   * @param compressAbove - values longer than this are stored compressed (compression.ts), since
   *   every stored value passes here; `Infinity`: never.
   */
  constructor(
    private readonly client: MemjsClient,
    private readonly timeoutMs: number,
    private readonly compressAbove = Number.POSITIVE_INFINITY,
  ) {
    // Deadlines are checked by one timer per transport, not one per request: the margin past a
    // deadline is at most this interval (5% of the timeout, between 2 and 50 ms).
    this.scanIntervalMs = Math.min(50, Math.max(2, timeoutMs / 20));
  }

  /**
   * Reads `key`; `status` is `Status.Ok` with the value or `Status.NotFound`. A read whose
   * connection fails is sent once more on a new connection, within its deadline.
   */
  get(key: string, deadline: number, callback: ReplyCallback): void {
    this.read(key, deadline, callback, true);
  }

  /** @internal {@link get}, saying whether a failed connection may be retried. */
  read(key: string, deadline: number, callback: ReplyCallback, retry: boolean): void {
    this.send(Opcode.Get, key, undefined, 0, deadline, callback, retry);
  }

  /**
   * Deletes `key`; `status` is {@link Status.Ok} when it existed, {@link Status.NotFound} when not.
   * With `cas`, only the item with that CAS is deleted ({@link Status.Exists} when it changed).
   */
  delete(key: string, deadline: number, callback: ReplyCallback, cas = 0n): void {
    this.send(Opcode.Delete, key, undefined, 0, deadline, callback, false, cas);
  }

  /**
   * Stores `value` under `key` with a set or an add, `expiry` sent as is; compressed if the cache
   * says so. A set with `cas` replaces only the item with that CAS ({@link Status.Exists} when it
   * changed, {@link Status.NotFound} when it is gone), and its reply carries the new CAS.
   */
  store(
    opcode: typeof Opcode.Set | typeof Opcode.Add,
    key: string,
    value: Uint8Array,
    expiry: number,
    deadline: number,
    callback: ReplyCallback,
    cas = 0n,
  ): void {
    const stored = value.length > this.compressAbove ? compressValue(value, this.compressAbove) : value;
    this.send(opcode, key, stored, expiry, deadline, callback, false, cas);
  }

  /** {@link ConnectionOwner.retry}: the read once more, on a new connection. */
  retry(request: Request): void {
    this.read(request.key, request.deadline, request.handOver(), false);
  }

  /** Resolves once every request sent so far has settled (replies or deadlines). */
  idle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.noteAnswered();
    });
  }

  /**
   * Refuses every later request with `E_CLOSED`: after `close()` nothing is sent (memjs would open
   * a new connection on a closed client), not even the write of a `getOrSet` whose loader finishes late.
   */
  close(): void {
    this.closed = true;
    // Called once idle (cache-core.ts): a client passed in outlives the cache, and must not keep it alive.
    for (const connection of this.connections.values()) connection.detach();
  }

  private nextSeq(): number {
    let seq = this.client.seq + 1;
    if (seq > MAX_SEQ || seq < 1) seq = 1;
    // Written back to the client: a caller sharing it must not reuse our sequence numbers.
    this.client.seq = seq;
    return seq;
  }

  private send(
    opcode: Opcode,
    key: string,
    value: Uint8Array | undefined,
    expiry: number,
    deadline: number,
    callback: ReplyCallback,
    retry: boolean,
    cas = 0n,
  ): void {
    const server = this.closed ? null : this.client.server(key);
    if (server === null) {
      const error = this.closed
        ? new CacheError('E_CLOSED', 'the cache is closed')
        : new CacheError('E_CONNECTION', 'no memcached server is available');
      process.nextTick(callback, error, -1, EMPTY, 0n);
      return;
    }
    let connection: Connection | undefined;
    if (server === this.lastServer) {
      connection = this.lastConnection as Connection;
    } else {
      connection = this.connections.get(server);
      if (connection === undefined) {
        connection = new Connection(server, this);
        this.connections.set(server, connection);
      }
      this.lastServer = server;
      this.lastConnection = connection;
    }
    const request = new Request(this.nextSeq(), opcode, key, value, expiry, deadline, callback, retry, cas);
    if (connection.enqueue(request)) {
      this.write([connection]);
    } else {
      this.markDirty(connection);
    }
  }

  /** {@link ConnectionOwner.markDirty}. */
  markDirty(connection: Connection): void {
    if (!connection.dirty) {
      connection.dirty = true;
      this.dirtyConnections.push(connection);
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // After the current microtasks: every request started in this tick shares the write.
      process.nextTick(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    const dirty = this.dirtyConnections;
    this.dirtyConnections = [];
    for (const connection of dirty) connection.decayPeak();
    this.write(dirty);
  };

  /** Writes the connections' queues: work started from now on can no longer share them. */
  private write(connections: readonly Connection[]): void {
    this.epoch += 1;
    const time = now();
    for (const connection of connections) connection.flush(time);
    if (this.scanTimer === undefined) {
      this.scanTimer = setTimeout(this.scan, this.scanIntervalMs);
      this.scanTimer.unref();
    }
  }

  private readonly scan = (): void => {
    this.scanTimer = undefined;
    const time = now();
    for (const connection of this.connections.values()) connection.scan(time, this.timeoutMs);
    if (this.busy()) {
      this.scanTimer = setTimeout(this.scan, this.scanIntervalMs);
      this.scanTimer.unref();
    }
    this.noteAnswered();
  };

  /**
   * {@link ConnectionOwner.noteAnswered}: wakes {@link idle} waiters once nothing is pending —
   * checked again after the current callbacks, promise reactions and ticks have run (setImmediate):
   * a reply's handling may send a request that follows from it (a lock release after a lock was
   * won), and `close()` must wait for that too.
   */
  noteAnswered(): void {
    if (this.idleWaiters.length === 0 || this.idleCheck || this.busy()) return;
    this.idleCheck = true;
    setImmediate(() => {
      this.idleCheck = false;
      if (this.busy()) return; // whatever is pending now calls back here when it settles
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    });
  }

  private busy(): boolean {
    for (const connection of this.connections.values()) if (connection.busy()) return true;
    return false;
  }
}
