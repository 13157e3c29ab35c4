/** Closed-loop load: `concurrency` workers each start the next operation when the last settles. */
export async function measure(operation: (index: number) => Promise<unknown>, concurrency: number, ms: number) {
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

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}
