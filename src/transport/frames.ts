import { HEADER_LENGTH, RESPONSE_MAGIC } from '../protocol.js';

/**
 * Receives each complete reply frame: `buffer[offset, end)` holds its 24-byte header and its body.
 * The bytes stay valid after the call (socket chunks are never reused), so a value may be kept as a view.
 */
export type FrameHandler = (buffer: Buffer, offset: number, end: number) => void;

/**
 * Told when a header cannot start a memcached response (first byte not 0x81, or a body longer than
 * any item): the stream is not memcached, or not in step. The reader has already dropped it.
 */
export type GarbageHandler = (what: string) => void;

/** memcached's largest item size (`-I`) is 1 GiB; a longer body is not a reply. */
const MAX_BODY_LENGTH = 2 ** 30 + 2 ** 16;

/** Why a header cannot be a reply's, or `undefined` when it can. */
function invalid(header: Buffer, offset: number): string | undefined {
  const magic = header[offset] as number;
  if (magic !== RESPONSE_MAGIC) return `magic 0x${magic.toString(16)}`;
  const bodyLength = header.readUInt32BE(offset + 8);
  return bodyLength > MAX_BODY_LENGTH ? `body of ${bodyLength} bytes` : undefined;
}

/**
 * Splits the bytes of one connection into memcached binary-protocol frames as they arrive.
 *
 * memjs appends every socket chunk to one buffer by copying both (`appendToBuffer`): a 1 MB reply in
 * 64 KB chunks is copied ~16 times, quadratic in its size, and every reply becomes a parse object.
 * Here frames that lie within a chunk are handed over in place; only a frame split across chunks is
 * copied, once, into a buffer of exactly its size.
 */
export class FrameReader {
  /** The frame being assembled, once its header is known. */
  private pending: Buffer | undefined;
  /** How many bytes of the frame being assembled have arrived (0: none is). */
  private filled = 0;
  /** The start of a header split across chunks. */
  private readonly header = Buffer.allocUnsafe(HEADER_LENGTH);
  /** Incremented by {@link reset}: frames of a chunk read before a reset are dropped. */
  private epoch = 0;

  constructor(
    private readonly onFrame: FrameHandler,
    private readonly onGarbage: GarbageHandler,
  ) {}

  /** Forgets any partial frame: the socket it came from is gone, and its rest will never come. */
  reset(): void {
    this.pending = undefined;
    this.filled = 0;
    this.epoch += 1;
  }

  /** Reads a socket chunk; frames are handed to the handler in order. */
  push(chunk: Buffer): void {
    const epoch = this.epoch;
    let offset = 0;
    if (this.filled > 0) {
      offset = this.complete(chunk);
      if (offset < 0) return;
      const frame = this.pending as Buffer;
      this.pending = undefined;
      this.filled = 0;
      this.onFrame(frame, 0, frame.length);
      if (this.epoch !== epoch) return;
    }
    const length = chunk.length;
    while (length - offset >= HEADER_LENGTH) {
      const problem = invalid(chunk, offset);
      if (problem !== undefined) {
        this.garbage(problem);
        return;
      }
      const end = offset + HEADER_LENGTH + chunk.readUInt32BE(offset + 8);
      if (end > length) break;
      this.onFrame(chunk, offset, end);
      // A handler that found the stream broken has reset it: the rest of the chunk is not to be trusted.
      if (this.epoch !== epoch) return;
      offset = end;
    }
    if (offset < length) this.keep(chunk, offset);
  }

  private garbage(what: string): void {
    this.reset();
    this.onGarbage(what);
  }

  /** Starts assembling the frame that begins at `offset` and does not end in this chunk. */
  private keep(chunk: Buffer, offset: number): void {
    const rest = chunk.length - offset;
    if (rest >= HEADER_LENGTH) {
      this.pending = Buffer.allocUnsafe(HEADER_LENGTH + chunk.readUInt32BE(offset + 8));
      chunk.copy(this.pending, 0, offset);
    } else {
      chunk.copy(this.header, 0, offset);
    }
    this.filled = rest;
  }

  /**
   * Adds the start of `chunk` to the frame being assembled: where the rest of the chunk begins once
   * the frame is complete, or -1 when the whole chunk went into it and more is needed.
   */
  private complete(chunk: Buffer): number {
    let offset = 0;
    if (this.pending === undefined) {
      offset = Math.min(HEADER_LENGTH - this.filled, chunk.length);
      chunk.copy(this.header, this.filled, 0, offset);
      this.filled += offset;
      if (this.filled < HEADER_LENGTH) return -1;
      const problem = invalid(this.header, 0);
      if (problem !== undefined) {
        this.garbage(problem);
        return -1;
      }
      this.pending = Buffer.allocUnsafe(HEADER_LENGTH + this.header.readUInt32BE(8));
      this.header.copy(this.pending, 0);
    }
    const pending = this.pending;
    const take = Math.min(pending.length - this.filled, chunk.length - offset);
    chunk.copy(pending, this.filled, offset, offset + take);
    this.filled += take;
    return this.filled < pending.length ? -1 : offset + take;
  }
}
