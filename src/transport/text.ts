import { Opcode, Status } from '../protocol.js';
import {
  answered,
  type Codec,
  casAt,
  decimalAt,
  excerpt,
  INCOMPLETE,
  invalid,
  lineFramed,
  MAX_VALUE_LENGTH,
  type Reply,
  replyLine,
  SPACE,
} from './codec.js';
import { InBatch, type Request } from './request.js';
import { serverErrorStatus } from './server-error.js';
import { batchGets, parseBatch } from './text-batches.js';

const END = Buffer.from('END\r\n');

/**
 * The header line of a request, without its value. Flags 0: the value carries its own header. A
 * get in a batch writes its part of the shared line: `get k1`, ` k2`, ` k3\r\n`.
 */
function header(request: Request): string {
  const { key } = request;
  switch (request.opcode) {
    case Opcode.Get:
      if (request.withCas) return `gets ${key}\r\n`;
      switch (request.inBatch) {
        case InBatch.First:
          return `get ${key}`;
        case InBatch.Middle:
          return ` ${key}`;
        case InBatch.Last:
          return ` ${key}\r\n`;
        default:
          return `get ${key}\r\n`;
      }
    case Opcode.Delete:
      // No CAS on a text delete: the transport compares first (see Transport.delete).
      return `delete ${key}\r\n`;
    default: {
      const length = request.value?.length ?? 0;
      if (request.opcode === Opcode.Add) return `add ${key} 0 ${request.expiry} ${length}\r\n`;
      if (request.cas !== 0n) return `cas ${key} 0 ${request.expiry} ${length} ${request.cas}\r\n`;
      return `set ${key} 0 ${request.expiry} ${length}\r\n`;
    }
  }
}

/** The status a one-word reply line means for `request`, or -1 when it does not answer it. */
function lineStatus(line: string, request: Request): number {
  switch (request.opcode) {
    case Opcode.Get:
      return line === 'END' ? Status.NotFound : -1;
    case Opcode.Delete:
      return line === 'DELETED' ? Status.Ok : line === 'NOT_FOUND' ? Status.NotFound : -1;
    default:
      if (line === 'STORED') return Status.Ok;
      // A lost add: the item exists, as the binary protocol's status says.
      if (line === 'NOT_STORED') return request.opcode === Opcode.Add ? Status.Exists : Status.NotStored;
      if (request.cas === 0n) return -1;
      return line === 'EXISTS' ? Status.Exists : line === 'NOT_FOUND' ? Status.NotFound : -1;
  }
}

/** A `VALUE <key> <flags> <bytes> [<cas>]` line, its data and `END`: the reply to a get alone. */
function valueReply(buffer: Buffer, offset: number, stop: number, end: number, request: Request, reply: Reply): number {
  const next = stop + 2;
  const key = request.key;
  const keyEnd = offset + 6 + key.length;
  if (buffer.toString('latin1', offset + 6, keyEnd) !== key || buffer[keyEnd] !== SPACE) {
    return invalid(reply, `a value for another key: ${excerpt(buffer, offset, stop)}`);
  }
  const flagsEnd = buffer.indexOf(SPACE, keyEnd + 1);
  if (flagsEnd < 0 || flagsEnd > stop)
    return invalid(reply, `a malformed value line: ${excerpt(buffer, offset, stop)}`);
  let lengthEnd = buffer.indexOf(SPACE, flagsEnd + 1);
  if (lengthEnd < 0 || lengthEnd > stop) lengthEnd = stop;
  const length = decimalAt(buffer, flagsEnd + 1, lengthEnd);
  reply.cas = request.withCas && lengthEnd < stop ? casAt(buffer, lengthEnd + 1, stop) : 0n;
  if (length < 0 || length > MAX_VALUE_LENGTH || reply.cas < 0n)
    return invalid(reply, `a malformed value line: ${excerpt(buffer, offset, stop)}`);
  const valueEnd = next + length;
  const replyEnd = valueEnd + 2 + END.length;
  if (replyEnd > end) {
    reply.need = replyEnd - offset;
    return INCOMPLETE;
  }
  if (buffer[valueEnd] !== 13 || buffer[valueEnd + 1] !== 10 || !END.equals(buffer.subarray(valueEnd + 2, replyEnd))) {
    return invalid(reply, 'a value without its end');
  }
  reply.status = Status.Ok;
  reply.valueStart = next;
  reply.valueEnd = valueEnd;
  return replyEnd;
}

/**
 * memcached's classic text protocol, as proxies speak it (twemproxy, mcrouter): `get`/`gets`,
 * `set`/`add`/`cas` with flags 0, `delete`. A write's consecutive gets go out as multi-key `get`
 * lines: memcached answers a pipelined text get for about five times the CPU of a meta one, a key
 * of a multi-key get for a fifth of it. It has no opaque: a value reply is checked to carry the
 * request's key, every other reply to be one its command can give.
 */
export const textCodec: Codec = {
  name: 'text',
  casOnWrite: false,
  ...lineFramed(header),
  batch: (requests, total) => batchGets(requests, total, textCodec.length),
  parse(buffer, offset, end, request, reply) {
    if (request.peers !== undefined) return parseBatch(buffer, offset, end, request, reply);
    // A later get of a shared line is answered with its first, never by the bytes after them.
    if (request.inBatch !== InBatch.Alone) return invalid(reply, 'a reply for a get of a line already answered');
    const stop = replyLine(buffer, offset, end, reply, 'text');
    if (stop < 0) return stop;
    const next = stop + 2;
    if (request.opcode === Opcode.Get && buffer.toString('latin1', offset, offset + 6) === 'VALUE ') {
      return valueReply(buffer, offset, stop, end, request, reply);
    }
    const line = buffer.toString('latin1', offset, stop);
    if (line.startsWith('SERVER_ERROR ')) return answered(reply, serverErrorStatus(line.slice(13)), next);
    const status = lineStatus(line, request);
    if (status < 0) return invalid(reply, `a reply that does not answer the request: ${excerpt(buffer, offset, stop)}`);
    return answered(reply, status, next);
  },
};
