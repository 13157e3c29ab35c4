import { CacheError } from '../errors.js';
import { now } from './clock.js';
import type { Reply } from './codec.js';
import { EMPTY, type Request } from './request.js';

/**
 * Coalescing a tick's requests into one write saves syscalls, most of a client's CPU at high
 * concurrency. But at moderate concurrency it puts every request in lock-step: one write out, one
 * burst of replies back, the server idle while the client works and the other way round (measured:
 * raw memjs corked per tick loses ~20% at 16 in flight). So once a tick has queued half the
 * connection's recent peak of outstanding requests (and at least this many), they are written at
 * once and the rest at the end of the tick: the server starts on the first half while the client
 * builds the second, at one extra write per tick.
 */
const MIN_EARLY_WRITE = 8;

function timeoutError(): CacheError {
  return new CacheError('E_TIMEOUT', 'memcached did not answer before the deadline');
}

/** What a connection needs of its transport. */
export interface ConnectionOwner {
  /** Schedules a write of the connection's queue at the end of this tick. */
  markDirty(connection: Pipeline): void;
  /** Something was answered: wakes idle waiters once nothing is pending. */
  noteAnswered(): void;
  /** Sends a read again, on whatever connection its key maps to now, with the same deadline. */
  retry(request: Request): void;
}

/**
 * What every connection shares, whatever carries its bytes (a memjs server, a socket of the
 * cache's own) and whatever protocol it speaks: the requests queued for the next write, the ones
 * written and not yet answered (in write order: memcached answers in order), deadlines, the stall
 * reset, and the rule that only reads are ever sent twice.
 */
export abstract class Pipeline {
  queue: Request[] = [];
  /** Written, in order; answered ones before `head` are cleared. */
  protected inflight: (Request | undefined)[] = [];
  protected head = 0;
  /** The most requests seen outstanding at once, decaying each tick: the recent concurrency. */
  private peak = 0;
  dirty = false;

  constructor(protected readonly owner: ConnectionOwner) {}

  /** `host:port`, for error messages. */
  abstract readonly label: string;

  /** Writes the queue (or as much of it as may go now). */
  abstract flush(time: number): void;

  /** Fails every request on the connection with `error` and starts a new connection for the next ones. */
  abstract reset(error: CacheError): void;

  /** Lets go of the connection: the cache is closed and idle. */
  abstract detach(): void;

  busy(): boolean {
    return this.queue.length > 0 || this.head < this.inflight.length;
  }

  /** Queues a request; says whether the queue should be written now rather than at the end of the tick. */
  enqueue(request: Request): boolean {
    this.queue.push(request);
    const outstanding = this.queue.length + this.inflight.length - this.head;
    if (outstanding > this.peak) this.peak = outstanding;
    return this.queue.length >= MIN_EARLY_WRITE && this.queue.length * 2 >= this.peak;
  }

  /** Called once per tick: lets the recent peak fade, so the split follows a falling load. */
  decayPeak(): void {
    this.peak -= this.peak / 16;
  }

  /** The oldest written request not yet answered, if any. */
  protected oldest(): Request | undefined {
    return this.inflight[this.head];
  }

  /**
   * Settles `request` with the reply a codec read for it (a view of `buffer`), and the other gets
   * of its shared line with theirs; a line refused as a whole sends its gets again one by one.
   */
  protected settleParsed(request: Request, reply: Reply, buffer: Buffer): void {
    const peers = request.peers;
    if (peers !== undefined && reply.lineFailed) {
      this.sendAlone(request, reply.status);
      for (const peer of peers) this.sendAlone(peer, peer.landedStatus);
      return;
    }
    if (peers === undefined) {
      const value = reply.valueEnd > reply.valueStart ? buffer.subarray(reply.valueStart, reply.valueEnd) : EMPTY;
      this.settleReply(request, reply.status, value, reply.cas);
      return;
    }
    // A shared line (text): every reply was read with the first; settled now, before more bytes arrive.
    this.settleReply(request, request.landedStatus, request.landedValue, 0n);
    for (const peer of peers) this.settleReply(peer, peer.landedStatus, peer.landedValue, 0n);
  }

  /** Settles `request` with a reply and moves past every answered request. */
  protected settleReply(request: Request, status: number, value: Buffer, cas: bigint): void {
    request.answered = true;
    request.settle(undefined, status, value, cas);
    this.dropAnswered();
  }

  /**
   * A read of a shared command that failed as a whole: sent again alone (within its deadline, if it
   * is a first attempt), else answered with the command's `status`.
   */
  protected sendAlone(request: Request, status: number): void {
    request.answered = true;
    if (request.retry && !request.done && now() < request.deadline) this.owner.retry(request);
    else request.settle(undefined, status, EMPTY);
    this.dropAnswered();
  }

  /** Fails every written, unanswered request: reads are retried on a new connection (within their deadline). */
  protected failInflight(error: CacheError): void {
    const pending = this.inflight;
    const head = this.head;
    this.inflight = [];
    this.head = 0;
    this.failWritten(pending, head, error, Number.POSITIVE_INFINITY);
  }

  /** Fails the queued requests whose deadline comes by `time`; the others stay queued. */
  protected failQueuedBefore(time: number, error: CacheError): void {
    const keep: Request[] = [];
    for (const request of this.queue) {
      if (request.done) continue;
      if (request.deadline <= time) request.settle(error, -1, EMPTY);
      else keep.push(request);
    }
    this.queue = keep;
    this.owner.noteAnswered();
  }

  /** Fails every queued request (nothing of them was sent). */
  protected failQueued(error: CacheError): void {
    const queue = this.queue;
    this.queue = [];
    for (const request of queue) request.settle(error, -1, EMPTY);
    this.owner.noteAnswered();
  }

  /**
   * Fails `pending[head..]`. Reads are retried on a new connection, within their deadline, when the
   * connection failed, or when it stalled but they were written after `writtenAfter` (they are not
   * what stalled).
   */
  private failWritten(
    pending: readonly (Request | undefined)[],
    head: number,
    error: CacheError,
    writtenAfter: number,
  ): void {
    for (let index = head; index < pending.length; index += 1) {
      const request = pending[index] as Request;
      if (request.answered) continue;
      request.answered = true;
      const innocent = error.code === 'E_CONNECTION' || request.writtenAt > writtenAfter;
      if (request.retry && !request.done && innocent && now() < request.deadline) {
        // The connection failed under the read (server restarted, connection reset), or stalled
        // behind older requests: once more, on a new one.
        this.owner.retry(request);
      } else {
        request.settle(error, -1, EMPTY);
      }
    }
    this.owner.noteAnswered();
  }

  protected dropAnswered(): void {
    const inflight = this.inflight;
    let head = this.head;
    while (head < inflight.length && (inflight[head] as Request).answered) {
      // Under steady load the list never empties: a request left in it would keep its callback, and
      // through it the caller's promise and value, alive (measured: 30% of CPU in GC at 10 KB).
      inflight[head] = undefined;
      head += 1;
    }
    if (head === inflight.length) {
      inflight.length = 0;
      head = 0;
    } else if (head > 1024 && head * 2 > inflight.length) {
      this.inflight = inflight.slice(head);
      head = 0;
    }
    this.head = head;
    this.owner.noteAnswered();
  }

  /** Fails what passed its deadline; resets the connection when it has stalled. */
  scan(time: number, timeoutMs: number): void {
    for (const request of this.queue) {
      if (!request.done && request.deadline <= time) request.settle(timeoutError(), -1, EMPTY);
    }
    const oldest = this.inflight[this.head];
    if (oldest !== undefined && oldest.writtenAt + timeoutMs <= time) {
      const error = new CacheError('E_TIMEOUT', `memcached ${this.label} stopped answering`);
      // A read written less than `timeout` ago has not stalled: it only queued behind one that did
      // (e.g. sent right after a call settled at its deadline, a scan before the stall was seen).
      // Retired first, so that its retry waits for the new connection instead of joining the stalled one.
      const pending = this.inflight;
      const head = this.head;
      this.inflight = [];
      this.head = 0;
      this.reset(error);
      this.failWritten(pending, head, error, time - timeoutMs);
      return;
    }
    for (let index = this.head; index < this.inflight.length; index += 1) {
      const request = this.inflight[index] as Request;
      if (!request.done && request.deadline <= time) request.settle(timeoutError(), -1, EMPTY);
    }
  }
}
