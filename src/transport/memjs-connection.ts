import type { Socket } from 'node:net';
import { CacheError } from '../errors.js';
import type { MemjsServer } from '../memjs-client.js';
import { Opcode, requestLength, writeRequest } from '../protocol.js';
import { type ConnectionOwner, Pipeline } from './pipeline.js';
import { EMPTY, type Request } from './request.js';
import { Wire, type WireUser } from './wire.js';

/** Sockets that have emitted 'close' (and whose memjs handler has therefore run). */
const closedSockets = new WeakSet<Socket>();

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
export class MemjsConnection extends Pipeline implements WireUser {
  private socket: Socket | undefined;
  private waitingForClose = false;
  private readonly wire: Wire;
  readonly label: string;

  constructor(
    readonly server: MemjsServer,
    owner: ConnectionOwner,
  ) {
    super(owner);
    this.label = `${server.host}:${server.port}`;
    this.wire = Wire.of(server, this);
  }

  override flush(time: number): void {
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
    // memjs counts one pending timeout per write and retires one per reply it parses itself; ours
    // never reach it, so retire this write's entry once its last reply is in (else memjs, whose timer
    // a client passed in keeps, would time the socket out).
    if (request.endsWrite) this.server.requestTimeouts?.shift();
    const opcode = buffer[offset + 1] as number;
    if (opcode !== request.opcode) {
      request.answered = true;
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
    this.settleReply(
      request,
      buffer.readUInt16BE(offset + 6),
      valueStart < end ? buffer.subarray(valueStart, end) : EMPTY,
      // Only the fleet lock's requests use a CAS (an add, a conditional set): no BigInt for the rest.
      opcode === Opcode.Add || request.cas !== 0n || request.withCas ? buffer.readBigUInt64BE(offset + 16) : 0n,
    );
    return true;
  }

  /** {@link WireUser.fail}: reads are retried on a new connection (within their deadline), the rest fail. */
  fail(error: CacheError): void {
    this.failInflight(error);
  }

  /** Lets go of the memjs server's wire: the cache is closed and idle. */
  override detach(): void {
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

  /** Fails every request on the connection with `error` and starts a new socket for the next ones. */
  override reset(error: CacheError): void {
    // memjs fails its own callbacks and destroys its socket, the wire fails ours (see Wire);
    // retiring the socket keeps the next one from being clobbered by its `close`.
    this.server.error(error);
    this.retireSocket();
  }
}
