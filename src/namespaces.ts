import { describe } from './describe.js';
import { encodePath, type KeySpace } from './keys.js';
import { Level } from './tokens.js';

/** A namespace: a non-empty string, or a non-empty path of non-empty strings (`['tenant:42', 'products']`). */
export type Namespace = string | readonly string[];

/**
 * How many namespaces a cache keeps derived state for. Older ones are derived again when used
 * (a few hashes); their token knowledge lives on while anything still refers to it.
 */
const MAX_REMEMBERED_NAMESPACES = 10_000;

/** @internal What is derived once per namespace: its levels, its digest, and the data-key head of its last generation. */
export class NamespaceState {
  private headTokens = '';
  private head = '';

  /**
   * @param levels - one per path prefix, outermost first; the last is the namespace itself.
   * @param hash - the digest of the encoded path.
   */
  constructor(
    readonly path: readonly string[],
    readonly levels: readonly Level[],
    readonly hash: string,
    private readonly keys: KeySpace,
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
  private readonly byName = new Map<string, NamespaceState>();
  private readonly byPath = new Map<string, NamespaceState>();
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
    if (typeof namespace === 'string') {
      const known = this.byName.get(namespace);
      if (known !== undefined) return known;
      const state = this.derive(checkNamespace(namespace));
      remember(this.byName, namespace, state);
      return state;
    }
    const path = checkNamespace(namespace);
    const encoded = encodePath(path);
    const known = this.byPath.get(encoded);
    if (known !== undefined) return known;
    const state = this.derive(path.slice());
    remember(this.byPath, encoded, state);
    return state;
  }

  private derive(path: readonly string[]): NamespaceState {
    const levels = path.map((_, index) => this.level(encodePath(path.slice(0, index + 1))));
    return new NamespaceState(Object.freeze(path), levels, this.keys.namespaceHash(encodePath(path)), this.keys);
  }

  private level(encodedPath: string): Level {
    const tokenKey = this.keys.tokenKey(encodedPath);
    const known = this.levels.get(tokenKey)?.deref();
    if (known !== undefined) return known;
    const level = new Level(tokenKey, encodedPath);
    this.levels.set(tokenKey, new WeakRef(level));
    this.forgetLevel.register(level, tokenKey);
    return level;
  }
}

function remember(map: Map<string, NamespaceState>, key: string, state: NamespaceState): void {
  if (map.size >= MAX_REMEMBERED_NAMESPACES) {
    // Maps iterate in insertion order: drop the oldest.
    map.delete(map.keys().next().value as string);
  }
  map.set(key, state);
}

/**
 * The path of a namespace given as a string (a one-level path) or a path.
 *
 * @throws TypeError when it is not a non-empty string or a non-empty array of non-empty strings.
 * @internal
 */
export function checkNamespace(namespace: unknown): readonly string[] {
  return checkPath(typeof namespace === 'string' ? [namespace] : namespace, namespace);
}

function checkPath(path: unknown, given: unknown): readonly string[] {
  if (
    !Array.isArray(path) ||
    path.length === 0 ||
    !path.every((segment) => typeof segment === 'string' && segment.length > 0)
  ) {
    throw new TypeError(
      `Expected the namespace to be a non-empty string or a non-empty array of non-empty strings, got ${describe(given)}`,
    );
  }
  return path;
}
