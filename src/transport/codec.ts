import type { Request } from './request.js';

/** What a codec found in the bytes of one reply. */
export interface Reply {
  /** A protocol-neutral status (protocol.ts `Status`). */
  status: number;
  /** The value: `buffer[valueStart, valueEnd)` (empty when equal). */
  valueStart: number;
  valueEnd: number;
  /** The item's CAS when the request asked for it, else 0n. */
  cas: bigint;
  /** With {@link INCOMPLETE}: how many bytes from `offset` the reply needs at least (0: unknown). */
  need: number;
  /**
   * With {@link INCOMPLETE}: how many bytes from `offset` the codec is done with (a shared line's
   * values read so far): they are not kept, and parsing resumes after them.
   */
  consumed: number;
  /** With {@link INVALID}: why the bytes are not an answer to the request. */
  problem: string;
  /**
   * A shared command failed as a whole (a proxy refuses a multi-key get when one of its servers is
   * down): its reads are sent again one by one, so that the keys of the other servers are served.
   */
  lineFailed: boolean;
}

/** {@link Codec.parse}: more bytes are needed. */
export const INCOMPLETE = -1;
/** {@link Codec.parse}: the bytes are not a reply to the request. */
export const INVALID = -2;

/**
 * One wire protocol: how a request is written and how its reply is read. A codec keeps no state
 * between calls; the connection owns the socket, the order of requests and every failure.
 */
export interface Codec {
  readonly name: 'meta' | 'text' | 'binary';
  /**
   * Whether a `delete` can carry a CAS, and whether an `add`'s reply carries the new item's CAS.
   * Text can do neither: the transport then reads the CAS with a get (see Transport).
   */
  readonly casOnWrite: boolean;
  /** The bytes `request` takes on the wire. */
  length(request: Request): number;
  /**
   * Lets requests written together share commands, once they are measured one by one: marks their
   * {@link Request.inBatch}, measures them again (`wireLength`) and returns the new total length.
   */
  batch?(requests: readonly Request[], total: number): number;
  /** Writes `request` at `offset` and returns where the next request starts. */
  encode(target: Buffer, offset: number, request: Request): number;
  /**
   * Reads the reply to `request` starting at `buffer[offset]` (bytes up to `end` have arrived):
   * returns where the reply ends, {@link INCOMPLETE} or {@link INVALID}, and fills `reply`.
   */
  parse(buffer: Buffer, offset: number, end: number, request: Request, reply: Reply): number;
}

const CR = 13;
const LF = 10;
/** The byte that separates tokens on a text or meta reply line. */
export const SPACE = 32;

/** Where the line starting at `offset` ends (the index of its `\r`), or -1 when it has not all arrived. */
export function lineEnd(buffer: Buffer, offset: number, end: number): number {
  const lf = buffer.indexOf(LF, offset);
  if (lf < 0 || lf >= end) return -1;
  return lf > offset && buffer[lf - 1] === CR ? lf - 1 : -2;
}

/** A non-negative decimal integer at `buffer[start, stop)`, or -1. */
export function decimalAt(buffer: Buffer, start: number, stop: number): number {
  if (start >= stop || stop - start > 15) return -1;
  let value = 0;
  for (let index = start; index < stop; index += 1) {
    const digit = (buffer[index] as number) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** A CAS (an unsigned 64-bit decimal) at `buffer[start, stop)`, or -1n. */
export function casAt(buffer: Buffer, start: number, stop: number): bigint {
  if (start >= stop || stop - start > 20) return -1n;
  for (let index = start; index < stop; index += 1) {
    const code = buffer[index] as number;
    if (code < 48 || code > 57) return -1n;
  }
  return BigInt(buffer.toString('latin1', start, stop));
}

/**
 * memcached's largest item size (`-I`) is 1 GiB: a longer value is not a reply, and waiting for
 * its bytes would only end at the deadline.
 */
export const MAX_VALUE_LENGTH = 2 ** 30;

/** A reply line longer than this without its end is not memcached's. */
const MAX_LINE = 1024;

/**
 * The end (the `\r`) of the reply line of a text-framed protocol starting at `offset`, or
 * {@link INCOMPLETE} while it has not all arrived, or {@link INVALID} when it cannot be a reply line.
 */
export function replyLine(buffer: Buffer, offset: number, end: number, reply: Reply, protocol: string): number {
  const first = buffer[offset] as number;
  // Every meta and text reply starts with a capital letter: anything else (a binary frame, say)
  // may never bring a line end, and must not be waited for until the deadline.
  if (first < 0x41 || first > 0x5a) return invalid(reply, `not a ${protocol} reply: ${excerpt(buffer, offset, end)}`);
  const stop = lineEnd(buffer, offset, end);
  if (stop === -1) {
    reply.need = 0;
    return end - offset > MAX_LINE ? invalid(reply, 'a reply line without an end') : INCOMPLETE;
  }
  if (stop === -2 || stop - offset < 2)
    return invalid(reply, `not a ${protocol} reply: ${excerpt(buffer, offset, end)}`);
  return stop;
}

/** Fills `reply` for a reply without a value; returns `next`. */
export function answered(reply: Reply, status: number, next: number, cas = 0n): number {
  reply.status = status;
  reply.valueStart = 0;
  reply.valueEnd = 0;
  reply.cas = cas;
  return next;
}

/** Fills `reply.problem`; returns {@link INVALID}. */
export function invalid(reply: Reply, problem: string): number {
  reply.problem = problem;
  return INVALID;
}

/** A printable excerpt of a reply line, for error messages. */
export function excerpt(buffer: Buffer, offset: number, end: number): string {
  const stop = Math.min(end, offset + 60);
  return JSON.stringify(buffer.toString('latin1', offset, stop));
}

/**
 * `length` and `encode` of a text-framed protocol (meta, text): a header line, then the value and
 * `\r\n` for a store. The header is made once, when the request is measured.
 */
export function lineFramed(header: (request: Request) => string): Pick<Codec, 'length' | 'encode'> {
  return {
    length(request) {
      request.head = header(request);
      const value = request.value;
      return request.head.length + (value === undefined ? 0 : value.length + 2);
    },
    encode(target, offset, request) {
      let at = offset + target.write(request.head, offset, 'latin1');
      const value = request.value;
      if (value !== undefined) {
        target.set(value, at);
        at += value.length;
        target[at] = 13;
        target[at + 1] = 10;
        at += 2;
      }
      return at;
    },
  };
}
