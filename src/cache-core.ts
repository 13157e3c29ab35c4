import type { CacheOperation } from './errors.js';
import { FailurePolicy } from './failure-policy.js';
import { Generations } from './generation.js';
import { type Hasher, loadedHasher, loadHasher } from './hash.js';
import { KeySpace } from './keys.js';
import { Lifecycle } from './lifecycle.js';
import { Namespaces } from './namespaces.js';
import { type CacheDescription, operationChannel } from './observability/channel.js';
import { Stats } from './observability/stats.js';
import { describeCache, operationContext, traceOperation } from './observability/trace.js';
import { Operations } from './operations.js';
import type { NamespacedCacheOptions } from './options.js';
import { resolveOptions, type Settings } from './settings.js';
import { TagRecords } from './tags/tag-records.js';
import { TaggedReads } from './tags/tagged-read.js';
import { Tokens } from './tokens.js';
import { reachFor } from './transport/choose.js';
import { Transport } from './transport.js';

/**
 * What a cache and its namespace handles share: the settings, the memjs client and transport, the
 * operations, and the lifecycle (the hash functions load asynchronously; `close()` ends it).
 */
export class CacheCore {
  readonly settings: Settings;
  /** The counters `stats()` copies; every operation of the cache and its handles counts here. */
  readonly stats = new Stats();
  private readonly description: CacheDescription;
  private readonly transport: Transport;
  /** The operations, once the hash functions have loaded, until the cache closes. */
  operations: Operations | undefined;
  private readonly ready: Promise<Operations>;
  private readonly lifecycle = new Lifecycle();
  private closing: Promise<void> | undefined;

  /** @throws TypeError or RangeError when an option is invalid. */
  constructor(options: NamespacedCacheOptions) {
    this.settings = resolveOptions(options);
    const reach = reachFor(this.settings);
    const transport = new Transport(reach.connect, this.settings.timeoutMs, this.settings.compressAbove);
    this.transport = transport;
    this.stats.protocolOf = () => transport.protocol;
    this.description = describeCache(this.settings.prefix, reach.servers, () => transport.protocol, reach.tls);
    // xxhash-wasm compiles asynchronously, once per process; caches made after that start ready.
    const hasher = loadedHasher();
    if (hasher === undefined) {
      this.ready = loadHasher().then((loaded) => this.makeOperations(loaded));
      this.ready.then(
        (operations) => {
          if (!this.lifecycle.closed) this.operations = operations;
        },
        () => {}, // the calls waiting on `ready` get the error
      );
    } else {
      this.operations = this.makeOperations(hasher);
      this.ready = Promise.resolve(this.operations);
    }
  }

  private makeOperations(hasher: Hasher): Operations {
    const keys = new KeySpace(this.settings.prefix, hasher);
    const tokens = new Tokens(this.transport, hasher, this.settings.tokenTtl, this.stats);
    return new Operations({
      settings: this.settings,
      transport: this.transport,
      keys,
      namespaces: new Namespaces(keys),
      tokens,
      generations: new Generations(tokens, this.settings.tokenCacheTtlMs, this.settings.timeoutMs, this.stats),
      policy: new FailurePolicy(this.settings.failOpen, this.settings.onError, this.stats),
      lifecycle: this.lifecycle,
      tags: new TaggedReads(this.transport, new TagRecords(this.transport, hasher, this.settings.prefix, this.stats)),
      stats: this.stats,
    });
  }

  /**
   * Runs `call` with the operations: now if they are ready, else once they are (or `E_CLOSED`).
   * Published on the tracing channel when it has subscribers, with the call's namespace and key(s).
   */
  run<T>(
    operation: CacheOperation,
    call: (operations: Operations) => Promise<T>,
    namespace?: unknown,
    keys?: unknown,
  ): Promise<T> {
    if (operationChannel.hasSubscribers) {
      const context = operationContext(this.description, operation, namespace, keys);
      return traceOperation(context, (bound: typeof call) => this.untraced(operation, bound), call);
    }
    return this.untraced(operation, call);
  }

  private untraced<T>(operation: CacheOperation, call: (operations: Operations) => Promise<T>): Promise<T> {
    const operations = this.operations;
    return operations === undefined ? this.later(operation, call) : call(operations);
  }

  private later<T>(operation: CacheOperation, call: (operations: Operations) => Promise<T>): Promise<T> {
    if (this.lifecycle.closed) return Promise.reject(this.stats.error(this.lifecycle.closedError(operation)));
    // Made before close(): it runs once the hash functions are ready, and close() waits for it
    // (its callback was registered on `ready` before close()'s own).
    return this.ready.then(call);
  }

  /**
   * Stops new calls and loader writes at once, waits for the requests in flight (including calls
   * made before the hash functions had loaded), then closes the client if the cache created it.
   */
  close(): Promise<void> {
    this.operations = undefined;
    this.lifecycle.close();
    this.closing ??= this.ready
      .then(
        () => this.transport.idle(),
        () => {},
      )
      .then(() => {
        this.transport.close();
      });
    return this.closing;
  }
}
