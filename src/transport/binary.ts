import { HEADER_LENGTH, Opcode, RESPONSE_MAGIC, requestLength, writeRequest } from '../protocol.js';
import { type Codec, INCOMPLETE, invalid } from './codec.js';

/** memcached's largest item size (`-I`) is 1 GiB; a longer body is not a reply. */
const MAX_BODY_LENGTH = 2 ** 30 + 2 ** 16;

/**
 * The binary protocol on the cache's own sockets: what a server that speaks nothing else
 * (`memcached -B binary`) is spoken to in, when the default detection finds it (see SocketConnection).
 * A reply must carry the response magic, its request's opcode and its sequence number as opaque.
 */
export const binaryCodec: Codec = {
  name: 'binary',
  casOnWrite: true,
  length(request) {
    return requestLength(request.opcode, request.key, request.value);
  },
  encode(target, offset, request) {
    const { opcode, key, seq, value, expiry, cas } = request;
    return writeRequest(target, offset, opcode, key, seq, value, expiry, cas);
  },
  parse(buffer, offset, end, request, reply) {
    if (end - offset < HEADER_LENGTH) {
      reply.need = HEADER_LENGTH;
      return INCOMPLETE;
    }
    const bodyLength = buffer.readUInt32BE(offset + 8);
    if (buffer[offset] !== RESPONSE_MAGIC || bodyLength > MAX_BODY_LENGTH) {
      return invalid(
        reply,
        `bytes that are not a binary reply (first byte 0x${(buffer[offset] as number).toString(16)})`,
      );
    }
    const opcode = buffer[offset + 1] as number;
    if (opcode !== request.opcode || buffer.readUInt32BE(offset + 12) !== request.seq) {
      return invalid(reply, `a reply that does not answer the request (opcode 0x${opcode.toString(16)})`);
    }
    const replyEnd = offset + HEADER_LENGTH + bodyLength;
    if (replyEnd > end) {
      reply.need = replyEnd - offset;
      return INCOMPLETE;
    }
    const valueStart = offset + HEADER_LENGTH + (buffer[offset + 4] as number) + buffer.readUInt16BE(offset + 2);
    // Key and extras past the body: a hit with a value that is not there.
    if (valueStart > replyEnd) return invalid(reply, 'a reply whose key and extras are longer than its body');
    reply.status = buffer.readUInt16BE(offset + 6);
    reply.valueStart = valueStart;
    reply.valueEnd = replyEnd;
    reply.cas =
      opcode === Opcode.Add || request.cas !== 0n || request.withCas ? buffer.readBigUInt64BE(offset + 16) : 0n;
    return replyEnd;
  },
};
