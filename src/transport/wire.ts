import { CacheError, toCacheError } from '../errors.js';
import type { MemjsServer } from '../memjs-client.js';
import { FrameReader } from './frames.js';

/**
 * What a {@link Wire} needs of each cache connection using its server. Part of the interface that
 * copies of the library share: errors may come from the other copy's `CacheError` class (match on
 * `code`).
 */
export interface WireUser {
  /** Takes the frame if it answers one of this connection's requests (matched by `opaque`). */
  answer(opaque: number, buffer: Buffer, offset: number, end: number): boolean;
  /** The socket failed: every request written and unanswered fails with `error`. */
  fail(error: CacheError): void;
  /** The stream is not memcached (or out of step): reset the connection with `error`. */
  corrupt(error: CacheError): void;
}

/**
 * The reply path installed on a memjs server, as every copy of this library sees it. An
 * application can load two copies (the ES module build and the CommonJS one, or two versions),
 * and both may use one memjs client: the first installs the wire and the second joins it — two
 * `responseHandler`s would take each other's replies. So the wire is kept on the server object
 * under a process-wide symbol, and what the copies use of each other is this small structural
 * interface, versioned by the symbol's name: a change to it needs a new name *and* must keep
 * serving the users of the old one.
 */
export interface Wire {
  /** Offers the server's frames to `user` too (a cache connection using this server). */
  add(user: WireUser): void;
  /** Stops offering frames to `user` (its cache closed). */
  remove(user: WireUser): void;
  /** The frame reader: `reset()` drops a half-read frame when the socket is replaced. */
  readonly reader: { reset(): void };
}

const WIRE = Symbol.for('memjs-namespaces.wire.v1');

/** The wire of `server`, installed on first use; one per server, shared by every cache using it. */
export const Wire = {
  of(server: MemjsServer, user: WireUser): Wire {
    const holder = server as unknown as { [WIRE]?: Wire };
    const wire = holder[WIRE] ?? new ServerWire(server);
    // Not enumerable: nothing that lists or copies the server's fields sees it.
    if (holder[WIRE] === undefined) Object.defineProperty(server, WIRE, { value: wire, configurable: true });
    wire.add(user);
    return wire;
  },
};

/**
 * The reply path of one memjs `Server`, taken over from memjs: the cache reads the socket's frames
 * itself (see {@link FrameReader}) and hands each to the cache connection whose request it answers,
 * in place, without memjs' per-chunk copy, parse object and callback map.
 *
 * Frames that answer no cache request — the replies to a user's own calls on a client passed in,
 * SASL — are rebuilt as memjs' parse object and given to memjs exactly as its own `responseHandler`
 * would, so that its callbacks still get their own replies. memjs calls `self.responseHandler(chunk)`
 * and `self.error(err)` through the instance, which is what lets the cache install its own on it.
 */
class ServerWire implements Wire {
  private readonly users: WireUser[] = [];
  readonly reader: FrameReader;

  constructor(private readonly server: MemjsServer) {
    this.reader = new FrameReader(this.onFrame, this.onGarbage);
    server.responseHandler = (chunk: Buffer) => this.reader.push(chunk);
    const memjsError = server.error;
    // memjs' error path (socket error, its own timers) fails memjs' callbacks; ours are not in its maps.
    server.error = (error: unknown) => {
      memjsError.call(server, error);
      this.reader.reset();
      const cacheError = toCacheError(error);
      for (const user of [...this.users]) user.fail(cacheError);
    };
  }

  add(user: WireUser): void {
    this.users.push(user);
  }

  /**
   * Stops offering frames to `user` (its cache closed). The wire itself stays installed: the
   * client may carry on, and a frame half read by the wire cannot be handed back to memjs' parser.
   */
  remove(user: WireUser): void {
    const index = this.users.indexOf(user);
    if (index >= 0) this.users.splice(index, 1);
  }

  private readonly onFrame = (buffer: Buffer, offset: number, end: number): void => {
    const opaque = buffer.readUInt32BE(offset + 12);
    const users = this.users;
    for (let index = 0; index < users.length; index += 1) {
      if ((users[index] as WireUser).answer(opaque, buffer, offset, end)) return;
    }
    this.toMemjs(buffer, offset, end);
  };

  private readonly onGarbage = (what: string): void => {
    const error = new CacheError(
      'E_PROTOCOL',
      `memcached ${this.server.host}:${this.server.port} sent bytes that are not a memcached reply (${what})`,
    );
    if (this.users.length === 0) this.server.error(error);
    else for (const user of [...this.users]) user.corrupt(error);
  };

  /** What memjs' `responseHandler` does with a frame (memjs/lib/memjs/server.js, 1.3.2). */
  private toMemjs(buffer: Buffer, offset: number, end: number): void {
    const server = this.server;
    const keyLength = buffer.readUInt16BE(offset + 2);
    const extrasLength = buffer[offset + 4] as number;
    const header = {
      magic: buffer[offset] as number,
      opcode: buffer[offset + 1] as number,
      keyLength,
      extrasLength,
      dataType: buffer[offset + 5] as number,
      status: buffer.readUInt16BE(offset + 6),
      totalBodyLength: end - offset - 24,
      opaque: buffer.readUInt32BE(offset + 12),
      cas: buffer.subarray(offset + 16, offset + 24),
    };
    const keyStart = offset + 24 + extrasLength;
    const response = {
      header,
      extras: buffer.subarray(offset + 24, keyStart),
      key: buffer.subarray(keyStart, keyStart + keyLength),
      val: buffer.subarray(keyStart + keyLength, end),
    };
    try {
      if (header.opcode === 0x20) server.saslAuth();
      else if (header.status === 0x20) server.error('Memcached server authentication failed!');
      else if (header.opcode === 0x21) server.emit('authenticated');
      else server.respond(response);
    } catch (thrown) {
      // A user callback threw: surface it without abandoning the rest of the chunk.
      queueMicrotask(() => {
        throw thrown;
      });
    }
  }
}
