import type { Context } from '../context.js';
import type { LockingRead } from '../data-requests.js';
import { now } from '../transport.js';

/**
 * The stubs one `getOrSet`'s reads created (meta `mg … N`): with a remembered generation the read
 * goes out before the token read confirms it, so a namespace cleared meanwhile makes the read take
 * a stub in the dead generation, and the call redoes it under the new one. Only the stub of the
 * generation the call loads in is kept; the others are released at once (compare and delete), so
 * that callers still on that generation do not wait for a load that will never come.
 */
export class StubsWon {
  private readonly won: { readonly dataKey: string; readonly cas: bigint }[] = [];
  /** {@link keep} has run: a win reported after it (a read answered after the call settled) is released at once. */
  private kept = false;

  constructor(
    private readonly context: Context,
    /** The stub's expiry, as sent. */
    private readonly ttl: number,
  ) {}

  /** The read of `dataKey` that takes its stub on a miss. */
  readFor(dataKey: string): LockingRead {
    return {
      ttl: this.ttl,
      won: (cas) => {
        if (this.kept) releaseStub(this.context, dataKey, cas);
        else this.won.push({ dataKey, cas });
      },
    };
  }

  /** The CAS of the stub won at `dataKey`, if any (`undefined` for none); every other stub is released. */
  keep(dataKey: string | undefined): bigint | undefined {
    this.kept = true;
    let kept: bigint | undefined;
    for (const stub of this.won) {
      if (stub.dataKey === dataKey && kept === undefined) kept = stub.cas;
      else releaseStub(this.context, stub.dataKey, stub.cas);
    }
    return kept;
  }
}

/**
 * Compare-and-deletes a stub won but not loaded for: the next caller's read takes it. Nothing
 * waits for it: if it fails, the stub ends at its expiry, as a dead winner's does.
 */
export function releaseStub(context: Context, dataKey: string, cas: bigint): void {
  context.transport.delete(dataKey, now() + context.settings.timeoutMs, () => {}, cas);
}
