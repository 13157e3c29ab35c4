import { Opcode, Status } from '../protocol.js';
import {
  decimalAt,
  excerpt,
  INCOMPLETE,
  INVALID,
  invalid,
  MAX_VALUE_LENGTH,
  type Reply,
  replyLine,
  SPACE,
} from './codec.js';
import { InBatch, type Request } from './request.js';
import { serverErrorStatus } from './server-error.js';

/**
 * The longest multi-key `get` line sent: memcached reads longer ones too, by a slower path for
 * "large multigets", and proxies split them by server; at ~90-byte data keys, about 20 keys a line.
 */
const MAX_BATCH_LINE = 2048;

/** A plain get: one that may share a multi-key `get` line. */
function batchable(request: Request): boolean {
  // Not a read sent again: after a shared line failed, its reads go one by one.
  return request.opcode === Opcode.Get && !request.withCas && request.retry;
}

/**
 * Marks runs of consecutive plain gets as shared `get` lines of at most {@link MAX_BATCH_LINE}
 * bytes (the first of each holds the others as its peers), measures them again with `measure`, and
 * returns the write's new length.
 */
export function batchGets(requests: readonly Request[], total: number, measure: (request: Request) => number): number {
  let length = total;
  let start = 0;
  while (start < requests.length) {
    if (!batchable(requests[start] as Request)) {
      start += 1;
      continue;
    }
    // `get` + ` key` per request + `\r\n`, within the line limit.
    let line = 6 + (requests[start] as Request).key.length;
    let end = start + 1;
    while (end < requests.length) {
      const next = requests[end] as Request;
      if (!batchable(next) || line + 1 + next.key.length > MAX_BATCH_LINE) break;
      line += 1 + next.key.length;
      end += 1;
    }
    if (end - start > 1) {
      (requests[start] as Request).peers = requests.slice(start + 1, end);
      for (let index = start; index < end; index += 1) {
        const request = requests[index] as Request;
        request.inBatch = index === start ? InBatch.First : index === end - 1 ? InBatch.Last : InBatch.Middle;
        const size = measure(request);
        length += size - request.wireLength;
        request.wireLength = size;
      }
    }
    start = end;
  }
  return length;
}

/** The request of `first`'s line (itself or a peer) still without a value for `key`, if any. */
function unanswered(first: Request, key: string): Request | undefined {
  if (first.landedStatus < 0 && first.key === key) return first;
  for (const peer of first.peers as Request[]) if (peer.landedStatus < 0 && peer.key === key) return peer;
  return undefined;
}

/**
 * Reads the whole reply to a shared `get` line, at `buffer[offset]`: `VALUE` lines, in any order
 * (a proxy answers key by key from several servers), then `END`. Each value goes to the request of
 * its key (the first still without one, for a key asked twice); a key without a value is a miss.
 * Every reply lands in its request's `landedStatus` and `landedValue`, for the connection to
 * settle them all at once. When the bytes run out after some values, those stay landed and are
 * `consumed`: parsing resumes after them, so a line of large values is gathered once, not again
 * for each value.
 */
export function parseBatch(buffer: Buffer, offset: number, end: number, first: Request, reply: Reply): number {
  const peers = first.peers as Request[];
  if (!first.resuming) {
    first.landedStatus = -1;
    for (const peer of peers) peer.landedStatus = -1;
  }
  reply.lineFailed = false;
  let at = offset;
  for (;;) {
    const stop = replyLine(buffer, at, end, reply, 'text');
    if (stop === INCOMPLETE) return incomplete(first, reply, offset, at, 0);
    if (stop === INVALID) return INVALID;
    const next = stop + 2;
    if (stop - at === 3 && buffer.toString('latin1', at, stop) === 'END') {
      if (first.landedStatus < 0) first.landedStatus = Status.NotFound;
      for (const peer of peers) if (peer.landedStatus < 0) peer.landedStatus = Status.NotFound;
      first.resuming = false;
      return next;
    }
    if (!first.resuming && at === offset && buffer.toString('latin1', at, at + 13) === 'SERVER_ERROR ') {
      // The whole line was refused: every one of its gets has that answer, unless sent again alone.
      const status = serverErrorStatus(buffer.toString('latin1', at + 13, stop));
      reply.lineFailed = true;
      reply.status = status;
      first.landedStatus = status;
      for (const peer of peers) peer.landedStatus = status;
      return next;
    }
    if (buffer.toString('latin1', at, at + 6) !== 'VALUE ') {
      return invalid(reply, `a reply that does not answer a get: ${excerpt(buffer, at, stop)}`);
    }
    // VALUE <key> <flags> <bytes>
    const keyEnd = buffer.indexOf(SPACE, at + 6);
    const flagsEnd = keyEnd < 0 || keyEnd > stop ? -1 : buffer.indexOf(SPACE, keyEnd + 1);
    if (flagsEnd < 0 || flagsEnd > stop) return invalid(reply, `a malformed value line: ${excerpt(buffer, at, stop)}`);
    let lengthEnd = buffer.indexOf(SPACE, flagsEnd + 1);
    if (lengthEnd < 0 || lengthEnd > stop) lengthEnd = stop;
    const length = decimalAt(buffer, flagsEnd + 1, lengthEnd);
    if (length < 0 || length > MAX_VALUE_LENGTH)
      return invalid(reply, `a malformed value line: ${excerpt(buffer, at, stop)}`);
    const target = unanswered(first, buffer.toString('latin1', at + 6, keyEnd));
    if (target === undefined) return invalid(reply, `a value for a key not asked: ${excerpt(buffer, at, stop)}`);
    const valueEnd = next + length;
    // The value, its line end, and at least the END after it.
    if (valueEnd + 2 + 5 > end) return incomplete(first, reply, offset, at, valueEnd + 2 + 5 - at);
    if (buffer[valueEnd] !== 13 || buffer[valueEnd + 1] !== 10) return invalid(reply, 'a value without its end');
    target.landedStatus = Status.Ok;
    target.landedValue = buffer.subarray(next, valueEnd);
    at = valueEnd + 2;
  }
}

/**
 * {@link INCOMPLETE}, the line's reply read up to `at` (the values before it landed, the rest
 * to be read from there): needs `need` bytes from `at` at least (5: a line).
 */
function incomplete(first: Request, reply: Reply, offset: number, at: number, need: number): number {
  // Resuming once a value has landed (a refusal can then no longer come: it is a whole reply).
  if (at > offset) first.resuming = true;
  reply.consumed = at - offset;
  reply.need = at - offset + Math.max(need, 5);
  return INCOMPLETE;
}
