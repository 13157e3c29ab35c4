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
export const Status = {
  Ok: 0x00,
  NotFound: 0x01,
  Exists: 0x02,
  TooLarge: 0x03,
  NotStored: 0x05,
  /**
   * Not a memcached status: a meta read that missed and created the key's stub (`mg … N`), and is
   * the one reader memcached gave it to (`W`). The reply's CAS is the stub's.
   */
  WonStub: 0x100,
} as const;

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

/** Every request and response starts with a header of this many bytes. */
export const HEADER_LENGTH = 24;
const REQUEST_MAGIC = 0x80;
/** The first byte of every memcached binary-protocol response. */
export const RESPONSE_MAGIC = 0x81;
/** Flags and expiry, sent with set and add. */
const STORE_EXTRAS_LENGTH = 8;

/** The bytes a request takes on the wire: header, extras (set and add only), key and value. */
export function requestLength(opcode: Opcode, key: string, value: Uint8Array | undefined): number {
  // The key is ASCII by construction (see keys.ts), so its length in bytes is key.length.
  const extras = opcode === Opcode.Set || opcode === Opcode.Add ? STORE_EXTRAS_LENGTH : 0;
  return HEADER_LENGTH + extras + key.length + (value === undefined ? 0 : value.length);
}

/**
 * Writes a request at `offset` of `target` and returns where the next one starts. Requests are
 * encoded straight into the buffer of the write that carries them: one allocation and one copy of
 * each value per write, instead of a buffer per request and a concatenation.
 *
 * A get or delete is a header and the key. A set or add carries flags and `expiry` as extras;
 * `expiry` is sent exactly as given (0 = never expires): see expiry.ts for the 30-day rule. A
 * non-zero `cas` makes a delete or a set conditional on the item's CAS.
 */
export function writeRequest(
  target: Buffer,
  offset: number,
  opcode: Opcode,
  key: string,
  opaque: number,
  value: Uint8Array | undefined,
  expiry: number,
  cas = 0n,
): number {
  const store = opcode === Opcode.Set || opcode === Opcode.Add;
  const extrasLength = store ? STORE_EXTRAS_LENGTH : 0;
  const valueLength = value === undefined ? 0 : value.length;
  const bodyLength = extrasLength + key.length + valueLength;
  target[offset] = REQUEST_MAGIC;
  target[offset + 1] = opcode;
  target.writeUInt16BE(key.length, offset + 2);
  target[offset + 4] = extrasLength;
  target[offset + 5] = 0; // data type
  target.writeUInt16BE(0, offset + 6); // vbucket
  target.writeUInt32BE(bodyLength, offset + 8);
  target.writeUInt32BE(opaque, offset + 12);
  if (cas === 0n) {
    target.writeUInt32BE(0, offset + 16); // CAS: none
    target.writeUInt32BE(0, offset + 20);
  } else {
    // A delete with a CAS deletes only the item that still has it (a lock's owner releasing it).
    target.writeBigUInt64BE(cas, offset + 16);
  }
  let at = offset + HEADER_LENGTH;
  if (store) {
    target.writeUInt32BE(0, at); // flags: the value carries its own header (codec.ts)
    target.writeUInt32BE(expiry, at + 4);
    at += STORE_EXTRAS_LENGTH;
  }
  at += target.write(key, at, 'latin1');
  if (value !== undefined) {
    target.set(value, at);
    at += valueLength;
  }
  return at;
}
