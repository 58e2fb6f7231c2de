import { describe, expect, it } from 'vitest';
import { createBatcher } from './batcher';

describe('createBatcher', () => {
  it('starts one batch per key with the calls of a turn, and queues the rest for the next one', async () => {
    const batches: string[][] = [];
    let release: () => void = () => {};
    const batcher = createBatcher(async (key, inputs: string[]) => {
      batches.push([key, ...inputs]);
      if (batches.length === 1) await new Promise<void>((r) => (release = r));
      return inputs.map((i) => `${key}:${i}`);
    });
    const first = ['a', 'b'].map((i) => batcher.add('k', i));
    const other = batcher.add('j', 'x');
    await new Promise((r) => setImmediate(r));
    // 'k' is in flight: these wait for it, then go together.
    const later = ['c', 'd', 'e'].map((i) => batcher.add('k', i));
    release();
    expect(await Promise.all([...first, other, ...later])).toEqual(['k:a', 'k:b', 'j:x', 'k:c', 'k:d', 'k:e']);
    expect(batches).toEqual([
      ['k', 'a', 'b'],
      ['j', 'x'],
      ['k', 'c', 'd', 'e'],
    ]);
  });

  it('rejects every call of a batch whose run throws, and runs the next batch regardless', async () => {
    let calls = 0;
    const batcher = createBatcher(
      async (_key, inputs: number[]) => {
        if (calls++ === 0) throw new Error('refused');
        return inputs;
      },
      { maxBatch: 2 },
    );
    const outcomes = await Promise.allSettled([1, 2, 3].map((n) => batcher.add('k', n)));
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
  });
});
