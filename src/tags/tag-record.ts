import { randomBytes } from 'node:crypto';

/**
 * The record of one tag, stored at `<prefix>:g:<h64(tag)>` as ASCII:
 * `1:<version>:<h|s|c>:<staleAt>:<expiredAt>:<floor>:<stale versions>`.
 *
 * - `version`: 16 random hex digits, replaced by every invalidation and by the record's creation.
 *   Never a counter: a record that memcached evicted and that is created again must not repeat a
 *   version an invalidated item carries (T2, symfony/symfony#43301).
 * - `h` (hard) or `s` (soft): how the last invalidation was made; `c`: no invalidation since the
 *   record was created (found missing) — judged as a hard invalidation at its creation, except by
 *   `set`'s `computedAt` (a creation is not an invalidation that happened during a computation).
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
  /** `c`: the record was created and not invalidated since (it judges as a hard one). */
  readonly created: boolean;
}

const RECORD_PATTERN = /^1:([0-9a-f]{16}):([hsc]):(\d+):(\d+):(\d+):((?:[0-9a-f]{16}(?:\.[0-9a-f]{16})*)?)$/;

/** How many open soft invalidations a record remembers the versions of: older ones read as expired. */
const MAX_STALE_VERSIONS = 4;

/** Versions seen lately, each kept as one string: see {@link sharedVersion}. */
const versions = new Map<string, string>();

/**
 * @internal The one string kept for `version`: an item's version and its record's, decoded from
 * different bytes, are then the same string, and the check on every tagged read compares them by
 * identity rather than character by character (each is decoded once per change, not per read).
 */
export function sharedVersion(version: string): string {
  const shared = versions.get(version);
  if (shared !== undefined) return shared;
  if (versions.size >= 10_000) versions.clear();
  versions.set(version, version);
  return version;
}

/** @internal A version nobody has seen: 64 random bits. */
function newVersion(): string {
  return sharedVersion(randomBytes(8).toString('hex'));
}

/** @internal The record a hard invalidation at `time` writes (`created`: the record was found missing). */
export function hardRecord(time: number, created = false): TagRecord {
  return {
    version: newVersion(),
    soft: false,
    staleAt: time,
    expiredAt: time,
    floor: time,
    staleVersions: [],
    created,
  };
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
  return { version: newVersion(), soft: true, staleAt: time, expiredAt, floor, staleVersions, created: false };
}

/** @internal The stored form of a record. */
export function encodeRecord(record: TagRecord): Buffer {
  const { version, soft, staleAt, expiredAt, floor, staleVersions, created } = record;
  const times = `${Math.round(staleAt)}:${Math.round(expiredAt)}:${Math.round(floor)}`;
  const kind = soft ? 's' : created ? 'c' : 'h';
  return Buffer.from(`1:${version}:${kind}:${times}:${staleVersions.join('.')}`, 'latin1');
}

/** @internal A stored record, or `undefined` for bytes that are not one. */
export function decodeRecord(bytes: Buffer): TagRecord | undefined {
  if (bytes.length > 200) return undefined;
  const match = RECORD_PATTERN.exec(bytes.toString('latin1'));
  if (match === null) return undefined;
  return {
    version: sharedVersion(match[1] as string),
    soft: match[2] === 's',
    staleAt: Number(match[3]),
    expiredAt: Number(match[4]),
    floor: Number(match[5]),
    staleVersions: match[6] === '' ? [] : (match[6] as string).split('.'),
    created: match[2] === 'c',
  };
}

/**
 * @internal The version an item computed at `computedAt` (epoch ms) carries for the tag, as it reads
 * `record` at write time, or `undefined` when an invalidation at or after `computedAt` expired it.
 *
 * - Nothing since `computedAt`, or only the record's creation (found missing, by any process: a
 *   creation rather than an invalidation — a new tag must not cost every first render twice): the
 *   current version.
 * - Only soft invalidations since, inside their window, after every hard one: a version current
 *   just before them, so that the item reads as stale, as one written before them would.
 * - Anything else: expired.
 */
export function versionAsOf(record: TagRecord, computedAt: number, time: number): string | undefined {
  if (record.staleAt < computedAt || record.created) return record.version;
  const servable = record.soft && time < record.expiredAt && record.floor < computedAt;
  return servable ? record.staleVersions[0] : undefined;
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
