import { compressValue } from './compression.js';
import { CacheError } from './errors.js';
import { Opcode, Status } from './protocol.js';
import { now } from './transport/clock.js';
import type { ConnectionOwner, Pipeline } from './transport/pipeline.js';
import { EMPTY, type ReplyCallback, Request } from './transport/request.js';

export { now } from './transport/clock.js';
export type { ReplyCallback } from './transport/request.js';

/**
 * An expiry past 30 days is an absolute Unix time to memcached: this one, in January 1970, makes an
 * item that is expired as soon as it is stored.
 */
const EXPIRED_ON_ARRIVAL = 2_592_001;

/** The wire protocols the cache speaks. */
export type ProtocolName = 'meta' | 'text' | 'binary';

/** The connections a transport sends through: memjs' servers, or sockets of the cache's own. */
export interface Connections {
  /** The protocol spoken (for observability); own connections say what they detected. */
  readonly protocol: ProtocolName;
  /** The connection `key` goes to, or `null` when no server is available. */
  connectionFor(key: string): Pipeline | null;
  all(): Iterable<Pipeline>;
  /** Whether a delete can carry a CAS and an add's reply carries one (not on text). */
  readonly casOnWrite: boolean;
  /** The next request's sequence number (its opaque). */
  nextSeq(): number;
  /** Ends the connections; called once nothing is in flight. */
  close(): void;
}

/**
 * Sends requests through a set of connections, whatever protocol they speak: coalesced into one
 * or two writes per connection per tick, each with a deadline checked by one timer, reads retried
 * once on a new connection, and `idle()` for `close()`. Everything above it sees one interface.
 */
export class Transport implements ConnectionOwner {
  /**
   * Incremented each time queued requests are written. A request queued in the current epoch has
   * not reached the socket yet, so work started now may still share it (token lookups, I1).
   */
  epoch = 0;
  private readonly connections: Connections;
  private dirtyConnections: Pipeline[] = [];
  private flushScheduled = false;
  private scanTimer: NodeJS.Timeout | undefined;
  private readonly scanIntervalMs: number;
  private idleWaiters: (() => void)[] = [];
  /** A {@link noteAnswered} re-check is scheduled. */
  private idleCheck = false;
  private closed = false;

  /**
   * @param connect - makes the connections the requests go through, told about this transport.
   * @param timeoutMs - how long a connection may leave its oldest request unanswered before it is
   *   considered stalled and reset.
   * @param compressAbove - values longer than this are stored compressed (compression.ts), since
   *   every stored value passes here; `Infinity`: never.
   */
  constructor(
    connect: (owner: ConnectionOwner) => Connections,
    private readonly timeoutMs: number,
    private readonly compressAbove = Number.POSITIVE_INFINITY,
  ) {
    this.connections = connect(this);
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

  /**
   * Whether {@link getOrStub} is spoken: the meta protocol's `mg … N`. Text and binary take a
   * key's fleet lock with an `add` instead.
   */
  get stubs(): boolean {
    return this.connections.protocol === 'meta';
  }

  /**
   * Reads `key`, and on a miss creates an empty stub of `ttl` seconds in its place (meta `mg … N`):
   * {@link Status.WonStub} with the stub's CAS for the one reader in the fleet that created it;
   * others read the stub as an empty value. Never re-sent: a reply lost with its connection may
   * have created a stub, and a second read would find it held by nobody.
   */
  getOrStub(key: string, ttl: number, deadline: number, callback: ReplyCallback): void {
    this.send(Opcode.Get, key, undefined, ttl, deadline, callback, false, 0n, true);
  }

  /** Reads `key` with its CAS (the callback's `cas`). */
  getWithCas(key: string, deadline: number, callback: ReplyCallback): void {
    this.read(key, deadline, callback, true, true);
  }

  /** @internal {@link get}, saying whether a failed connection may be retried. */
  read(key: string, deadline: number, callback: ReplyCallback, retry: boolean, withCas = false): void {
    this.send(Opcode.Get, key, undefined, 0, deadline, callback, retry, 0n, withCas);
  }

  /**
   * Deletes `key`; `status` is {@link Status.Ok} when it existed, {@link Status.NotFound} when not.
   * With `cas`, only the item with that CAS is deleted ({@link Status.Exists} when it changed).
   */
  delete(key: string, deadline: number, callback: ReplyCallback, cas = 0n): void {
    if (cas !== 0n && !this.connections.casOnWrite) {
      this.compareAndDelete(key, deadline, callback, cas);
      return;
    }
    this.send(Opcode.Delete, key, undefined, 0, deadline, callback, false, cas);
  }

  /**
   * The text protocol has no delete by CAS: a `cas` of an empty item that is stored already expired
   * (an absolute expiry in 1970, which proxies pass on, where a negative one makes twemproxy drop the
   * connection) deletes the item only if it still has `cas`, in one command.
   */
  private compareAndDelete(key: string, deadline: number, callback: ReplyCallback, cas: bigint): void {
    this.send(Opcode.Set, key, EMPTY, EXPIRED_ON_ARRIVAL, deadline, callback, false, cas);
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
    if ((opcode === Opcode.Add || cas !== 0n) && !this.connections.casOnWrite) {
      // The text protocol's add and cas say nothing of the item's new CAS: read it (the fleet lock's
      // renewal and release need it). A missing key's lock is at its data key, which a `set` may
      // replace in between: the CAS is the item's only if the item is still what was stored, else
      // the write counts as lost to another (Exists) — never adopt the CAS of someone else's value.
      this.send(
        opcode,
        key,
        stored,
        expiry,
        deadline,
        (error, status) => {
          if (error !== undefined || status !== Status.Ok) callback(error, status, EMPTY, 0n);
          else
            this.getWithCas(key, deadline, (readError, readStatus, value, current) => {
              if (readError !== undefined) return callback(readError, -1, EMPTY, 0n);
              const ours = readStatus === Status.Ok && value.equals(stored);
              callback(undefined, ours ? Status.Ok : Status.Exists, EMPTY, ours ? current : 0n);
            });
        },
        false,
        cas,
      );
      return;
    }
    this.send(opcode, key, stored, expiry, deadline, callback, false, cas);
  }

  /** {@link ConnectionOwner.retry}: the read once more, on a new connection. */
  retry(request: Request): void {
    this.read(request.key, request.deadline, request.handOver(), false, request.withCas);
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
    // Called once idle (cache-core.ts).
    this.connections.close();
  }

  /** The protocol the connections speak. */
  get protocol(): ProtocolName {
    return this.connections.protocol;
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
    withCas = false,
  ): void {
    const connection = this.closed ? null : this.connections.connectionFor(key);
    if (connection === null) {
      const error = this.closed
        ? new CacheError('E_CLOSED', 'the cache is closed')
        : new CacheError('E_CONNECTION', 'no memcached server is available');
      process.nextTick(callback, error, -1, EMPTY, 0n);
      return;
    }
    const request = new Request(
      this.connections.nextSeq(),
      opcode,
      key,
      value,
      expiry,
      deadline,
      callback,
      retry,
      cas,
      withCas,
    );
    if (connection.enqueue(request)) {
      this.write([connection]);
    } else {
      this.markDirty(connection);
    }
  }

  /** {@link ConnectionOwner.markDirty}. */
  markDirty(connection: Pipeline): void {
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
  private write(connections: readonly Pipeline[]): void {
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
    for (const connection of this.connections.all()) connection.scan(time, this.timeoutMs);
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
    for (const connection of this.connections.all()) if (connection.busy()) return true;
    return false;
  }
}
