import type { Socket } from 'node:net';
import { CacheError } from '../errors.js';
import type { MemjsServer } from '../memjs-client.js';
import { Opcode, requestLength, writeRequest } from '../protocol.js';
import { now } from './clock.js';
import { EMPTY, type Request } from './request.js';
import { Wire, type WireUser } from './wire.js';

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

/** Sockets that have emitted 'close' (and whose memjs handler has therefore run). */
const closedSockets = new WeakSet<Socket>();

function timeoutError(): CacheError {
  return new CacheError('E_TIMEOUT', 'memcached did not answer before the deadline');
}

/** What a connection needs of its transport. */
export interface ConnectionOwner {
  /** Schedules a write of the connection's queue at the end of this tick. */
  markDirty(connection: Connection): void;
  /** Something was answered: wakes idle waiters once nothing is pending. */
  noteAnswered(): void;
  /** Sends a read again, on whatever connection its key maps to now, with the same deadline. */
  retry(request: Request): void;
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
 * - a half-received reply must not be read as the start of the next socket's stream: the frame
 *   reader is emptied whenever a socket is retired;
 * - a connection whose oldest request has gone unanswered for `timeout` is stalled (stopped server,
 *   half-open TCP): it is reset and its requests fail;
 * - a reply that is not memcached's answer to its request (magic, opcode) resets it (`E_PROTOCOL`).
 */
export class Connection implements WireUser {
  queue: Request[] = [];
  /** Written, in order; answered ones before `head` are cleared. */
  private inflight: (Request | undefined)[] = [];
  private head = 0;
  private socket: Socket | undefined;
  private waitingForClose = false;
  /** The most requests seen outstanding at once, decaying each tick: the recent concurrency. */
  private peak = 0;
  dirty = false;
  private readonly wire: Wire;

  constructor(
    readonly server: MemjsServer,
    private readonly owner: ConnectionOwner,
  ) {
    this.wire = Wire.of(server, this);
  }

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
    let length = 0;
    let last: Request | undefined;
    for (const request of batch) {
      if (request.done) continue;
      length += requestLength(request.opcode, request.key, request.value);
      last = request;
    }
    if (last === undefined) return;
    // One buffer and one write for the whole queue: a syscall per request is most of memjs' own CPU cost.
    const blob = Buffer.allocUnsafe(length);
    let offset = 0;
    for (const request of batch) {
      if (request.done) continue;
      offset = writeRequest(
        blob,
        offset,
        request.opcode,
        request.key,
        request.seq,
        request.value,
        request.expiry,
        request.cas,
      );
      request.writtenAt = time;
      this.inflight.push(request);
    }
    last.endsWrite = true;
    try {
      server.write(blob);
    } catch (error) {
      server.error(error);
      return;
    }
    if (this.socket === undefined && server._socket !== undefined) this.adopt(server._socket);
  }

  /** {@link WireUser.answer}: the oldest unanswered request normally; a later one if a reply was lost. */
  answer(opaque: number, buffer: Buffer, offset: number, end: number): boolean {
    const inflight = this.inflight;
    let index = this.head;
    if (index >= inflight.length) return false;
    let request = inflight[index] as Request;
    if (request.seq !== opaque || request.answered) {
      // memcached answers in order, so this is rare: a reply dropped on the way (the stall scan
      // fails the skipped request at its deadline), or a user's own request on a shared client.
      do index += 1;
      while (
        index < inflight.length &&
        ((inflight[index] as Request).seq !== opaque || (inflight[index] as Request).answered)
      );
      if (index === inflight.length) return false;
      request = inflight[index] as Request;
    }
    request.answered = true;
    // memjs counts one pending timeout per write and retires one per reply it parses itself; ours
    // never reach it, so retire this write's entry once its last reply is in (else memjs, whose timer
    // a client passed in keeps, would time the socket out).
    if (request.endsWrite) this.server.requestTimeouts?.shift();
    const opcode = buffer[offset + 1] as number;
    if (opcode !== request.opcode) {
      // Not memcached answering this request (an echo, another protocol, a desynchronised
      // stream): never an acknowledgement. Nothing later on this connection can be trusted either.
      const error = new CacheError(
        'E_PROTOCOL',
        `memcached ${this.server.host}:${this.server.port} sent a reply that does not answer the request (opcode 0x${opcode.toString(16)}, expected 0x${request.opcode.toString(16)})`,
      );
      request.settle(error, -1, EMPTY);
      this.reset(error);
      return true;
    }
    const valueStart = offset + 24 + (buffer[offset + 4] as number) + buffer.readUInt16BE(offset + 2);
    request.settle(
      undefined,
      buffer.readUInt16BE(offset + 6),
      valueStart < end ? buffer.subarray(valueStart, end) : EMPTY,
      // Only the fleet lock's requests use a CAS (an add, a conditional set): no BigInt for the rest.
      opcode === Opcode.Add || request.cas !== 0n ? buffer.readBigUInt64BE(offset + 16) : 0n,
    );
    this.dropAnswered();
    return true;
  }

  /** {@link WireUser.fail}: reads are retried on a new connection (within their deadline), the rest fail. */
  fail(error: CacheError): void {
    const pending = this.inflight;
    const head = this.head;
    this.inflight = [];
    this.head = 0;
    this.failWritten(pending, head, error, Number.POSITIVE_INFINITY);
  }

  /**
   * Fails `pending[head..]`. Reads are retried on a new connection, within their deadline, when the
   * connection failed, or when it stalled but they were written after `writtenAfter` (they are not
   * what stalled).
   */
  private failWritten(
    pending: readonly (Request | undefined)[],
    head: number,
    error: CacheError,
    writtenAfter: number,
  ): void {
    for (let index = head; index < pending.length; index += 1) {
      const request = pending[index] as Request;
      if (request.answered) continue;
      request.answered = true;
      const innocent = error.code === 'E_CONNECTION' || request.writtenAt > writtenAfter;
      if (request.retry && !request.done && innocent && now() < request.deadline) {
        // The connection failed under the read (server restarted, connection reset), or stalled
        // behind older requests: once more, on a new one.
        this.owner.retry(request);
      } else {
        request.settle(error, -1, EMPTY);
      }
    }
    this.owner.noteAnswered();
  }

  /** Lets go of the memjs server's wire: the cache is closed and idle. */
  detach(): void {
    this.wire.remove(this);
  }

  /** {@link WireUser.corrupt}. */
  corrupt(error: CacheError): void {
    this.reset(error);
  }

  private adopt(socket: Socket): void {
    this.socket = socket;
    socket.once('close', () => {
      closedSockets.add(socket);
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.wire.reader.reset();
      // memjs registers no error for a close without an error: its callbacks would wait forever.
      if (this.head < this.inflight.length) {
        this.server.error(new CacheError('E_CONNECTION', 'memcached closed the connection'));
      }
      if (this.queue.length > 0) this.owner.markDirty(this);
    });
  }

  private retireSocket(): void {
    const old = this.socket ?? this.server._socket;
    this.socket = undefined;
    this.wire.reader.reset();
    if (old === undefined) return;
    if (!old.destroyed) old.destroy();
    // `socket.closed` turns true before 'close' is emitted, and memjs' handler runs on the event:
    // only the event itself says the old socket can no longer clear the next one.
    if (closedSockets.has(old)) return;
    this.waitingForClose = true;
    old.once('close', () => {
      closedSockets.add(old);
      this.waitingForClose = false;
      this.wire.reader.reset();
      if (this.queue.length > 0) this.owner.markDirty(this);
    });
  }

  private dropAnswered(): void {
    const inflight = this.inflight;
    let head = this.head;
    while (head < inflight.length && (inflight[head] as Request).answered) {
      // Under steady load the list never empties: a request left in it would keep its callback, and
      // through it the caller's promise and value, alive (measured: 30% of CPU in GC at 10 KB).
      inflight[head] = undefined;
      head += 1;
    }
    if (head === inflight.length) {
      inflight.length = 0;
      head = 0;
    } else if (head > 1024 && head * 2 > inflight.length) {
      this.inflight = inflight.slice(head);
      head = 0;
    }
    this.head = head;
    this.owner.noteAnswered();
  }

  /** Fails what passed its deadline; resets the connection when it has stalled. */
  scan(time: number, timeoutMs: number): void {
    for (const request of this.queue) {
      if (!request.done && request.deadline <= time) request.settle(timeoutError(), -1, EMPTY);
    }
    const oldest = this.inflight[this.head];
    if (oldest !== undefined && oldest.writtenAt + timeoutMs <= time) {
      const error = new CacheError('E_TIMEOUT', `memcached ${this.server.host}:${this.server.port} stopped answering`);
      // A read written less than `timeout` ago has not stalled: it only queued behind one that did
      // (e.g. sent right after a call settled at its deadline, a scan before the stall was seen).
      // Retired first, so that its retry waits for the new socket instead of joining the stalled one.
      const pending = this.inflight;
      const head = this.head;
      this.inflight = [];
      this.head = 0;
      this.reset(error);
      this.failWritten(pending, head, error, time - timeoutMs);
      return;
    }
    for (let index = this.head; index < this.inflight.length; index += 1) {
      const request = this.inflight[index] as Request;
      if (!request.done && request.deadline <= time) request.settle(timeoutError(), -1, EMPTY);
    }
  }

  /** Fails every request on the connection with `error` and starts a new socket for the next ones. */
  reset(error: CacheError): void {
    // memjs fails its own callbacks and destroys its socket, the wire fails ours (see Wire);
    // retiring the socket keeps the next one from being clobbered by its `close`.
    this.server.error(error);
    this.retireSocket();
  }
}
