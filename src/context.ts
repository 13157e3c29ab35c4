import type { FailurePolicy } from './failure-policy.js';
import type { Generations } from './generation.js';
import type { KeySpace } from './keys.js';
import type { Lifecycle } from './lifecycle.js';
import type { Namespaces } from './namespaces.js';
import type { Stats } from './observability/stats.js';
import type { Settings } from './settings.js';
import type { TaggedReads } from './tags/tagged-read.js';
import type { Tokens } from './tokens.js';
import type { Transport } from './transport.js';

/** The parts of a cache every operation works with. */
export interface Context {
  readonly settings: Settings;
  readonly transport: Transport;
  readonly keys: KeySpace;
  readonly namespaces: Namespaces;
  readonly tokens: Tokens;
  readonly generations: Generations;
  readonly policy: FailurePolicy;
  readonly lifecycle: Lifecycle;
  /** Reads with their tags checked, and the tag records (DESIGN §12). */
  readonly tags: TaggedReads;
  /** The cache's counters (`cache.stats()`). */
  readonly stats: Stats;
}
