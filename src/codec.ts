import { COMPRESSED, decompressValue } from './compression.js';
import { describe } from './describe.js';
import { ownedBytes } from './owned-bytes.js';
import { decodeTagSection, encodeTagSection, type ItemTags, TAGS_FLAG, tagSectionLength } from './tags/item-tags.js';

/**
 * Stored values start with a 3-byte header: a magic byte, the format version and the value's type.
 * 0xF5 never occurs in UTF-8 text, so a foreign value (text written by another client) can't pass
 * for one of ours; an unknown version or type reads as a miss, which lets the format evolve.
 */
const MAGIC = 0xf5;
const VERSION = 1;
const HEADER_LENGTH = 3;
/**
 * The type byte's low five bits are the type; its high bits are flags for optional fields. 0x40: the
 * value carries its fresh-until time (8 bytes, the writer's wall-clock ms, float64 BE) right after
 * the header, written only when the writer allows stale reads (see read-through/freshness.ts).
 */
const TYPE_MASK = 0x1f;
const FRESH_UNTIL_FLAG = 0x40;
const FRESH_UNTIL_LENGTH = 8;

const Type = {
  String: 1,
  Number: 2,
  True: 3,
  False: 4,
  Null: 5,
  Json: 6,
  Buffer: 7,
  Uint8Array: 8,
  /** A string with lone surrogates, which UTF-8 cannot carry: stored as UTF-16 code units. */
  Utf16String: 9,
} as const;
type Type = (typeof Type)[keyof typeof Type];

/** @internal Returned by {@link decodeValue} for bytes this library did not write. */
export const UNDECODABLE: unique symbol = Symbol('undecodable');

/** What the cache refuses: at compile time where TypeScript can tell, and always at run time. */
export type Unstorable =
  | undefined
  | symbol
  | bigint
  | ((...args: never[]) => unknown)
  | ReadonlyMap<unknown, unknown>
  | ReadonlySet<unknown>
  | WeakMap<object, unknown>
  | WeakSet<object>
  | Date
  | RegExp
  | Promise<unknown>;

/**
 * `T` when the cache can store it — a string, number, boolean, null, Buffer, Uint8Array, array or
 * plain object (interfaces included) — else `never`, so that `set(ns, key, value)` with an
 * unstorable value does not compile. Each comes back with its type; objects go through JSON.
 */
export type Storable<T> = T extends Unstorable ? never : T;

/**
 * `unknown` when a `getOrSet` loader returning `R` (a value or a promise of one) gives something the
 * cache can store, or `undefined` for "nothing to cache"; else `never`. Intersected with the
 * loader's type, so that TypeScript infers `R` from the loader as a whole, unions included.
 */
export type StorableLoad<R> = [Extract<Awaited<R>, Exclude<Unstorable, undefined>>] extends [never] ? unknown : never;

/** A buffer for a value whose payload starts at `start`, with the header written. */
function header(type: Type, payloadLength: number, start: number): Buffer {
  const bytes = Buffer.allocUnsafe(start + payloadLength);
  bytes[0] = MAGIC;
  bytes[1] = VERSION;
  bytes[2] = type;
  return bytes;
}

function withPayload(type: Type, payload: Uint8Array, start: number): Buffer {
  const bytes = header(type, payload.length, start);
  bytes.set(payload, start);
  return bytes;
}

function encodeString(type: Type, text: string, encoding: 'utf8' | 'utf16le', start: number): Buffer {
  const bytes = header(type, Buffer.byteLength(text, encoding), start);
  bytes.write(text, start, encoding);
  return bytes;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Encodes a value with its header and, when `freshUntil` is given, the wall-clock time (ms) after
 * which readers treat it as stale.
 *
 * @throws TypeError for `undefined`, functions, symbols, BigInt, cyclic structures and objects that
 * are not plain objects, arrays, Buffers or Uint8Arrays (a Map or a Date would not come back as one).
 * @internal
 */
export function encodeValue(value: unknown, freshUntil?: number, tags?: ItemTags): Buffer {
  if (tags === undefined) {
    if (freshUntil === undefined) return encodePayload(value, HEADER_LENGTH);
    const bytes = encodePayload(value, HEADER_LENGTH + FRESH_UNTIL_LENGTH);
    bytes[2] = (bytes[2] as number) | FRESH_UNTIL_FLAG;
    bytes.writeDoubleBE(freshUntil, HEADER_LENGTH);
    return bytes;
  }
  // Tagged (tags/item-tags.ts): the tag section sits between the fixed fields and the payload.
  const section = encodeTagSection(tags);
  const fieldsEnd = freshUntil === undefined ? HEADER_LENGTH : HEADER_LENGTH + FRESH_UNTIL_LENGTH;
  const bytes = encodePayload(value, fieldsEnd + section.length);
  bytes[2] = (bytes[2] as number) | TAGS_FLAG | (freshUntil === undefined ? 0 : FRESH_UNTIL_FLAG);
  if (freshUntil !== undefined) bytes.writeDoubleBE(freshUntil, HEADER_LENGTH);
  section.copy(bytes, fieldsEnd);
  return bytes;
}

/**
 * @internal The tags a stored value carries (tags/item-tags.ts), or `undefined` for an untagged or
 * foreign value. The section is never compressed, so it is read from the stored bytes as they are.
 */
export function itemTagsOf(bytes: Buffer, known?: KnownSection): ItemTags | undefined {
  const start = tagSectionStart(bytes);
  if (start < 0) return undefined;
  // The same section as an item read before (same tags, versions, time): no need to parse it again.
  if (known !== undefined) {
    const end = start + known.bytes.length;
    if (end <= bytes.length && bytes.compare(known.bytes, 0, known.bytes.length, start, end) === 0) return known.item;
  }
  return decodeTagSection(bytes, start);
}

/** @internal A parsed tag section and its bytes (length prefix included). */
export interface KnownSection {
  readonly bytes: Buffer;
  readonly item: ItemTags;
}

/** @internal Where a stored value's tag section starts, or -1 when it has none. */
function tagSectionStart(bytes: Buffer): number {
  if (bytes.length < HEADER_LENGTH || bytes[0] !== MAGIC || bytes[1] !== VERSION) return -1;
  const typeByte = bytes[2] as number;
  if ((typeByte & TAGS_FLAG) === 0) return -1;
  return (typeByte & FRESH_UNTIL_FLAG) === 0 ? HEADER_LENGTH : HEADER_LENGTH + FRESH_UNTIL_LENGTH;
}

/** @internal The tag section of a stored value (copied), to recognise it in later reads. */
export function knownSection(bytes: Buffer, item: ItemTags): KnownSection | undefined {
  const start = tagSectionStart(bytes);
  const length = start < 0 ? -1 : tagSectionLength(bytes, start);
  return length < 0 ? undefined : { bytes: Buffer.from(bytes.subarray(start, start + length)), item };
}

/** The value's bytes, its payload starting at `start` (room before it for optional fields). */
function encodePayload(value: unknown, start: number): Buffer {
  switch (typeof value) {
    case 'string':
      return value.isWellFormed()
        ? encodeString(Type.String, value, 'utf8', start)
        : encodeString(Type.Utf16String, value, 'utf16le', start);
    case 'number': {
      const bytes = header(Type.Number, 8, start);
      bytes.writeDoubleBE(value, start);
      return bytes;
    }
    case 'boolean':
      return header(value ? Type.True : Type.False, 0, start);
    case 'object':
      if (value === null) return header(Type.Null, 0, start);
      if (Buffer.isBuffer(value)) return withPayload(Type.Buffer, value, start);
      if (value instanceof Uint8Array) return withPayload(Type.Uint8Array, value, start);
      if (Array.isArray(value) || isPlainObject(value)) return encodeString(Type.Json, toJson(value), 'utf8', start);
      break;
  }
  throw new TypeError(
    `Expected a value that round-trips (string, number, boolean, null, plain object, array, Buffer or Uint8Array), got ${describe(value)}`,
  );
}

function toJson(value: object): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    // JSON.stringify throws a TypeError for cycles and BigInt; keep its explanation.
    throw new TypeError(`Expected a value that JSON can encode: ${(error as Error).message}`, { cause: error });
  }
  // A toJSON() that returns undefined leaves nothing to store.
  if (json === undefined) throw new TypeError(`Expected a value that JSON can encode, got ${describe(value)}`);
  return json;
}

/**
 * @internal The wall-clock time (ms) after which a value written by {@link encodeValue} is stale, or
 * `Infinity` when it carries none (it is fresh until memcached expires it). The field is never
 * compressed (compression.ts), so it is read from the stored bytes as they are.
 */
export function freshUntilOf(bytes: Buffer): number {
  return bytes.length >= HEADER_LENGTH + FRESH_UNTIL_LENGTH && ((bytes[2] as number) & FRESH_UNTIL_FLAG) !== 0
    ? bytes.readDoubleBE(HEADER_LENGTH)
    : Number.POSITIVE_INFINITY;
}

/**
 * @internal Decodes bytes written by {@link encodeValue}; anything else gives {@link UNDECODABLE}. A
 * large Buffer or Uint8Array value may share `stored`'s memory (owned-bytes.ts): pass bytes nobody
 * else keeps.
 */
export function decodeValue(stored: Buffer): unknown {
  if (stored.length < HEADER_LENGTH || stored[0] !== MAGIC || stored[1] !== VERSION) return UNDECODABLE;
  // Written with the `compression` option (compression.ts): read back whatever this cache's option.
  const bytes = ((stored[2] as number) & COMPRESSED) === 0 ? stored : decompressValue(stored);
  if (bytes === undefined) return UNDECODABLE;
  const flags = (bytes[2] as number) & ~TYPE_MASK;
  if ((flags & ~(FRESH_UNTIL_FLAG | TAGS_FLAG)) !== 0) return UNDECODABLE;
  let start = (flags & FRESH_UNTIL_FLAG) === 0 ? HEADER_LENGTH : HEADER_LENGTH + FRESH_UNTIL_LENGTH;
  if ((flags & TAGS_FLAG) !== 0) {
    const section = tagSectionLength(bytes, start);
    if (section < 0) return UNDECODABLE;
    start += section;
  }
  const length = bytes.length - start;
  if (length < 0) return UNDECODABLE;
  switch ((bytes[2] as number) & TYPE_MASK) {
    case Type.String:
      return bytes.toString('utf8', start);
    case Type.Utf16String:
      return length % 2 === 0 ? bytes.toString('utf16le', start) : UNDECODABLE;
    case Type.Number:
      return length === 8 ? bytes.readDoubleBE(start) : UNDECODABLE;
    case Type.True:
      return length === 0 ? true : UNDECODABLE;
    case Type.False:
      return length === 0 ? false : UNDECODABLE;
    case Type.Null:
      return length === 0 ? null : UNDECODABLE;
    case Type.Json:
      try {
        return JSON.parse(bytes.toString('utf8', start));
      } catch {
        return UNDECODABLE;
      }
    // The reply's memory, handed over only when nothing else shares it (owned-bytes.ts).
    case Type.Buffer:
      return ownedBytes(bytes, start);
    case Type.Uint8Array: {
      const owned = ownedBytes(bytes, start);
      return new Uint8Array(owned.buffer, owned.byteOffset, owned.length);
    }
    default:
      return UNDECODABLE;
  }
}
