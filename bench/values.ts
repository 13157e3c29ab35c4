/** Bench values: JSON objects shaped like cached API records, of a given serialised size. */

/** The value sizes the bench compares, in bytes of JSON. 1 MB stays under memcached's 1 MiB item limit. */
export const SIZES = { '100 B': 100, '10 KB': 10_000, '100 KB': 100_000, '1 MB': 1_000_000 } as const;

/** A size label of {@link SIZES}. */
export type SizeLabel = keyof typeof SIZES;

/**
 * An object whose JSON is about `bytes` long: a list of small records, so that `JSON.parse` does
 * the work a real cached payload makes it do (many short strings and numbers, not one long string).
 */
export function valueOfSize(bytes: number): unknown {
  const items: { id: number; name: string; price: number; tags: string[] }[] = [];
  const value = { kind: 'catalogue', items };
  let length = JSON.stringify(value).length;
  for (let id = 0; ; id += 1) {
    const item = { id, name: `item number ${id}`, price: id * 1.5, tags: ['a', 'bb'] };
    const itemLength = JSON.stringify(item).length + 1;
    if (length + itemLength > bytes) break;
    items.push(item);
    length += itemLength;
  }
  return value;
}

/** How many distinct keys a mode cycles through at `bytes` per value: at most 1000, at most ~48 MB of values. */
export function keyCount(bytes: number): number {
  return Math.max(16, Math.min(1000, Math.floor(48_000_000 / bytes)));
}
