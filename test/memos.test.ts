import { describe, expect, it } from 'vitest';
import { Memos } from '../src/tags/memos.js';

describe('remembered item tags', () => {
  it('an item forgotten in every namespace leaves no empty namespace map behind (the bound holds)', () => {
    const memos = new Memos();
    for (let index = 0; index < 20_000; index += 1) {
      memos.set(`ns${index}`, 'k', { names: ['t'], section: undefined });
      memos.delete(`ns${index}`, 'k'); // the item was rewritten without tags and read again
    }
    const byNamespace = (memos as unknown as { byNamespace: Map<string, unknown> }).byNamespace;
    expect(memos.size).toBe(0);
    expect(byNamespace.size).toBe(0);
  });

  it('a namespace with other items remembered keeps them when one is forgotten', () => {
    const memos = new Memos();
    const memo = { names: ['t'], section: undefined };
    memos.set('ns', 'a', memo);
    memos.set('ns', 'b', memo);
    memos.delete('ns', 'a');
    expect(memos.get('ns', 'a')).toBeUndefined();
    expect(memos.get('ns', 'b')).toBe(memo);
    expect(memos.size).toBe(1);
  });
});
