/**
 * The few memcached binary-protocol requests the cache sends, encoded here rather than through memjs'
 * command methods: memjs turns an expiry of 0 into its default (`expires || default`), retries
 * non-idempotent commands, and allocates four buffers per request.
 */

/** Request opcodes used by the cache. */
export const Opcode = { Get: 0x00, Set: 0x01, Add: 0x02, Delete: 0x04 } as const;
/** One of {@link Opcode}'s values. */
export type Opcode = (typeof Opcode)[keyof typeof Opcode];

/** Response statuses the cache tells apart. */
export const Status = { Ok: 0x00, NotFound: 0x01, Exists: 0x02, TooLarge: 0x03, NotStored: 0x05 } as const;

const STATUS_NAMES: Readonly<Record<number, string>> = {
  1: 'key not found',
  2: 'key exists',
  3: 'value too large',
  4: 'invalid arguments',
  5: 'item not stored',
  6: 'incr/decr on non-numeric value',
  129: 'unknown command',
  130: 'out of memory',
  133: 'busy',
  134: 'temporary failure',
};

/** A readable name for a response status, for error messages. */
export function statusName(status: number): string {
  return STATUS_NAMES[status] ?? `status 0x${status.toString(16)}`;
}

const HEADER_LENGTH = 24;
const REQUEST_MAGIC = 0x80;
/** The first byte of every memcached binary-protocol response. */
export const RESPONSE_MAGIC = 0x81;
/** Flags and expiry, sent with set and add. */
const STORE_EXTRAS_LENGTH = 8;

function requestHeader(
  opcode: Opcode,
  key: string,
  opaque: number,
  extrasLength: number,
  valueLength: number,
  cas = 0n,
): Buffer {
  // The key is ASCII by construction (see keys.ts), so its length in bytes is key.length.
  const bodyLength = extrasLength + key.length + valueLength;
  const request = Buffer.allocUnsafe(HEADER_LENGTH + bodyLength);
  if (cas === 0n) {
    request.writeUInt32BE(0, 16);
    request.writeUInt32BE(0, 20); // CAS: none
  } else {
    request.writeBigUInt64BE(cas, 16);
  }
  request[0] = REQUEST_MAGIC;
  request[1] = opcode;
  request.writeUInt16BE(key.length, 2);
  request[4] = extrasLength;
  request[5] = 0; // data type
  request.writeUInt16BE(0, 6); // vbucket
  request.writeUInt32BE(bodyLength, 8);
  request.writeUInt32BE(opaque, 12);
  request.write(key, HEADER_LENGTH + extrasLength, 'latin1');
  return request;
}

/** A get or delete: header and key; a delete with `cas` applies only to the item with that CAS. */
export function encodeKeyRequest(
  opcode: typeof Opcode.Get | typeof Opcode.Delete,
  key: string,
  opaque: number,
  cas = 0n,
): Buffer {
  return requestHeader(opcode, key, opaque, 0, 0, cas);
}

/**
 * A set or add of `value` under `key`. `expiry` is sent exactly as given (0 = never expires): see
 * expiry.ts for the 30-day rule.
 */
export function encodeStoreRequest(
  opcode: typeof Opcode.Set | typeof Opcode.Add,
  key: string,
  value: Uint8Array,
  expiry: number,
  opaque: number,
): Buffer {
  const request = requestHeader(opcode, key, opaque, STORE_EXTRAS_LENGTH, value.length);
  request.writeUInt32BE(0, HEADER_LENGTH); // flags: the value carries its own header (codec.ts)
  request.writeUInt32BE(expiry, HEADER_LENGTH + 4);
  request.set(value, HEADER_LENGTH + STORE_EXTRAS_LENGTH + key.length);
  return request;
}
