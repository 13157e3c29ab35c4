import { CacheError } from '../errors.js';
import type { Hasher } from '../hash.js';
import { keepShape } from '../keep-shapes.js';
import type { Stats } from '../observability/stats.js';
import { Opcode, Status, statusName } from '../protocol.js';
import type { Transport } from '../transport.js';
import { withAttempts } from './attempts.js';
import { decodeRecord, encodeRecord, hardRecord, softRecord, type TagRecord } from './tag-record.js';

/** Receives the records of the tags asked for, or the first error that kept one from being read. */
export type RecordsCallback = (error: CacheError | undefined, records: ReadonlyMap<string, TagRecord>) => void;

/** How often a record is created again when it vanishes between a lost add and the read after it. */
const MAX_ATTEMPTS = 3;

/**
 * One `get` of a tag record, shared by every read that asks for it before it is written to the
 * socket (as token lookups are, tokens.ts): a read never uses a record read before it started.
 * A missing or foreign record is created (`add`, hard, stamped now), so that whatever carried the
 * lost version reads as invalidated (T2); a lost `add` race reads the winner's.
 */
class RecordLookup {
  /** Reads waiting for this record, and the tag name each asked under (pairs, flat). */
  private readonly waiters: (RecordsRead | string)[] = [];
  private attempts = 0;

  constructor(
    private readonly records: TagRecords,
    private readonly key: string,
    readonly epoch: number,
    private readonly deadline: number,
  ) {}

  join(read: RecordsRead, tag: string): void {
    this.waiters.push(read, tag);
  }

  start(): void {
    this.records.stats.tagReads += 1;
    this.records.transport.get(this.key, this.deadline, (error, status, value) => {
      if (error !== undefined) return this.finish(error, undefined);
      const record = status === Status.Ok ? this.records.decode(this.key, value) : undefined;
      if (record !== undefined) return this.finish(undefined, record);
      if (status === Status.Ok || status === Status.NotFound) return this.create(status === Status.Ok);
      this.finish(new CacheError('E_SERVER', `memcached refused a tag read: ${statusName(status)}`), undefined);
    });
  }

  private create(foreign: boolean): void {
    this.attempts += 1;
    if (this.attempts > MAX_ATTEMPTS) {
      this.finish(new CacheError('E_TAG', 'a tag record kept vanishing while it was created'), undefined);
      return;
    }
    const record = hardRecord(Date.now(), true);
    // A foreign value is replaced (set): like any invalidation, always safe. Only a real miss adds.
    const opcode = foreign ? Opcode.Set : Opcode.Add;
    this.records.transport.store(opcode, this.key, encodeRecord(record), 0, this.deadline, (error, status) => {
      if (error !== undefined) this.finish(error, undefined);
      else if (status === Status.Ok) {
        this.records.stats.tagsCreated += 1;
        this.finish(undefined, record);
      } else if (status === Status.Exists || status === Status.NotStored) this.start();
      else this.finish(new CacheError('E_SERVER', `memcached refused a tag record: ${statusName(status)}`), undefined);
    });
  }

  private finish(error: CacheError | undefined, record: TagRecord | undefined): void {
    this.records.forget(this.key, this);
    const waiters = this.waiters;
    for (let index = 0; index < waiters.length; index += 2) {
      (waiters[index] as RecordsRead).land(error, record, waiters[index + 1] as string);
    }
  }
}

/** One {@link TagRecords.read}: a callback object per tag would cost an allocation each. */
class RecordsRead {
  private remaining: number;
  private failed = false;

  constructor(
    private readonly tags: readonly string[],
    private readonly records: Map<string, TagRecord>,
    private readonly callback: RecordsCallback,
  ) {
    this.remaining = tags.length;
  }

  start(owner: TagRecords, deadline: number, keys: readonly string[] | undefined): void {
    const tags = this.tags;
    for (let index = 0; index < tags.length; index += 1) {
      const tag = tags[index] as string;
      owner.readOne(tag, keys === undefined ? owner.keyOf(tag) : (keys[index] as string), deadline, this);
    }
  }

  /** A record, or the error that kept it from being read. */
  land(error: CacheError | undefined, record: TagRecord | undefined, tag: string): void {
    if (this.failed) return;
    if (error !== undefined) {
      this.failed = true;
      this.callback(error, this.records);
      return;
    }
    this.records.set(tag, record as TagRecord);
    this.remaining -= 1;
    if (this.remaining === 0) this.callback(undefined, this.records);
  }
}

// One of each kept alive for its hidden class (keep-shapes.ts); neither is started.
keepShape(new RecordLookup(undefined as never, 'k', 1, 0.5));
keepShape(new RecordsRead([], new Map(), () => {}));

/**
 * Reads, creates and invalidates tag records (DESIGN §12) for one cache prefix. Tag records live
 * as long as memcached keeps them (expiry 0); an evicted one is created again as invalidated.
 * @internal
 */
export class TagRecords {
  private readonly lookups = new Map<string, RecordLookup>();
  private readonly keys = new Map<string, string>();
  /** The last record read per key, with its bytes: a record that did not change is not parsed again. */
  private readonly parsed = new Map<string, { readonly bytes: Buffer; readonly record: TagRecord }>();

  constructor(
    readonly transport: Transport,
    private readonly hasher: Hasher,
    private readonly prefix: string,
    readonly stats: Stats,
  ) {}

  /**
   * The memcached key of a tag's record: `<prefix>:g:<h64(tag)>`; `<prefix>:g:<h128(tag)>` for a
   * tag with lone surrogates, which h64 (of UTF-8) would hash alike, and h128 hashes losslessly.
   */
  keyOf(tag: string): string {
    let key = this.keys.get(tag);
    if (key === undefined) {
      key = `${this.prefix}:g:${tag.isWellFormed() ? this.hasher.h64(tag) : this.hasher.h128(tag)}`;
      if (this.keys.size >= 10_000) this.keys.clear();
      this.keys.set(tag, key);
    }
    return key;
  }

  /**
   * Reads the records of `tags` (sent now, or shared with reads not yet written), creating missing
   * ones. `keys`: the tags' record keys ({@link keyOf}), when the caller kept them.
   */
  read(tags: readonly string[], deadline: number, callback: RecordsCallback, keys?: readonly string[]): void {
    const records = new Map<string, TagRecord>();
    if (tags.length === 0) {
      callback(undefined, records);
      return;
    }
    new RecordsRead(tags, records, callback).start(this, deadline, keys);
  }

  /** @internal Reads one record (at `key`) for `read`, shared with the reads not yet written. */
  readOne(tag: string, key: string, deadline: number, read: RecordsRead): void {
    let lookup = this.lookups.get(key);
    if (lookup === undefined || lookup.epoch !== this.transport.epoch) {
      lookup = new RecordLookup(this, key, this.transport.epoch, deadline);
      this.lookups.set(key, lookup);
      lookup.start();
    }
    lookup.join(read, tag);
  }

  /** @internal A record's stored bytes, parsed (or the same record as last time, when they did not change). */
  decode(key: string, bytes: Buffer): TagRecord | undefined {
    const last = this.parsed.get(key);
    if (last?.bytes.equals(bytes)) return last.record;
    const record = decodeRecord(bytes);
    if (record === undefined) return undefined;
    if (this.parsed.size >= 10_000) this.parsed.clear();
    this.parsed.set(key, { bytes: Buffer.from(bytes), record });
    return record;
  }

  /** @internal Called by a lookup when it settles. */
  forget(key: string, lookup: RecordLookup): void {
    if (this.lookups.get(key) === lookup) this.lookups.delete(key);
  }

  /**
   * Invalidates one tag: a hard invalidation is one `set` of a new record; a soft one reads the
   * record and replaces it by CAS (a concurrent invalidation makes it read again), so that an
   * earlier hard invalidation stays a floor. Calls back with an error unless memcached acknowledged it.
   */
  invalidate(tag: string, staleForMs: number, deadline: number, done: (error: CacheError | undefined) => void): void {
    const key = this.keyOf(tag);
    const acknowledged = (error: CacheError | undefined, status: number): boolean => {
      if (error !== undefined) done(error);
      else if (status === Status.Ok) done(undefined);
      else return false;
      return true;
    };
    if (staleForMs === 0) {
      this.transport.store(Opcode.Set, key, encodeRecord(hardRecord(Date.now())), 0, deadline, (error, status) => {
        if (!acknowledged(error, status))
          done(new CacheError('E_SERVER', `memcached refused a tag invalidation: ${statusName(status)}`));
      });
      return;
    }
    const exhausted = (): CacheError =>
      new CacheError('E_TAG', 'the tag record kept changing during a soft invalidation');
    withAttempts(MAX_ATTEMPTS, exhausted, done, (again) => {
      this.transport.get(key, deadline, (error, status, value, cas) => {
        if (error !== undefined) return done(error);
        const previous = status === Status.Ok ? decodeRecord(value) : undefined;
        const record = encodeRecord(softRecord(previous, Date.now(), staleForMs));
        // Missing: add (a racing creation makes us read again); present: replace only what was read.
        const opcode = status === Status.Ok ? Opcode.Set : Opcode.Add;
        this.transport.store(
          opcode,
          key,
          record,
          0,
          deadline,
          (storeError, storeStatus) => {
            if (acknowledged(storeError, storeStatus)) return;
            if (storeStatus === Status.Exists || storeStatus === Status.NotStored || storeStatus === Status.NotFound)
              again();
            else done(new CacheError('E_SERVER', `memcached refused a tag invalidation: ${statusName(storeStatus)}`));
          },
          status === Status.Ok ? cas : 0n,
        );
      });
    });
  }
}
