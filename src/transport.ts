import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { CacheError, toCacheError } from './errors.js';
import type { MemjsClient, MemjsResponse, MemjsServer } from './memjs-client.js';
import { encodeKeyRequest, encodeStoreRequest, Opcode, RESPONSE_MAGIC } from './protocol.js';

/**
 * Receives a request's outcome: a memcached status and value, or an error (then `status` is -1).
 * Called exactly once per request. `cas` is the item's CAS for an answered `add` (what a later
 * compare-and-delete needs), else 0n.
 */
export type ReplyCallback = (error: CacheError | undefined, status: number, value: Buffer, cas: bigint) => void;

const EMPTY = Buffer.alloc(0);

/**
 * memjs wraps its request counter with `seq &= 0xffffffff`, which turns negative after 2^31
 * requests; every request then throws when memjs writes the opaque field. The transport assigns
 * sequence numbers itself and keeps them in 1 ..= 2^31 - 1.
 */
const MAX_SEQ = 0x7fff_ffff;

/**
 * Coalescing a tick's requests into one write saves syscalls, most of memjs' CPU at high
 * concurrency. But at moderate concurrency it puts every request in lock-step: one write out, one
 * burst of replies back, the server idle while the client works and the other way round (measured:
 * raw memjs corked per tick loses ~20% at 16 in flight). So once a tick has queued half the
 * connection's recent peak of outstanding requests (and at least this many), they are written at
 * once and the rest at the end of the tick: the server starts on the first half while the client
 * builds the second, at one extra write per tick.
 */
const MIN_EARLY_WRITE = 8;

/** The monotonic clock deadlines are measured on, in milliseconds. */
export const now = (): number => performance.now();

/** Sockets that have emitted 'close' (and whose memjs handler has therefore run). */
const closedSockets = new WeakSet<Socket>();

function isResponse(reply: unknown): reply is MemjsResponse {
  return typeof reply === 'object' && reply !== null && 'header' in reply;
}

class Request {
  /** The callback has run (reply, error or deadline). */
  done = false;
  /** memjs delivered a reply or an error for it: it no longer occupies the connection. */
  answered = false;
  writtenAt = 0;
  readonly handle = (reply: unknown): void => this.answer(reply);

  /**
   * @param retryKey - for a first attempt at a read: its key, to send it once more if the
   *   connection fails under it. Reads are idempotent; writes are never re-sent, since a re-sent
   *   write could land after a later one (memjs' `retries` re-sends anything).
   */
  constructor(
    readonly seq: number,
    /** What a reply must echo: memcached answers each request with its own opcode. */
    private readonly opcode: Opcode,
    public bytes: Buffer | undefined,
    readonly deadline: number,
    private readonly callback: ReplyCallback,
    readonly connection: Connection,
    private readonly retryKey: string | undefined,
  ) {}

  answer(reply: unknown): void {
    this.answered = true;
    if (isResponse(reply)) {
      const { magic, opcode } = reply.header;
      if (magic === RESPONSE_MAGIC && opcode === this.opcode) {
        // Only an add's CAS is used (a lock's owner deletes it by CAS): no BigInt for other replies.
        const cas = opcode === Opcode.Add ? reply.header.cas.readBigUInt64BE(0) : 0n;
        this.settle(undefined, reply.header.status, reply.val, cas);
      } else {
        // Not memcached answering this request (an echo, another protocol, a desynchronised
        // stream): never an acknowledgement. Nothing later on this connection can be trusted either.
        const error = new CacheError(
          'E_PROTOCOL',
          `memcached ${this.connection.server.host}:${this.connection.server.port} sent a reply that does not answer the request (magic 0x${magic.toString(16)}, opcode 0x${opcode.toString(16)}, expected 0x${RESPONSE_MAGIC.toString(16)} and 0x${this.opcode.toString(16)})`,
        );
        this.settle(error, -1, EMPTY);
        this.connection.reset(error);
      }
    } else {
      const error = toCacheError(reply);
      if (this.retryKey !== undefined && !this.done && error.code === 'E_CONNECTION' && now() < this.deadline) {
        // The connection failed under the read (server restarted, connection reset): once more, on a new one.
        this.done = true;
        this.connection.transport.read(this.retryKey, this.deadline, this.callback, false);
      } else {
        this.settle(error, -1, EMPTY);
      }
    }
    this.connection.dropAnswered();
  }

  settle(error: CacheError | undefined, status: number, value: Buffer, cas = 0n): void {
    if (this.done) return;
    this.done = true;
    try {
      this.callback(error, status, value, cas);
    } catch (thrown) {
      // This runs inside memjs' reply parser: a throw there would corrupt its read buffer.
      // Re-throw outside it, so that a bug surfaces instead of hanging the connection.
      queueMicrotask(() => {
        throw thrown;
      });
    }
  }
}

function timeoutError(): CacheError {
  return new CacheError('E_TIMEOUT', 'memcached did not answer before the deadline');
}

/**
 * The cache's view of one memjs `Server` (one TCP connection): requests queued for the next write,
 * requests written and not yet answered (in write order, as memcached answers in order), and the
 * guards that keep memjs 1.3.2 from hanging:
 *
 * - a socket that closes without an error (server restart, idle close) leaves memjs' callbacks
 *   registered forever: on `close`, every unanswered request is failed;
 * - memjs' `close` handler clears `server._socket` even when a newer socket has been opened since,
 *   so requests written to that newer socket are never sent: no request is written until the
 *   previous socket has emitted `close`;
 * - memjs keeps a half-received reply in `responseBuffer` across sockets, misparsing every later
 *   reply: the buffer is emptied whenever a socket is retired;
 * - a connection whose oldest request has gone unanswered for `timeout` is stalled (stopped server,
 *   half-open TCP): it is reset and its requests fail.
 */
class Connection {
  queue: Request[] = [];
  private inflight: Request[] = [];
  private head = 0;
  private socket: Socket | undefined;
  private waitingForClose = false;
  /** The most requests seen outstanding at once, decaying each tick: the recent concurrency. */
  private peak = 0;
  dirty = false;

  constructor(
    readonly server: MemjsServer,
    readonly transport: Transport,
  ) {}

  busy(): boolean {
    return this.queue.length > 0 || this.head < this.inflight.length;
  }

  /** Queues a request; says whether the queue should be written now rather than at the end of the tick. */
  enqueue(request: Request): boolean {
    this.queue.push(request);
    const outstanding = this.queue.length + this.inflight.length - this.head;
    if (outstanding > this.peak) this.peak = outstanding;
    return this.queue.length >= MIN_EARLY_WRITE && this.queue.length * 2 >= this.peak;
  }

  /** Called once per tick: lets the recent peak fade, so the split follows a falling load. */
  decayPeak(): void {
    this.peak -= this.peak / 16;
  }

  flush(time: number): void {
    this.dirty = false;
    if (this.waitingForClose || this.queue.length === 0) return;
    const server = this.server;
    if (this.socket !== undefined && this.socket !== server._socket) {
      // memjs dropped the socket we wrote to (error, its own timeout): retire it properly first.
      this.retireSocket();
      if (this.waitingForClose) return;
    }
    const batch = this.queue;
    this.queue = [];
    const chunks: Buffer[] = [];
    let length = 0;
    for (const request of batch) {
      if (request.done || request.bytes === undefined) continue;
      server.onResponse(request.seq, request.handle);
      server.onError(request.seq, request.handle);
      request.writtenAt = time;
      this.inflight.push(request);
      chunks.push(request.bytes);
      length += request.bytes.length;
      request.bytes = undefined;
    }
    if (chunks.length === 0) return;
    try {
      // One write for the whole queue: a syscall per request is most of memjs' own CPU cost.
      server.write(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, length));
    } catch (error) {
      server.error(toCacheError(error));
      return;
    }
    if (this.socket === undefined && server._socket !== undefined) this.adopt(server._socket);
  }

  private adopt(socket: Socket): void {
    this.socket = socket;
    socket.once('close', () => {
      closedSockets.add(socket);
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.server.responseBuffer = EMPTY;
      // memjs registers no error for a close without an error: its callbacks would wait forever.
      if (this.head < this.inflight.length) {
        this.server.error(new CacheError('E_CONNECTION', 'memcached closed the connection'));
      }
      if (this.queue.length > 0) this.transport.markDirty(this);
    });
  }

  private retireSocket(): void {
    const old = this.socket ?? this.server._socket;
    this.socket = undefined;
    this.server.responseBuffer = EMPTY;
    if (old === undefined) return;
    if (!old.destroyed) old.destroy();
    // `socket.closed` turns true before 'close' is emitted, and memjs' handler runs on the event:
    // only the event itself says the old socket can no longer clear the next one.
    if (closedSockets.has(old)) return;
    this.waitingForClose = true;
    old.once('close', () => {
      closedSockets.add(old);
      this.waitingForClose = false;
      this.server.responseBuffer = EMPTY;
      if (this.queue.length > 0) this.transport.markDirty(this);
    });
  }

  dropAnswered(): void {
    const inflight = this.inflight;
    while (this.head < inflight.length && (inflight[this.head] as Request).answered) this.head += 1;
    if (this.head === inflight.length) {
      inflight.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > inflight.length) {
      this.inflight = inflight.slice(this.head);
      this.head = 0;
    }
    this.transport.noteAnswered();
  }

  /** Fails what passed its deadline; resets the connection when it has stalled. */
  scan(time: number, timeoutMs: number): void {
    for (const request of this.queue) {
      if (!request.done && request.deadline <= time) request.settle(timeoutError(), -1, EMPTY);
    }
    const oldest = this.inflight[this.head];
    if (oldest !== undefined && oldest.writtenAt + timeoutMs <= time) {
      this.reset(new CacheError('E_TIMEOUT', `memcached ${this.server.host}:${this.server.port} stopped answering`));
      return;
    }
    for (let index = this.head; index < this.inflight.length; index += 1) {
      const request = this.inflight[index] as Request;
      if (!request.done && request.deadline <= time) request.settle(timeoutError(), -1, EMPTY);
    }
  }

  /** Fails every request on the connection with `error` and starts a new socket for the next ones. */
  reset(error: CacheError): void {
    // memjs fails every callback registered on the server (ours answer with `error`) and destroys
    // its socket; retiring the socket keeps the next one from being clobbered by its `close`.
    this.server.error(error);
    this.retireSocket();
    this.inflight = [];
    this.head = 0;
  }
}

/**
 * Sends requests through a memjs client's servers: coalesced into one or two writes per connection
 * per tick, each with a deadline, with memjs' hang states detected and repaired (see {@link Connection}).
 */
export class Transport {
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
   */
  constructor(
    private readonly client: MemjsClient,
    private readonly timeoutMs: number,
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
    const seq = this.nextSeq();
    this.send(key, seq, encodeKeyRequest(Opcode.Get, key, seq), deadline, callback, retry ? key : undefined);
  }

  /**
   * Deletes `key`; `status` is {@link Status.Ok} when it existed, {@link Status.NotFound} when not.
   * With `cas`, only the item with that CAS is deleted ({@link Status.Exists} when it changed).
   */
  delete(key: string, deadline: number, callback: ReplyCallback, cas = 0n): void {
    const seq = this.nextSeq();
    this.send(key, seq, encodeKeyRequest(Opcode.Delete, key, seq, cas), deadline, callback, undefined);
  }

  /** Stores `value` under `key` with a set or an add, `expiry` sent as is. */
  store(
    opcode: typeof Opcode.Set | typeof Opcode.Add,
    key: string,
    value: Uint8Array,
    expiry: number,
    deadline: number,
    callback: ReplyCallback,
  ): void {
    const seq = this.nextSeq();
    this.send(key, seq, encodeStoreRequest(opcode, key, value, expiry, seq), deadline, callback, undefined);
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
  }

  private nextSeq(): number {
    let seq = this.client.seq + 1;
    if (seq > MAX_SEQ || seq < 1) seq = 1;
    // Written back to the client: a caller sharing it must not reuse our sequence numbers.
    this.client.seq = seq;
    return seq;
  }

  private send(
    key: string,
    seq: number,
    bytes: Buffer,
    deadline: number,
    callback: ReplyCallback,
    retryKey: string | undefined,
  ): void {
    const server = this.closed ? null : this.client.server(key);
    if (server === null) {
      const error = this.closed
        ? new CacheError('E_CLOSED', 'the cache is closed')
        : new CacheError('E_CONNECTION', 'no memcached server is available');
      process.nextTick(callback, error, -1, EMPTY);
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
    if (connection.enqueue(new Request(seq, bytes[1] as Opcode, bytes, deadline, callback, connection, retryKey))) {
      this.write([connection]);
    } else {
      this.markDirty(connection);
    }
  }

  /** Schedules a write of the connection's queue at the end of this tick. */
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
   * Wakes {@link idle} waiters once nothing is pending — checked again after the current callbacks,
   * promise reactions and ticks have run (setImmediate): a reply's handling may send a request that
   * follows from it (a lock release after a lock was won), and `close()` must wait for that too.
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
