import { CacheError, type CacheOperation } from './errors.js';
import { FailurePolicy } from './failure-policy.js';
import { Generations } from './generation.js';
import { type Hasher, loadedHasher, loadHasher } from './hash.js';
import { KeySpace } from './keys.js';
import { checkMemjsClient, createMemjsClient, type MemjsClient } from './memjs-client.js';
import { Namespaces } from './namespaces.js';
import { Operations } from './operations.js';
import { type NamespacedCacheOptions, resolveOptions, type Settings } from './options.js';
import { installRendezvousHashing } from './pool.js';
import { Tokens } from './tokens.js';
import { Transport } from './transport.js';

/**
 * What a cache and its namespace handles share: the settings, the memjs client and transport, the
 * operations, and the lifecycle (the hash functions load asynchronously; `close()` ends it).
 */
export class CacheCore {
  readonly settings: Settings;
  private readonly client: MemjsClient;
  private readonly ownsClient: boolean;
  private readonly transport: Transport;
  /** The operations, once the hash functions have loaded, until the cache closes. */
  operations: Operations | undefined;
  private readonly ready: Promise<Operations>;
  private closing: Promise<void> | undefined;

  /** @throws TypeError or RangeError when an option is invalid. */
  constructor(options: NamespacedCacheOptions) {
    this.settings = resolveOptions(options);
    const { client, servers } = this.settings;
    this.ownsClient = client === undefined;
    this.client = client === undefined ? createMemjsClient(servers) : checkMemjsClient(client);
    // A pool the cache creates spreads keys by rendezvous hashing; a client passed in keeps its own
    // mapping (useConsistentHashing() gives it ours).
    if (this.ownsClient && this.client.servers.length > 1) installRendezvousHashing(this.client);
    this.transport = new Transport(this.client, this.settings.timeoutMs, this.settings.compressAbove);
    // xxhash-wasm compiles asynchronously, once per process; caches made after that start ready.
    const hasher = loadedHasher();
    if (hasher === undefined) {
      this.ready = loadHasher().then((loaded) => this.makeOperations(loaded));
      this.ready.then(
        (operations) => {
          if (this.closing === undefined) this.operations = operations;
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
    const tokens = new Tokens(this.transport, hasher, this.settings.tokenTtl);
    return new Operations({
      settings: this.settings,
      transport: this.transport,
      keys,
      namespaces: new Namespaces(keys),
      tokens,
      generations: new Generations(tokens, this.settings.tokenCacheTtlMs, this.settings.timeoutMs),
      policy: new FailurePolicy(this.settings.failOpen, this.settings.onError),
    });
  }

  /** Runs `call` with the operations: now if they are ready, else once they are (or `E_CLOSED`). */
  run<T>(operation: CacheOperation, call: (operations: Operations) => Promise<T>): Promise<T> {
    const operations = this.operations;
    return operations === undefined ? this.later(operation, call) : call(operations);
  }

  private later<T>(operation: CacheOperation, call: (operations: Operations) => Promise<T>): Promise<T> {
    if (this.closing !== undefined) {
      return Promise.reject(new CacheError('E_CLOSED', `${operation}() after close()`, { operation }));
    }
    return this.ready.then((operations) =>
      this.closing === undefined ? call(operations) : this.later(operation, call),
    );
  }

  /** Stops new calls, waits for the ones in flight, then closes the client if the cache created it. */
  close(): Promise<void> {
    this.operations = undefined;
    this.closing ??= this.transport.idle().then(() => {
      this.transport.close();
      if (this.ownsClient) this.client.close();
    });
    return this.closing;
  }
}
