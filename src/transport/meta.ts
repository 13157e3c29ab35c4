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
import type { Request } from './request.js';
import { serverErrorStatus } from './server-error.js';

function code(buffer: Buffer, offset: number): number {
  return ((buffer[offset] as number) << 8) | (buffer[offset + 1] as number);
}
const VA = code(Buffer.from('VA'), 0);
const HD = code(Buffer.from('HD'), 0);
const EN = code(Buffer.from('EN'), 0);
const NF = code(Buffer.from('NF'), 0);
const NS = code(Buffer.from('NS'), 0);
const EX = code(Buffer.from('EX'), 0);
const SE = code(Buffer.from('SE'), 0);

/** The header line of a request, without its value. */
function header(request: Request): string {
  const { key, seq, cas } = request;
  switch (request.opcode) {
    case Opcode.Get:
      // A get with an expiry takes the fleet lock on a miss: memcached creates an empty stub of that
      // ttl and hands its win (W) to this one reader (Status.WonStub). N and W are in 1.6.0.
      if (request.expiry > 0) return `mg ${key} v c N${request.expiry} O${seq}\r\n`;
      return request.withCas ? `mg ${key} v c O${seq}\r\n` : `mg ${key} v O${seq}\r\n`;
    case Opcode.Delete:
      return cas === 0n ? `md ${key} O${seq}\r\n` : `md ${key} C${cas} O${seq}\r\n`;
    default: {
      // F0: the value carries its own header (codec.ts), so every protocol stores the same bytes
      // and caches on different protocols read each other's values (DESIGN §11, rolling upgrades).
      const length = request.value?.length ?? 0;
      if (request.opcode === Opcode.Add) return `ms ${key} ${length} T${request.expiry} F0 ME c O${seq}\r\n`;
      if (cas !== 0n) return `ms ${key} ${length} T${request.expiry} F0 C${cas} c O${seq}\r\n`;
      return `ms ${key} ${length} T${request.expiry} F0 O${seq}\r\n`;
    }
  }
}

/** {@link readFlags}' answers: not an answer to the request, an answer, an answer with the win flag. */
const NOT_ANSWER = 0;
const ANSWER = 1;
const WON = 2;

/**
 * Reads the flags of a reply line (`buffer[from, stop)`, each preceded by a space): the opaque must
 * be the request's; the CAS is read when asked for; `W` says a read with `N` won the stub it created.
 */
function readFlags(buffer: Buffer, from: number, stop: number, request: Request, reply: Reply): number {
  let opaqueSeen = false;
  let won = false;
  reply.cas = 0n;
  let at = from;
  while (at < stop) {
    if (buffer[at] !== SPACE) return NOT_ANSWER;
    const start = at + 1;
    let tokenEnd = buffer.indexOf(SPACE, start);
    if (tokenEnd < 0 || tokenEnd > stop) tokenEnd = stop;
    const flag = buffer[start];
    if (flag === 0x4f /* O */) {
      if (decimalAt(buffer, start + 1, tokenEnd) !== request.seq) return NOT_ANSWER;
      opaqueSeen = true;
    } else if (flag === 0x63 /* c */) {
      reply.cas = casAt(buffer, start + 1, tokenEnd);
      if (reply.cas < 0n) return NOT_ANSWER;
    } else if (flag === 0x57 /* W */ && tokenEnd === start + 1) {
      won = true;
    }
    at = tokenEnd;
  }
  return !opaqueSeen ? NOT_ANSWER : won ? WON : ANSWER;
}

/**
 * memcached's meta protocol (stable since 1.6.10; every flag used here is in 1.6.10): `mg … v`
 * (with `N` to take the fleet lock on a miss), `ms … T F0` with `ME` for an add and `C` for a
 * compare-and-set, `md` with `C` for the lock's compare-and-delete. Each request carries its
 * sequence number as opaque (`O`), which its reply must echo: a reply to another request, or out of
 * step, is a protocol error.
 */
export const metaCodec: Codec = {
  name: 'meta',
  casOnWrite: true,
  ...lineFramed(header),
  parse(buffer, offset, end, request, reply) {
    const stop = replyLine(buffer, offset, end, reply, 'meta');
    if (stop < 0) return stop;
    const kind = code(buffer, offset);
    const next = stop + 2;
    const isGet = request.opcode === Opcode.Get;
    if (kind === VA && isGet) {
      let lengthEnd = buffer.indexOf(SPACE, offset + 3);
      if (lengthEnd < 0 || lengthEnd > stop) lengthEnd = stop;
      const length = decimalAt(buffer, offset + 3, lengthEnd);
      const flags =
        length < 0 || length > MAX_VALUE_LENGTH ? NOT_ANSWER : readFlags(buffer, lengthEnd, stop, request, reply);
      if (flags === NOT_ANSWER) {
        return invalid(reply, `a value reply that does not answer the request: ${excerpt(buffer, offset, stop)}`);
      }
      const valueEnd = next + length;
      if (valueEnd + 2 > end) {
        reply.need = valueEnd + 2 - offset;
        return INCOMPLETE;
      }
      if (buffer[valueEnd] !== 13 || buffer[valueEnd + 1] !== 10) return invalid(reply, 'a value without its end');
      // A win is ours only for the stub our `N` created, which is empty; a win on a value (a foreign
      // client's `md … I` marked it stale) is not a lock this library takes: a plain hit.
      reply.status = flags === WON && request.expiry > 0 && length === 0 ? Status.WonStub : Status.Ok;
      reply.valueStart = next;
      reply.valueEnd = valueEnd;
      return valueEnd + 2;
    }
    if (kind === SE && buffer.toString('latin1', offset, offset + 13) === 'SERVER_ERROR ') {
      // No opaque on an error line: memcached refused this request (too large, out of memory).
      return answered(reply, serverErrorStatus(buffer.toString('latin1', offset + 13, stop)), next);
    }
    let status = -1;
    if (kind === EN && isGet) status = Status.NotFound;
    else if (kind === HD && !isGet) status = Status.Ok;
    else if (kind === NF && !isGet) status = Status.NotFound;
    else if (kind === EX && !isGet) status = Status.Exists;
    // A lost add: the item exists (binary says so with its Exists status; so does this transport).
    else if (kind === NS && !isGet) status = request.opcode === Opcode.Add ? Status.Exists : Status.NotStored;
    if (status < 0 || readFlags(buffer, offset + 2, stop, request, reply) === NOT_ANSWER) {
      return invalid(reply, `a reply that does not answer the request: ${excerpt(buffer, offset, stop)}`);
    }
    return answered(reply, status, next, reply.cas);
  },
};
