import { randomBytes } from 'node:crypto';

/**
 * The record of one tag, stored at `<prefix>:g:<h64(tag)>` as ASCII:
 * `1:<version>:<h|s>:<staleAt>:<expiredAt>:<floor>:<stale versions>`.
 *
 * - `version`: 16 random hex digits, replaced by every invalidation and by the record's creation.
 *   Never a counter: a record that memcached evicted and that is created again must not repeat a
 *   version an invalidated item carries (T2, symfony/symfony#43301).
 * - `h` (hard) or `s` (soft): how the last invalidation (or the creation, always hard) was made.
 * - `staleAt`: epoch ms of the last invalidation or creation; `expiredAt`: when it expires what was
 *   written before it (= `staleAt` when hard); `floor`: items written before it are expired whatever
 *   the soft window says (an earlier hard invalidation, or a soft one whose window has closed) —
 *   for tags checked at read time, by time.
 * - stale versions (soft only, `.`-separated): the versions that were current just before the open
 *   soft invalidations; an item carrying one of them is stale, any other older one expired. By
 *   version, not by time: an item written in the same millisecond as a hard invalidation is judged
 *   right whatever the clocks say.
 *
 * @internal
 */
export interface TagRecord {
  readonly version: string;
  readonly soft: boolean;
  readonly staleAt: number;
  readonly expiredAt: number;
  readonly floor: number;
  readonly staleVersions: readonly string[];
}

const RECORD_PATTERN = /^1:([0-9a-f]{16}):([hs]):(\d+):(\d+):(\d+):((?:[0-9a-f]{16}(?:\.[0-9a-f]{16})*)?)$/;

/** How many open soft invalidations a record remembers the versions of: older ones read as expired. */
const MAX_STALE_VERSIONS = 4;

/** @internal A version nobody has seen: 64 random bits. */
export function newVersion(): string {
  return randomBytes(8).toString('hex');
}

/** @internal The record a hard invalidation (or a creation) at `time` writes. */
export function hardRecord(time: number): TagRecord {
  return { version: newVersion(), soft: false, staleAt: time, expiredAt: time, floor: time, staleVersions: [] };
}

/**
 * @internal The record a soft invalidation at `time` writes over `previous` (`undefined`: none):
 * an earlier hard invalidation, or a soft one whose window has closed, stays a floor; a window still
 * open is never lengthened (items from before it must not outlive it).
 */
export function softRecord(previous: TagRecord | undefined, time: number, staleForMs: number): TagRecord {
  // No record: nothing is known to have been valid just before, so nothing is served stale (T2).
  if (previous === undefined) return { ...hardRecord(time), soft: true, expiredAt: time + staleForMs };
  const open = previous.soft && time < previous.expiredAt;
  const floor = open || !previous.soft ? previous.floor : previous.staleAt;
  const expiredAt = open ? Math.min(time + staleForMs, previous.expiredAt) : time + staleForMs;
  const staleVersions = [previous.version, ...(open ? previous.staleVersions : [])].slice(0, MAX_STALE_VERSIONS);
  return { version: newVersion(), soft: true, staleAt: time, expiredAt, floor, staleVersions };
}

/** @internal The stored form of a record. */
export function encodeRecord(record: TagRecord): Buffer {
  const { version, soft, staleAt, expiredAt, floor, staleVersions } = record;
  const times = `${Math.round(staleAt)}:${Math.round(expiredAt)}:${Math.round(floor)}`;
  return Buffer.from(`1:${version}:${soft ? 's' : 'h'}:${times}:${staleVersions.join('.')}`, 'latin1');
}

/** @internal A stored record, or `undefined` for bytes that are not one. */
export function decodeRecord(bytes: Buffer): TagRecord | undefined {
  if (bytes.length > 200) return undefined;
  const match = RECORD_PATTERN.exec(bytes.toString('latin1'));
  if (match === null) return undefined;
  return {
    version: match[1] as string,
    soft: match[2] === 's',
    staleAt: Number(match[3]),
    expiredAt: Number(match[4]),
    floor: Number(match[5]),
    staleVersions: match[6] === '' ? [] : (match[6] as string).split('.'),
  };
}

/** How one tag judges an item: still valid, stale (inside a soft window) since a time, or expired. */
export type TagVerdict =
  | { readonly state: 'fresh' }
  | { readonly state: 'stale'; readonly since: number }
  | { readonly state: 'expired' };

const FRESH: TagVerdict = { state: 'fresh' };
const EXPIRED: TagVerdict = { state: 'expired' };

/**
 * @internal How `record` judges an item written at `writtenAt` that carries `version` for the tag
 * (`undefined`: the tag is checked at read time only, by time).
 *
 * - A carried version equal to the record's: nothing happened to the tag since the item read it.
 * - A different one: the tag was invalidated (or its record lost and created again) after the item
 *   read it, whatever the clocks say (T1, T2). Stale only inside an open soft window, and only if
 *   the item's version was current just before a soft invalidation of that window.
 * - No carried version: by time, as Next.js does — invalidated at or after `writtenAt`; stale only
 *   inside an open soft window, if written after everything that expired it before.
 */
export function judge(record: TagRecord, version: string | undefined, writtenAt: number, time: number): TagVerdict {
  if (version === undefined ? record.staleAt < writtenAt : version === record.version) return FRESH;
  if (!record.soft || time >= record.expiredAt) return EXPIRED;
  const servable = version === undefined ? writtenAt > record.floor : record.staleVersions.includes(version);
  return servable ? { state: 'stale', since: record.staleAt } : EXPIRED;
}
