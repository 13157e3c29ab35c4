import { describe, expect, it } from 'vitest';
import { hardRecord, judge, softRecord } from '../src/tags/tag-record.js';

// Read-time tags (getEntry's tags, Next's soft tags) judge an item by its write time alone.
describe('judge by time: the same millisecond counts as invalidated, every way', () => {
  const t = 1_700_000_000_000;

  it('a hard invalidation in the millisecond of the write expires the item; a later one too', () => {
    expect(judge(hardRecord(t), undefined, t, t).state).toBe('expired');
    expect(judge(hardRecord(t + 1), undefined, t, t + 1).state).toBe('expired');
    expect(judge(hardRecord(t - 1), undefined, t, t).state).toBe('fresh');
  });

  it('a soft invalidation after a hard one of the write’s millisecond does not revive the item', () => {
    const record = softRecord(hardRecord(t), t + 5, 60_000);
    expect(judge(record, undefined, t, t + 6).state).toBe('expired');
  });

  it('a soft invalidation after a hard one before the write serves the item stale', () => {
    const record = softRecord(hardRecord(t - 1), t + 5, 60_000);
    expect(judge(record, undefined, t, t + 6)).toEqual({ state: 'stale', since: t + 5 });
  });

  it('a soft invalidation in the millisecond of the write makes it stale, not fresh', () => {
    const record = softRecord(hardRecord(t - 1), t, 60_000);
    expect(judge(record, undefined, t, t + 1)).toEqual({ state: 'stale', since: t });
  });

  it('a soft window closed by a later soft one is a floor: what was written in its millisecond expires', () => {
    const closed = softRecord(hardRecord(t - 10), t, 1);
    const record = softRecord(closed, t + 5, 60_000);
    expect(judge(record, undefined, t, t + 6).state).toBe('expired');
    expect(judge(record, undefined, t + 1, t + 6).state).toBe('stale');
  });
});
