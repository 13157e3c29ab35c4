import { randomBytes } from 'node:crypto';
import { CacheError } from './errors.js';
import { toExpiry } from './expiry.js';
import type { Hasher } from './hash.js';
import { keepShape } from './keep-shapes.js';
import type { Stats } from './observability/stats.js';
import { Opcode, Status, statusName } from './protocol.js';
import { now, type Transport } from './transport.js';

/** Receives a token, or the error that kept it from being resolved. */
export type TokenCallback = (error: CacheError | undefined, token: string) => void;

/** Tokens are 16 lowercase hex digits; anything else at a token key is not ours. */
const TOKEN_PATTERN = /^[0-9a-f]{16}$/;

/** How often a token is re-created when it vanishes between the failed add and the get after it. */
const MAX_CREATE_ATTEMPTS = 3;

/** What this cache knows about one namespace level's token. */
export class Level {
  /** The last token seen: a hint for optimistic reads, trusted for `tokenCacheTtl` once seen. */
  token: string | undefined = undefined;
  /** {@link now} when the lookup that returned {@link token} was started, or when it was rotated here. */
  seenAt = Number.NEGATIVE_INFINITY;
  /**
   * Bumped when a rotation starts and when it ends: a lookup started before either may return the
   * old token, and must not overwrite the rotated one.
   */
  version = 0;
  /** The last lookup started: reads starting now may join it only while it is unwritten (same epoch). */
  lookup: TokenLookup | undefined = undefined;

  /**
   * @param tokenKey - the memcached key of this level's token. It names the prefix and the path (by
   *   its digest) and seeds new tokens: a level keeps no copy of its path, which for deep paths of
   *   long segments would make memory grow with the square of the depth.
   */
  constructor(readonly tokenKey: string) {}

  /** Records a token read or written at `seenAt`, unless something newer is known already. */
  remember(token: string | undefined, seenAt: number, version: number): void {
    if (version === this.version && seenAt >= this.seenAt) {
      this.token = token;
      this.seenAt = seenAt;
    }
  }
}

/**
 * One `get` of a token key shared by every read that asks for it before the get is written.
 * Reads that start after the write get a lookup of their own, so a read never uses a token read
 * before it started (invariant I1).
 */
class TokenLookup {
  private readonly waiters: TokenCallback[] = [];
  private attempts = 0;
  private readonly startedAt = now();
  private readonly version: number;

  constructor(
    private readonly tokens: Tokens,
    private readonly level: Level,
    readonly epoch: number,
    private readonly deadline: number,
  ) {
    this.version = level.version;
  }

  join(callback: TokenCallback): void {
    this.waiters.push(callback);
  }

  start(): void {
    this.tokens.stats.tokenReads += 1;
    this.tokens.transport.get(this.level.tokenKey, this.deadline, this.onGet);
  }

  private readonly onGet = (error: CacheError | undefined, status: number, value: Buffer): void => {
    const token = status === Status.Ok ? value.toString('latin1') : '';
    if (error !== undefined) {
      this.finish(error, '');
    } else if (status === Status.Ok && TOKEN_PATTERN.test(token)) {
      this.finish(undefined, token);
    } else if (status === Status.Ok) {
      // Not a token of ours: replacing it is a rotation, which is always safe.
      this.store(Opcode.Set);
    } else if (status === Status.NotFound) {
      // Only a real miss creates a token: an error or timeout is never taken for one, or a network
      // blip would silently flush the namespace.
      this.store(Opcode.Add);
    } else {
      this.finish(new CacheError('E_SERVER', `memcached refused the token read: ${statusName(status)}`), '');
    }
  };

  /** add (or set, for a foreign value) a new token; on a lost add race, read the winner. */
  private store(opcode: typeof Opcode.Add | typeof Opcode.Set): void {
    this.attempts += 1;
    if (this.attempts > MAX_CREATE_ATTEMPTS) {
      this.finish(new CacheError('E_TOKEN', 'the namespace token kept vanishing while it was created'), '');
      return;
    }
    const token = this.tokens.newToken(this.level.tokenKey);
    this.tokens.transport.store(
      opcode,
      this.level.tokenKey,
      Buffer.from(token, 'latin1'),
      this.tokens.tokenExpiry(),
      this.deadline,
      (error, status) => {
        if (error !== undefined) {
          this.finish(error, '');
        } else if (status === Status.Ok) {
          this.tokens.stats.tokensCreated += 1;
          this.finish(undefined, token);
        } else if (status === Status.Exists) {
          this.start(); // lost the race to another client: read the winner's token
        } else {
          this.finish(new CacheError('E_SERVER', `memcached refused the new token: ${statusName(status)}`), '');
        }
      },
    );
  }

  private finish(error: CacheError | undefined, token: string): void {
    if (this.level.lookup === this) this.level.lookup = undefined;
    if (error === undefined) this.level.remember(token, this.startedAt, this.version);
    for (const waiter of this.waiters) waiter(error, token);
  }
}

// One lookup kept alive for its hidden class (keep-shapes.ts); it is never started.
keepShape(new TokenLookup(undefined as never, new Level('k'), 1, 0.5));

/** Resolves and rotates namespace tokens (DESIGN §4) for one cache. */
export class Tokens {
  /**
   * @param transport - carries the token reads and writes.
   * @param hasher - digests new tokens.
   * @param tokenTtl - time to live of tokens, in seconds (0 = never).
   * @param stats - counts token reads and tokens created.
   */
  constructor(
    readonly transport: Transport,
    private readonly hasher: Hasher,
    private readonly tokenTtl: number,
    readonly stats: Stats,
  ) {}

  /**
   * Calls back with the level's current token, read from memcached after this call (shared with the
   * other reads written with it), or created if there is none.
   */
  resolve(level: Level, deadline: number, callback: TokenCallback): void {
    let lookup = level.lookup;
    if (lookup === undefined || lookup.epoch !== this.transport.epoch) {
      lookup = new TokenLookup(this, level, this.transport.epoch, deadline);
      level.lookup = lookup;
      lookup.start();
    }
    lookup.join(callback);
  }

  /**
   * Replaces the level's token with a new one (a `set`), which makes every key of the namespace and
   * of the namespaces below it unreachable. Calls back with an error when memcached did not
   * acknowledge the write: an invalidation never fails silently.
   */
  rotate(level: Level, deadline: number, callback: (error: CacheError | undefined) => void): void {
    const token = this.newToken(level.tokenKey);
    level.version += 1;
    this.transport.store(
      Opcode.Set,
      level.tokenKey,
      Buffer.from(token, 'latin1'),
      this.tokenExpiry(),
      deadline,
      (error, status) => {
        level.version += 1;
        if (error === undefined && status !== Status.Ok) {
          error = new CacheError('E_SERVER', `memcached refused the new token: ${statusName(status)}`);
        }
        // On failure the token may or may not have changed: forget it rather than trust either.
        level.remember(error === undefined ? token : undefined, now(), level.version);
        callback(error);
      },
    );
  }

  /**
   * Replaces the level's token with `token` only if it is still the item with `cas` (a soft clear,
   * tags/soft-clear.ts): `replaced` is false when another write changed it meanwhile.
   */
  replace(
    level: Level,
    token: string,
    cas: bigint,
    deadline: number,
    callback: (error: CacheError | undefined, replaced: boolean) => void,
  ): void {
    level.version += 1;
    const key = level.tokenKey;
    this.transport.store(
      Opcode.Set,
      key,
      Buffer.from(token, 'latin1'),
      this.tokenExpiry(),
      deadline,
      (error, status) => {
        level.version += 1;
        const replaced = error === undefined && status === Status.Ok;
        if (error === undefined && !replaced && status !== Status.Exists && status !== Status.NotFound) {
          error = new CacheError('E_SERVER', `memcached refused the new token: ${statusName(status)}`);
        }
        // As in rotate: a failed or lost write leaves the token unknown here.
        level.remember(replaced ? token : undefined, now(), level.version);
        callback(error, replaced);
      },
      cas,
    );
  }

  /**
   * A token nobody has seen before: xxh64 of the level's token key (prefix and path digest), the
   * wall-clock time and 64 random bits, so that two machines, a skewed clock or two rotations in one
   * millisecond never repeat one.
   */
  newToken(tokenKey: string): string {
    const random = randomBytes(8).toString('hex');
    return this.hasher.h64(`${tokenKey}\n${Date.now()}\n${random}`);
  }

  /** The expiry field for token writes. */
  tokenExpiry(): number {
    return toExpiry(this.tokenTtl);
  }
}
