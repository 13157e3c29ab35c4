/** Messages between a fleet test or benchmark (the parent) and its worker processes. */
import type { GetOrSetOptions, Namespace, SetOptions } from '../../src/index.js';

/** What a worker's loader does: wait `ms`, then return `value` (with `{key}` and `{pid}` filled in) or throw. */
export interface LoaderPlan {
  readonly ms: number;
  readonly value?: string;
  readonly fails?: boolean;
  /** Never settle: the worker reports `loading` once it started (for SIGKILL tests). */
  readonly hangs?: boolean;
  /**
   * The "database": a plain memcached key (read with memjs, not through the cache) read when the
   * loader starts; its value replaces `{db}` in `value`.
   */
  readonly dbKey?: string;
}

/** A command to a worker; the worker answers each with a {@link Reply} of the same `id`. */
export type Command =
  | {
      readonly op: 'getOrSet';
      readonly namespace: Namespace;
      readonly keys: readonly string[];
      /** Concurrent callers per key. */
      readonly callers: number;
      readonly loader: LoaderPlan;
      readonly options?: GetOrSetOptions;
    }
  | { readonly op: 'get'; readonly namespace: Namespace; readonly key: string }
  /** Reads many keys at once (answered as `value`: the values, `null` for a miss, in order). */
  | { readonly op: 'getMany'; readonly namespace: Namespace; readonly keys: readonly string[] }
  /**
   * Sets each key to `<value>:<pid>:<key>`, all at once (answered as `value`: per key, the value
   * written, whether it was stored, and when its set resolved: epoch ms with fractions, comparable
   * across processes).
   */
  | {
      readonly op: 'setMany';
      readonly namespace: Namespace;
      readonly keys: readonly string[];
      readonly value: string;
      readonly options?: SetOptions;
    }
  | { readonly op: 'deleteNamespace'; readonly namespace: Namespace }
  /** Shifts this worker's wall clock (Date.now) by `ms`: time passing, or clock skew. */
  | { readonly op: 'clock'; readonly offsetMs: number }
  /** How many loader calls have finished in this worker since it started (answered as `value`). */
  | { readonly op: 'loads' };

/** The outcome of one getOrSet call in a worker. */
export interface CallResult {
  readonly key: string;
  readonly value?: unknown;
  readonly error?: string;
  readonly ms: number;
  /** How many loader calls of this worker had finished when this call resolved. */
  readonly loadsFinishedAtResolve: number;
}

export type Reply =
  | { readonly id: number; readonly results: readonly CallResult[]; readonly loads: number }
  | { readonly id: number; readonly value: unknown }
  | { readonly id: number; readonly done: true };

/** What a worker sends without being asked. */
export type Notice = { readonly notice: 'ready' } | { readonly notice: 'loading'; readonly key: string };
