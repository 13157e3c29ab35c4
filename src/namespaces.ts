import { describe } from './describe.js';
import { encodePath, type KeySpace } from './keys.js';
import { Level } from './tokens.js';

const OPEN_BRACKET = 0x5b;

/** A namespace: a non-empty string, or a non-empty path of non-empty strings (`['tenant:42', 'products']`). */
export type Namespace = string | readonly string[];

/**
 * @internal What a cache remembers of the namespaces it has seen is bounded by (estimated) bytes, not by
 * count: a forgotten namespace forgets its token, and every read of it then takes two round trips,
 * so a multi-tenant app with 100,000 active tenants must keep them all (about 75 MB for short names,
 * `npm run memory`), while 10,000 namespaces of 10 KB must not keep 200 MB alive. Forgotten
 * namespaces are derived again when used (a few hashes); their token knowledge lives on while
 * anything still refers to it.
 */
export const MAX_REMEMBERED_BYTES = 96 * 1024 * 1024;
/** A namespace larger than this is never remembered: deriving it again is cheaper than the memory. */
const MAX_REMEMBERED_NAMESPACE_BYTES = 256 * 1024;
/**
 * The estimate of a remembered namespace: this much for its state, level, token key, token, data-key
 * head and map entries (measured: ~750 bytes for `tenant-12345`), plus per level and per character.
 */
const STATE_BYTES = 640;
const LEVEL_BYTES = 128;

/** @internal What is derived once per namespace: its levels, its digest, and the data-key head of its last generation. */
export class NamespaceState {
  private headTokens = '';
  private head = '';
  /** Looked up since the eviction clock last passed it: it gets a second chance (see {@link Remembered}). */
  used = false;

  /**
   * @param path - a frozen copy of the namespace's path.
   * @param levels - one per path prefix, outermost first; the last is the namespace itself.
   * @param hash - the digest of the encoded path.
   * @param bytes - about how much memory remembering it keeps alive.
   */
  constructor(
    readonly path: readonly string[],
    readonly levels: readonly Level[],
    readonly hash: string,
    private readonly keys: KeySpace,
    readonly bytes: number,
  ) {}

  /** The data-key head for the given tokens (one per level), computed once per generation. */
  dataKeyHead(tokens: readonly string[]): string {
    return tokens.length === 1 ? this.headForToken(tokens[0] as string) : this.headForJoined(tokens.join(':'), tokens);
  }

  /** {@link dataKeyHead} of a one-level namespace. */
  headForToken(token: string): string {
    if (token !== this.headTokens) {
      this.head = this.keys.dataKeyHead(this.hash, token);
      this.headTokens = token;
    }
    return this.head;
  }

  private headForJoined(joined: string, tokens: readonly string[]): string {
    if (joined !== this.headTokens) {
      this.head = this.keys.dataKeyHead(this.hash, this.keys.generation(tokens));
      this.headTokens = joined;
    }
    return this.head;
  }

  /** The head of the last tokens seen for every level, if all are known. */
  rememberedHead(): string | undefined {
    const levels = this.levels;
    if (levels.length === 1) {
      const token = (levels[0] as Level).token;
      return token === undefined ? undefined : this.headForToken(token);
    }
    const tokens: string[] = [];
    for (const level of levels) {
      if (level.token === undefined) return undefined;
      tokens.push(level.token);
    }
    return this.dataKeyHead(tokens);
  }

  /** Whether every level's token was seen less than `ttlMs` before `time`. */
  trustedAt(time: number, ttlMs: number): boolean {
    for (const level of this.levels) {
      if (level.token === undefined || time - level.seenAt >= ttlMs) return false;
    }
    return true;
  }
}

/**
 * Turns the namespaces users pass into {@link NamespaceState}s, validating them on first sight and
 * remembering the result, so the hot path does one map lookup instead of encoding and hashing.
 * @internal
 */
export class Namespaces {
  /**
   * By the string as given for a string namespace (the hot path: no encoding), by the encoded path
   * for a path. Every encoding starts with `[`, so a string that does too is looked up by its
   * encoding as a one-level path — the same namespace — and the two kinds of keys never collide.
   */
  private readonly states = new Remembered();
  /**
   * Levels by token key, held weakly: a namespace handle may outlive the bounded maps above, and
   * a rotation must reach the very Level object it reads (tokenCacheTtl), so there is never more
   * than one live Level per token key.
   */
  private readonly levels = new Map<string, WeakRef<Level>>();
  private readonly forgetLevel = new FinalizationRegistry<string>((tokenKey) => {
    if (this.levels.get(tokenKey)?.deref() === undefined) this.levels.delete(tokenKey);
  });

  /** @param keys - the key layout of the cache's prefix. */
  constructor(private readonly keys: KeySpace) {}

  /**
   * The state of a namespace given as a string or a path.
   *
   * @throws TypeError when it is not a non-empty string or a non-empty array of non-empty strings.
   */
  of(namespace: unknown): NamespaceState {
    if (typeof namespace === 'string' && namespace.charCodeAt(0) !== OPEN_BRACKET) {
      const known = this.states.get(namespace);
      if (known !== undefined) return known;
      const state = this.derive(checkNamespace(namespace));
      // Remembered under the state's own copy of the string, never the caller's (see derive).
      this.states.add(state.path[0] as string, state);
      return state;
    }
    // One reading of the array, into a copy: the lookup key and the derived state both come from
    // it, so a getter, a hole or an own `toJSON` can never make them disagree.
    const path = checkNamespace(namespace);
    const encoded = encodePath(path);
    const known = this.states.get(encoded);
    if (known !== undefined) return known;
    const state = this.derive(path, encoded);
    this.states.add(encoded, state);
    return state;
  }

  /** @internal How many namespaces and estimated bytes are remembered, for tests and diagnostics. */
  remembered(): { readonly count: number; readonly bytes: number } {
    return { count: this.states.count, bytes: this.states.bytes };
  }

  /**
   * Derives a namespace's state. The path it keeps is parsed back from its encoding: fresh strings,
   * so that a namespace sliced from a large string (`big.slice(0, 20)`) does not keep that string
   * alive in V8, where the memory estimate below could not see it.
   */
  private derive(given: readonly string[], encoded = encodePath(given)): NamespaceState {
    const path = Object.freeze(JSON.parse(encoded) as string[]);
    // One digest per path prefix: it names the level's token key, and the last one is the namespace's.
    const digests = path.map((_, index) => this.keys.pathDigest(encodePath(path.slice(0, index + 1))));
    const levels = digests.map((digest) => this.level(this.keys.tokenKey(digest)));
    // The segments, and the encoding (the lookup key of a path; an over-estimate for a string).
    let bytes = STATE_BYTES + LEVEL_BYTES * levels.length + 2 * encoded.length;
    for (const segment of path) bytes += 2 * segment.length;
    return new NamespaceState(path, levels, digests[digests.length - 1] as string, this.keys, bytes);
  }

  private level(tokenKey: string): Level {
    const known = this.levels.get(tokenKey)?.deref();
    if (known !== undefined) return known;
    const level = new Level(tokenKey);
    this.levels.set(tokenKey, new WeakRef(level));
    this.forgetLevel.register(level, tokenKey);
    return level;
  }
}

/**
 * A map of namespace states bounded by (estimated) bytes, evicting by the CLOCK rule (an
 * approximation of least recently used): a lookup only sets `used`, so a hit stays one map read
 * and one store, and eviction takes the next entry, going round, not used since the hand last
 * passed it.
 *
 * The entries live in a ring of slots (two arrays) that the hand walks, and the map only says
 * which slot holds a key: a `Map` walked from its front and re-inserted at its back (the first
 * design) is re-walked over its deleted entries on every eviction until V8 rehashes it — 32% of
 * the CPU of a read with 100,000 namespaces visited in turn.
 */
class Remembered {
  private readonly slots = new Map<string, number>();
  private readonly keys: (string | undefined)[] = [];
  private readonly states: (NamespaceState | undefined)[] = [];
  /** Slots emptied by eviction, filled again first. */
  private readonly free: number[] = [];
  private hand = 0;
  bytes = 0;

  get count(): number {
    return this.slots.size;
  }

  get(key: string): NamespaceState | undefined {
    const slot = this.slots.get(key);
    if (slot === undefined) return undefined;
    const state = this.states[slot] as NamespaceState;
    state.used = true;
    return state;
  }

  add(key: string, state: NamespaceState): void {
    if (state.bytes > MAX_REMEMBERED_NAMESPACE_BYTES) return;
    while (this.slots.size > 0 && this.bytes + state.bytes > MAX_REMEMBERED_BYTES) this.evictOne();
    const slot = this.free.pop() ?? this.keys.length;
    this.keys[slot] = key;
    this.states[slot] = state;
    this.slots.set(key, slot);
    this.bytes += state.bytes;
  }

  /** Empties the next slot not used since the hand last passed it (within two turns at most). */
  private evictOne(): void {
    const { keys, states } = this;
    for (;;) {
      if (this.hand >= states.length) this.hand = 0;
      const slot = this.hand;
      this.hand += 1;
      const state = states[slot];
      if (state === undefined) continue;
      if (state.used) {
        state.used = false;
        continue;
      }
      this.slots.delete(keys[slot] as string);
      keys[slot] = undefined;
      states[slot] = undefined;
      this.free.push(slot);
      this.bytes -= state.bytes;
      return;
    }
  }
}

/**
 * The path of a namespace given as a string (a one-level path) or a path, as a fresh frozen array
 * of strings read once from what was given (holes, getters and own properties are not followed twice).
 *
 * @throws TypeError when it is not a non-empty string or a non-empty array of non-empty strings.
 * @internal
 */
export function checkNamespace(namespace: unknown): readonly string[] {
  if (typeof namespace === 'string' && namespace.length > 0) return Object.freeze([namespace]);
  if (Array.isArray(namespace) && namespace.length > 0) {
    const length = namespace.length;
    const path: string[] = new Array(length);
    let valid = true;
    for (let index = 0; index < length && valid; index += 1) {
      // A hole reads as undefined here (every() and forEach() would skip it).
      const segment: unknown = namespace[index];
      valid = typeof segment === 'string' && segment.length > 0;
      path[index] = segment as string;
    }
    if (valid) return Object.freeze(path);
  }
  throw new TypeError(
    `Expected the namespace to be a non-empty string or a non-empty array of non-empty strings, got ${describe(namespace)}`,
  );
}
