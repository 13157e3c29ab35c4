import type { CacheError } from './errors.js';
import { keepShape } from './keep-shapes.js';
import type { NamespaceState } from './namespaces.js';
import type { Stats } from './observability/stats.js';
import { currentOperation, recordError } from './observability/trace.js';
import type { Level, Tokens } from './tokens.js';
import { now } from './transport.js';

/** Work done under one generation (a data-key head) before `deadline`; calls `done` once. */
export type Action<R> = (
  head: string,
  deadline: number,
  done: (error: CacheError | undefined, result: R | undefined) => void,
) => void;

/** The result of an action that ran under the namespace's current generation, and that generation's head. */
export type Outcome<R> = (error: CacheError | undefined, result: R | undefined, head: string) => void;

/** Turns an action's outcome into the result of the call that ran it. */
export type Settle<R, T> = (
  error: CacheError | undefined,
  result: R | undefined,
  head: string,
  resolve: (value: T) => void,
  reject: (error: unknown) => void,
) => void;

type HeadCallback = (error: CacheError | undefined, head: string) => void;

/**
 * Runs work under a namespace's current generation (DESIGN §4–§5), in one round trip when it can:
 *
 * - **trusted** (`tokenCacheTtl` > 0 and every level's token was seen within it): the remembered
 *   generation is used as is, with no token read;
 * - **optimistic** (a remembered token, not trusted): the work is sent under the remembered
 *   generation *together with* fresh token reads; if the tokens come back unchanged the work stands,
 *   otherwise it is redone under the new generation (what it did under the old one is unreachable);
 * - **fresh** (no token remembered yet): tokens first, then the work.
 *
 * Token reads are sent after the work started and shared only by work written with them (tokens.ts), so work
 * that starts after a rotation resolved never stands on the old generation (invariant I1).
 */
export class Generations {
  /**
   * @param tokens - resolves token reads.
   * @param tokenCacheTtlMs - how long a seen token is trusted; 0 = never.
   * @param timeoutMs - the deadline of a call, from its start.
   * @param stats - counts optimistic re-reads.
   */
  constructor(
    private readonly tokens: Tokens,
    private readonly tokenCacheTtlMs: number,
    private readonly timeoutMs: number,
    readonly stats: Stats,
  ) {}

  /**
   * A call on keys of one namespace: runs `action` under the namespace's current generation, with
   * a deadline `timeout` from now, and settles the call's promise with `settle`.
   */
  call<R, T>(state: NamespaceState, action: Action<R>, settle: Settle<R, T>): Promise<T> {
    const trace = currentOperation(); // the call's tracing context, if the channel has subscribers
    return new Promise<T>((resolve, reject) => {
      const time = now();
      this.run<R>(state, time, time + this.timeoutMs, action, (error, result, head) => {
        if (error !== undefined) recordError(trace, error);
        settle(error, result, head, resolve, reject);
      });
    });
  }

  /**
   * @param time - {@link now} when the call started.
   * @param deadline - when the call must have settled.
   */
  run<R>(state: NamespaceState, time: number, deadline: number, action: Action<R>, outcome: Outcome<R>): void {
    const remembered = state.rememberedHead();
    if (remembered === undefined) {
      this.resolveHead(state, deadline, (error, head) => {
        if (error !== undefined) outcome(error, undefined, '');
        else action(head, deadline, (actionError, result) => outcome(actionError, result, head));
      });
    } else if (this.tokenCacheTtlMs > 0 && state.trustedAt(time, this.tokenCacheTtlMs)) {
      action(remembered, deadline, (error, result) => outcome(error, result, remembered));
    } else {
      new OptimisticRun(this, state, deadline, remembered, action, outcome).start();
    }
  }

  /** Reads every level's token (after this call started) and gives the data-key head they make. */
  resolveHead(state: NamespaceState, deadline: number, callback: HeadCallback): void {
    const levels = state.levels;
    if (levels.length === 1) {
      this.tokens.resolve(levels[0] as Level, deadline, (error, token) => {
        if (error !== undefined) callback(error, '');
        else callback(undefined, state.headForToken(token));
      });
      return;
    }
    const tokens: string[] = new Array(levels.length);
    let remaining = levels.length;
    let failed = false;
    levels.forEach((level, index) => {
      this.tokens.resolve(level, deadline, (error, token) => {
        if (failed) return;
        if (error !== undefined) {
          failed = true;
          callback(error, '');
          return;
        }
        tokens[index] = token;
        remaining -= 1;
        if (remaining === 0) callback(undefined, state.dataKeyHead(tokens));
      });
    });
  }
}

class OptimisticRun<R> {
  private actionDone = false;
  private actionError: CacheError | undefined;
  private actionResult: R | undefined;
  /** The token reads are back and agree with the remembered generation. */
  private confirmed = false;
  private settled = false;

  constructor(
    private readonly generations: Generations,
    private readonly state: NamespaceState,
    private readonly deadline: number,
    private readonly remembered: string,
    private readonly action: Action<R>,
    private readonly outcome: Outcome<R>,
  ) {}

  start(): void {
    this.action(this.remembered, this.deadline, this.onAction);
    this.generations.resolveHead(this.state, this.deadline, this.onHead);
  }

  private readonly onAction = (error: CacheError | undefined, result: R | undefined): void => {
    this.actionDone = true;
    this.actionError = error;
    this.actionResult = result;
    if (this.confirmed) this.finish();
  };

  private readonly onHead = (error: CacheError | undefined, head: string): void => {
    if (error !== undefined) {
      // Without a fresh token nothing says the remembered generation is current.
      this.settled = true;
      this.outcome(error, undefined, '');
    } else if (head === this.remembered) {
      this.confirmed = true;
      if (this.actionDone) this.finish();
    } else {
      // The namespace moved on: redo the work under the new generation at once.
      this.generations.stats.optimisticRereads += 1;
      this.settled = true;
      this.action(head, this.deadline, (actionError, result) => this.outcome(actionError, result, head));
    }
  };

  private finish(): void {
    if (this.settled) return;
    this.settled = true;
    this.outcome(this.actionError, this.actionResult, this.remembered);
  }
}

// One run kept alive for its hidden class (keep-shapes.ts); it is never started.
keepShape(
  new OptimisticRun(
    undefined as never,
    undefined as never,
    0.5,
    'h',
    () => {},
    () => {},
  ),
);
