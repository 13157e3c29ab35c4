import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// Modes share one process: without a collection between them, one mode's garbage (memjs copies every
// reply buffer) is collected during the next mode's window and counted against it.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Closed-loop load: `concurrency` workers each start the next operation when the last settles. */
export async function measure(operation: (index: number) => Promise<unknown>, concurrency: number, ms: number) {
  collectGarbage();
  let operations = 0;
  let index = 0;
  const started = performance.now();
  const end = started + ms;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      await operation(index++);
      operations += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return operations / ((performance.now() - started) / 1000);
}

/** p50 and p99 latency in milliseconds. */
export interface Latency {
  readonly p50: number;
  readonly p99: number;
}

/**
 * Open-loop load: starts `perSecond` operations a second for `ms`, whether or not earlier ones have
 * settled (as independent users would), and gives the latency percentiles. Operations start in
 * 1 ms slices, so a slow client shows up as latency instead of lowering the offered load.
 */
export async function latencyAt(
  operation: (index: number) => Promise<unknown>,
  perSecond: number,
  ms: number,
): Promise<Latency> {
  collectGarbage();
  const latencies: number[] = [];
  const pending: Promise<unknown>[] = [];
  const started = performance.now();
  let sent = 0;
  while (performance.now() - started < ms) {
    const due = Math.floor(((performance.now() - started) * perSecond) / 1000);
    for (; sent < due; sent += 1) {
      const begun = performance.now();
      pending.push(operation(sent).then(() => latencies.push(performance.now() - begun)));
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(pending);
  latencies.sort((a, b) => a - b);
  const at = (fraction: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * fraction))] ?? 0;
  return { p50: at(0.5), p99: at(0.99) };
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}
