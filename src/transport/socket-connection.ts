import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { CacheError } from '../errors.js';
import { binaryCodec } from './binary.js';
import { now } from './clock.js';
import { type Codec, INCOMPLETE, INVALID, type Reply } from './codec.js';
import { backoffMs, type Endpoint, socketError, TLS_UNANSWERED_BYTES } from './endpoint.js';
import { metaCodec } from './meta.js';
import { type ConnectionOwner, Pipeline } from './pipeline.js';
import { type ProbeResult, probe } from './probe.js';
import { EMPTY, type Request } from './request.js';

/**
 * After a shared `get` line was refused, gets go one by one on the connection for this long: while a
 * proxy's server stays down, a shared line would fail (and cost a new connection) again and again.
 */
const REFUSED_LINE_COOLDOWN_MS = 30_000;

/**
 * A connection the cache opens itself (`node:net`, or `node:tls`), speaking one codec. It adds to
 * {@link Pipeline} the socket's life: connect within the deadline (a TLS handshake failure is a
 * coded error with its cause, never a fall back to plain TCP), detect the protocol once per
 * connection, reconnect with backoff, read replies in place and check each answers its request.
 */
export class SocketConnection extends Pipeline {
  readonly label: string;
  private socket: Socket | undefined;
  /** `draining`: answering what was written, writing nothing more, then a new connection. */
  private phase: 'closed' | 'connecting' | 'probing' | 'ready' | 'draining' = 'closed';
  /** Until when shared commands are not written ({@link REFUSED_LINE_COOLDOWN_MS}). */
  private batchAfter = 0;
  private codec: Codec | undefined;
  /** Detection found a server without meta: speak binary to it. */
  private fallback: Codec | undefined;
  /** Connects that failed in a row; a connection counts as made only once it answered a reply. */
  private failures = 0;
  /** This connection has answered a request: a peer that accepts and closes never does. */
  private answering = false;
  private retryAt = 0;
  private lastError: CacheError | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private backoffTimer: NodeJS.Timeout | undefined;
  /** Bytes of reply kept from earlier chunks, and how many the reply needs (0: unknown). */
  private parts: Buffer[] = [];
  private partsLength = 0;
  private need = 0;
  private readonly reply: Reply = {
    status: 0,
    valueStart: 0,
    valueEnd: 0,
    cas: 0n,
    need: 0,
    consumed: 0,
    problem: '',
    lineFailed: false,
  };
  private unansweredBytes = 0;
  private detached = false;
  /** What the server said at detection: its version, and the codec chosen. */
  detected: ProbeResult | undefined;

  constructor(
    private readonly endpoint: Endpoint,
    owner: ConnectionOwner,
  ) {
    super(owner);
    this.label = `${endpoint.host}:${endpoint.port}`;
  }

  /** The codec spoken now (or to be tried first). */
  get protocol(): Codec['name'] {
    const speech = this.endpoint.speech;
    return this.codec?.name ?? this.fallback?.name ?? (speech === 'auto' ? 'meta' : speech.name);
  }

  override enqueue(request: Request): boolean {
    const early = super.enqueue(request);
    // Over TLS every write is a record to seal and a syscall: one write per tick is cheaper there.
    return early && this.endpoint.tls === undefined;
  }

  override flush(time: number): void {
    this.dirty = false;
    if (this.queue.length === 0) return;
    if (this.phase !== 'ready') {
      if (this.phase === 'closed') this.open();
      return;
    }
    const codec = this.codec as Codec;
    const capped = this.endpoint.tls !== undefined;
    const queue = this.queue;
    let length = 0;
    let count = 0;
    const written: Request[] = [];
    for (; count < queue.length; count += 1) {
      const request = queue[count] as Request;
      if (request.done) continue;
      const size = codec.length(request);
      if (
        capped &&
        this.unansweredBytes + length + size > TLS_UNANSWERED_BYTES &&
        (length > 0 || this.unansweredBytes > 0)
      ) {
        break;
      }
      request.wireLength = size;
      length += size;
      written.push(request);
    }
    this.queue = count === queue.length ? [] : queue.slice(count);
    if (written.length === 0) return;
    // Shared commands only shorten the write: what was measured against the TLS cap still fits.
    if (codec.batch !== undefined && written.length > 1 && time >= this.batchAfter) {
      length = codec.batch(written, length);
    }
    // One buffer and one write for the whole batch: a syscall per request is most of a client's CPU.
    const blob = Buffer.allocUnsafe(length);
    let offset = 0;
    for (const request of written) {
      offset = codec.encode(blob, offset, request);
      request.writtenAt = time;
      this.inflight.push(request);
    }
    this.unansweredBytes += length;
    (this.socket as Socket).write(blob);
  }

  override reset(error: CacheError): void {
    const socket = this.socket;
    if (socket !== undefined) this.lost(socket, error, false);
  }

  override detach(): void {
    this.detached = true;
    clearTimeout(this.backoffTimer);
    clearTimeout(this.connectTimer);
    const socket = this.socket;
    this.socket = undefined;
    this.phase = 'closed';
    // Nothing is in flight (close() waits for that): end politely, and never keep the process alive.
    if (socket !== undefined) {
      socket.end();
      socket.unref();
    }
  }

  private open(): void {
    if (this.detached) return;
    const time = now();
    if (time < this.retryAt) {
      // Backing off after failed connects: what cannot wait until the next attempt fails now.
      this.failQueuedBefore(this.retryAt, this.lastError as CacheError);
      if (this.queue.length > 0 && this.backoffTimer === undefined) {
        this.backoffTimer = setTimeout(() => {
          this.backoffTimer = undefined;
          if (this.phase === 'closed' && this.queue.length > 0) this.open();
        }, this.retryAt - time);
        // Not unref'd: calls wait on it, and nothing else may be keeping the process alive until they
        // settle (detach() clears it).
      }
      return;
    }
    const { host, port, tls } = this.endpoint;
    const socket =
      tls === undefined
        ? connectTcp({ host, port, noDelay: true, keepAlive: true })
        : connectTls({ host, port, servername: isIP(host) === 0 ? host : undefined, ...tls });
    if (tls !== undefined) socket.setNoDelay(true);
    this.socket = socket;
    this.phase = 'connecting';
    this.answering = false;
    this.connectTimer = setTimeout(() => {
      this.lost(
        socket,
        new CacheError('E_TIMEOUT', `could not connect to memcached ${this.label} before the deadline`),
        true,
      );
    }, this.endpoint.timeoutMs);
    this.connectTimer.unref();
    socket.once(tls === undefined ? 'connect' : 'secureConnect', () => this.connected(socket));
    socket.on('data', (chunk: Buffer) => this.read(socket, chunk));
    socket.on('error', (error) => this.lost(socket, socketError(error, this.endpoint, this.phase), false));
    socket.on('close', () =>
      this.lost(socket, new CacheError('E_CONNECTION', `memcached ${this.label} closed the connection`), false),
    );
  }

  private connected(socket: Socket): void {
    if (this.socket !== socket) return;
    const speech = this.fallback ?? this.endpoint.speech;
    if (speech === 'auto' || speech === metaCodec) {
      // Once per connection, never per call: the version says whether meta is there.
      this.phase = 'probing';
      socket.write(probe.request);
      return;
    }
    this.ready(speech);
  }

  private ready(codec: Codec): void {
    clearTimeout(this.connectTimer);
    this.codec = codec;
    this.phase = 'ready';
    if (this.queue.length > 0) this.owner.markDirty(this);
  }

  private read(socket: Socket, chunk: Buffer): void {
    if (this.socket !== socket) return;
    let buffer = chunk;
    if (this.partsLength > 0) {
      this.parts.push(chunk);
      this.partsLength += chunk.length;
      // A large value arrives in many chunks: gathered once it is all there, never copied per chunk.
      if (this.partsLength < this.need) return;
      buffer = Buffer.concat(this.parts, this.partsLength);
      this.parts = [];
      this.partsLength = 0;
    }
    if (this.phase === 'probing') {
      this.probed(socket, buffer);
      return;
    }
    const reply = this.reply;
    const codec = this.codec as Codec;
    let offset = 0;
    while (offset < buffer.length) {
      const request = this.oldest();
      if (request === undefined) {
        this.reset(new CacheError('E_PROTOCOL', `memcached ${this.label} sent bytes nobody asked for`));
        return;
      }
      const end = codec.parse(buffer, offset, buffer.length, request, reply);
      if (end === INCOMPLETE) {
        this.keep(buffer, offset + reply.consumed, reply.need - reply.consumed);
        reply.consumed = 0;
        return;
      }
      if (end === INVALID) {
        const error = new CacheError('E_PROTOCOL', `memcached ${this.label} sent ${reply.problem}`);
        // Not memcached answering this request: never an acknowledgement, and nothing after it can be trusted.
        request.answered = true;
        request.settle(error, -1, EMPTY);
        this.reset(error);
        return;
      }
      this.unansweredBytes -= request.wireLength;
      if (request.peers !== undefined) {
        for (const peer of request.peers) this.unansweredBytes -= peer.wireLength;
      }
      if (request.peers !== undefined && reply.lineFailed) this.refusedLine();
      this.settleParsed(request, reply, buffer);
      if (!this.answering) {
        // Only now is the connect a success: resetting at `ready` let a peer that accepts and
        // closes be redialled at once, forever.
        this.answering = true;
        this.failures = 0;
      }
      // A callback may have reset the connection: the rest of this chunk belongs to no one.
      if (this.socket !== socket) return;
      offset = end;
    }
    if (this.phase === 'draining' && this.oldest() === undefined) {
      // Everything written is answered: what waits goes on a new connection.
      this.lost(socket, new CacheError('E_CONNECTION', `memcached ${this.label} refused a shared get line`), false);
      return;
    }
    if (this.queue.length > 0 && this.endpoint.tls !== undefined) this.owner.markDirty(this);
  }

  /**
   * A shared `get` line was refused as a whole: twemproxy's answer when a server of one of its keys
   * is down — and it then closes the connection, after answering what was written before. So nothing
   * more is written on it: once its replies are in, the queue (the line's gets, sent again one by
   * one, and whatever came after) goes on a new connection, without shared lines for a while.
   */
  private refusedLine(): void {
    this.batchAfter = now() + REFUSED_LINE_COOLDOWN_MS;
    if (this.phase === 'ready') this.phase = 'draining';
  }

  private keep(buffer: Buffer, offset: number, need: number): void {
    this.parts = [offset === 0 ? buffer : buffer.subarray(offset)];
    this.partsLength = buffer.length - offset;
    this.need = need;
  }

  private probed(socket: Socket, buffer: Buffer): void {
    const result = probe.read(buffer);
    if (result === undefined) {
      this.keep(buffer, 0, 0);
      return;
    }
    this.detected = result;
    const speech = this.endpoint.speech;
    if (result.meta) {
      this.ready(metaCodec);
    } else if (!result.version) {
      // Not a server without meta but a refusal (memcached at its connection limit says `ERROR Too
      // many open connections`) or not memcached: a failed connect, never a reason to speak binary
      // to this server from now on.
      this.lost(
        socket,
        new CacheError('E_PROTOCOL', `memcached ${this.label} did not answer the protocol probe: ${result.what}`),
        true,
      );
    } else if (speech === 'auto') {
      this.fallback = binaryCodec;
      this.ready(binaryCodec);
    } else {
      this.lost(
        socket,
        new CacheError('E_PROTOCOL', `memcached ${this.label} does not speak the meta protocol (${result.what})`),
        true,
      );
    }
  }

  /**
   * The socket is gone (error, close, reset, connect timeout). Written requests fail (reads are
   * retried on a new connection); queued ones wait for it, unless the connect itself failed.
   */
  private lost(socket: Socket, error: CacheError, connectFailed: boolean): void {
    if (this.socket !== socket) return;
    const phase = this.phase;
    this.socket = undefined;
    this.phase = 'closed';
    this.codec = undefined;
    clearTimeout(this.connectTimer);
    socket.destroy();
    this.parts = [];
    this.partsLength = 0;
    this.unansweredBytes = 0;
    const probeClosed =
      phase === 'probing' && this.endpoint.speech === 'auto' && this.endpoint.tls === undefined && !connectFailed;
    // A server that only speaks binary closes the connection on the text probe. But so does one
    // killed mid-probe: what detection found holds for one connection, and the next one probes again.
    this.fallback = probeClosed ? binaryCodec : undefined;
    // A connection closed before it answered anything is a failed connect: the backoff applies.
    if (!probeClosed && ((phase !== 'ready' && phase !== 'draining') || !this.answering)) {
      this.failures += 1;
      this.retryAt = now() + backoffMs(this.failures);
      this.lastError = error;
      this.failInflight(error);
      this.failQueued(error);
      return;
    }
    this.failInflight(error);
    if (this.queue.length > 0) this.owner.markDirty(this);
  }
}
