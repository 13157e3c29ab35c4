import type { KnownSection } from '../codec.js';

/** What is remembered of an item: its tags' names and record keys, and its tag section as last read. */
export interface Memo {
  readonly names: readonly string[];
  /** The record key of each name, in the same order (if kept): not looked up again on every read. */
  readonly keys?: readonly string[];
  readonly section: KnownSection | undefined;
}

/** How many items' tags are remembered: reads of them send their tag reads with the data read. */
const MAX_REMEMBERED = 10_000;

/**
 * The tags of items read recently, by namespace digest and key digest — two maps rather than one
 * keyed by a concatenation, which the hot path would build and hash on every read. Cleared when
 * full rather than evicted one by one: a Map re-walks deleted front slots (DESIGN §5).
 * @internal
 */
export class Memos {
  private readonly byNamespace = new Map<string, Map<string, Memo>>();
  size = 0;

  get(namespaceHash: string, keyHash: string): Memo | undefined {
    return this.size === 0 ? undefined : this.byNamespace.get(namespaceHash)?.get(keyHash);
  }

  set(namespaceHash: string, keyHash: string, memo: Memo): void {
    if (this.size >= MAX_REMEMBERED) {
      this.byNamespace.clear();
      this.size = 0;
    }
    let keys = this.byNamespace.get(namespaceHash);
    if (keys === undefined) {
      keys = new Map();
      this.byNamespace.set(namespaceHash, keys);
    }
    const before = keys.size;
    keys.set(keyHash, memo);
    this.size += keys.size - before;
  }

  delete(namespaceHash: string, keyHash: string): void {
    const keys = this.byNamespace.get(namespaceHash);
    if (keys?.delete(keyHash) !== true) return;
    this.size -= 1;
    // An empty namespace map is not counted in `size`: left behind, it would grow without bound.
    if (keys.size === 0) this.byNamespace.delete(namespaceHash);
  }
}
