import { sharedVersion } from './tag-record.js';

/**
 * The tag section of a stored value (codec.ts, type-byte flag {@link TAGS_FLAG}): the time the
 * value was computed and, for each of its tags, the tag's version as read *before* it was computed
 * (DESIGN §12, T1). Layout, after the header and the optional fresh-until field:
 *
 *     u32 BE  length of what follows
 *     f64 BE  writtenAt (the writer's wall-clock ms, taken before the value was computed)
 *     u16 BE  tag count
 *     per tag: 8 bytes version, u16 BE name length in bytes, the name in UTF-8 — or, for a name
 *              with lone surrogates (which UTF-8 cannot carry), 0xFF and its UTF-16LE code units
 *
 * Untagged values have no section and stay byte-identical to 0.2.0's.
 */

/** @internal Type-byte flag: a tag section follows the header (and the fresh-until field, if any). */
export const TAGS_FLAG = 0x80;

/** @internal One tag of an item and the version of its record when the item was computed. */
export interface ItemTag {
  readonly name: string;
  /** 16 lowercase hex digits. */
  readonly version: string;
}

/** @internal What a tagged item carries. */
export interface ItemTags {
  /** Epoch ms, the writer's clock, taken before the value was computed. */
  readonly writtenAt: number;
  readonly tags: readonly ItemTag[];
}

/** @internal The encoded section (with its length prefix). */
export function encodeTagSection(item: ItemTags): Buffer {
  const names = item.tags.map((tag) => nameBytes(tag.name));
  let length = 8 + 2;
  for (const name of names) length += 8 + 2 + name.length;
  const section = Buffer.allocUnsafe(4 + length);
  section.writeUInt32BE(length, 0);
  section.writeDoubleBE(item.writtenAt, 4);
  section.writeUInt16BE(names.length, 12);
  let offset = 14;
  item.tags.forEach((tag, index) => {
    const name = names[index] as Buffer;
    section.write(tag.version, offset, 8, 'hex');
    section.writeUInt16BE(name.length, offset + 8);
    name.copy(section, offset + 10);
    offset += 10 + name.length;
  });
  return section;
}

/** @internal The length of the section starting at `start` (prefix included), or -1 if it does not fit. */
export function tagSectionLength(bytes: Uint8Array, start: number): number {
  if (bytes.length < start + 4) return -1;
  const length =
    (((bytes[start] as number) << 24) >>> 0) +
    ((bytes[start + 1] as number) << 16) +
    ((bytes[start + 2] as number) << 8) +
    (bytes[start + 3] as number);
  return bytes.length < start + 4 + length ? -1 : 4 + length;
}

/** @internal Parses the section at `start`; `undefined` when it is malformed. */
export function decodeTagSection(bytes: Buffer, start: number): ItemTags | undefined {
  const total = tagSectionLength(bytes, start);
  if (total < 14) return undefined;
  const end = start + total;
  const writtenAt = bytes.readDoubleBE(start + 4);
  const count = bytes.readUInt16BE(start + 12);
  const tags: ItemTag[] = [];
  let offset = start + 14;
  for (let index = 0; index < count; index += 1) {
    if (offset + 10 > end) return undefined;
    const version = sharedVersion(bytes.toString('hex', offset, offset + 8));
    const nameLength = bytes.readUInt16BE(offset + 8);
    if (offset + 10 + nameLength > end) return undefined;
    tags.push({ name: nameAt(bytes, offset + 10, offset + 10 + nameLength), version });
    offset += 10 + nameLength;
  }
  return offset === end ? { writtenAt, tags } : undefined;
}

/** Marks a name stored as UTF-16LE code units: 0xFF never occurs in UTF-8. */
const UTF16_NAME = 0xff;

/** A tag name's stored bytes, lossless: `'\uD800'` and `'\uDC00'` must not both read as U+FFFD. */
function nameBytes(name: string): Buffer {
  if (name.isWellFormed()) return Buffer.from(name, 'utf8');
  const units = Buffer.from(name, 'utf16le');
  const bytes = Buffer.allocUnsafe(1 + units.length);
  bytes[0] = UTF16_NAME;
  units.copy(bytes, 1);
  return bytes;
}

/** The tag name stored in `bytes` from `start` to `end` (see {@link nameBytes}). */
function nameAt(bytes: Buffer, start: number, end: number): string {
  return end > start && bytes[start] === UTF16_NAME
    ? bytes.toString('utf16le', start + 1, end)
    : bytes.toString('utf8', start, end);
}
