import type { CacheError } from '../errors.js';
import { keepShape } from '../keep-shapes.js';
import { Opcode } from '../protocol.js';

/**
 * The largest sequence number (meta and binary opaques): they stay in 1 ..= 2^31 - 1. memjs wraps
 * its own counter with `seq &= 0xffffffff`, which turns negative after 2^31 requests, and every
 * request then throws when memjs writes the opaque field: the transport assigns them itself.
 */
export const MAX_SEQ = 0x7fff_ffff;

/**
 * Receives a request's outcome: a memcached status and value, or an error (then `status` is -1).
 * Called exactly once per request. `value` may be a view of a socket chunk: decode or copy it before
 * keeping it. `cas` is the item's CAS for an answered `add` (what a later compare-and-delete needs),
 * else 0n.
 */
export type ReplyCallback = (error: CacheError | undefined, status: number, value: Buffer, cas: bigint) => void;

/**
 * Where a request stands in a command it shares with the requests written next to it: the text
 * protocol sends a write's consecutive gets as one multi-key `get` (text.ts).
 */
export const InBatch = { Alone: 0, First: 1, Middle: 2, Last: 3 } as const;
/** One of {@link InBatch}'s values. */
export type InBatch = (typeof InBatch)[keyof typeof InBatch];

/** The empty value: replies without one (a miss, a store) share it. */
export const EMPTY = Buffer.alloc(0);

/** One request: what to send, when it must be answered, and whom to tell. */
export class Request {
  /** The callback has run (reply, error or deadline). */
  done = false;
  /** A reply or a connection error came for it: it no longer occupies the connection. */
  answered = false;
  /** When it was written ({@link now}); 0 while queued. */
  writtenAt = 0;
  /** The last request of its write: answering it completes one memjs write (see MemjsConnection.answer). */
  endsWrite = false;
  /** Its encoded header, for text protocols between measuring and writing it. */
  head = '';
  /** The bytes it takes on the wire once written (for the TLS write cap). */
  wireLength = 0;
  /** Its place in a command shared with other requests ({@link InBatch}); text gets only. */
  inBatch: InBatch = InBatch.Alone;
  /** The first of a shared command: the others, whose replies are read with its own. */
  peers: Request[] | undefined = undefined;
  /** Its reply in a shared command, read by the first: a status (-1: none yet) and the value. */
  landedStatus = -1;
  landedValue: Buffer = EMPTY;
  /** The first of a shared command whose reply is partly read: parsing goes on where it stopped. */
  resuming = false;

  /**
   * @param retry - a first attempt at a read: sent once more if the connection fails under it.
   *   Reads are idempotent; writes are never re-sent, since a re-sent write could land after a later
   *   one (memjs' `retries` re-sends anything).
   */
  constructor(
    readonly seq: number,
    /** What a reply must echo: memcached answers each request with its own opcode. */
    readonly opcode: Opcode,
    readonly key: string,
    readonly value: Uint8Array | undefined,
    /** A store's expiry; for a meta get, the ttl of the stub it creates on a miss (0: none). */
    readonly expiry: number,
    readonly deadline: number,
    private readonly callback: ReplyCallback,
    readonly retry: boolean,
    /** For a delete or a set: only the item with this CAS (0n: any). */
    readonly cas = 0n,
    /** For a get: the reply must carry the item's CAS. */
    readonly withCas = false,
  ) {}

  settle(error: CacheError | undefined, status: number, value: Buffer, cas = 0n): void {
    if (this.done) return;
    this.done = true;
    try {
      this.callback(error, status, value, cas);
    } catch (thrown) {
      // This runs inside the reply parser: a throw there would abandon the rest of the socket chunk.
      // Re-throw outside it, so that a bug surfaces instead of hanging the connection.
      queueMicrotask(() => {
        throw thrown;
      });
    }
  }

  /** Gives the callback to a new attempt (a retried read): this one must never call it. */
  handOver(): ReplyCallback {
    this.done = true;
    return this.callback;
  }
}

// As a written request: a fractional time, a header, a size (see keep-shapes.ts).
const sample = new Request(1, Opcode.Get, 'k', undefined, 0, 0.5, () => {}, true);
sample.writtenAt = 0.5;
sample.head = 'mg k v\r\n';
sample.wireLength = 8;
sample.peers = [];
sample.landedStatus = 0;
sample.resuming = true;
keepShape(sample);
