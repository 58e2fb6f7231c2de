/**
 * Runs work for one key one batch at a time: calls that arrive while a batch is in flight wait
 * and go together in the next one, and calls of the same event-loop turn start together. Under
 * load a hot key costs one statement per round trip instead of one per call, and when calls
 * queue on one row's lock (a counter, a chain's head) that queue becomes one statement.
 * `run` answers one result per input, in order; if it throws, every call of the batch rejects.
 * @example const counts = createBatcher((key, ns: number[]) => countMany(key, ns));
 */
export function createBatcher<In, Out>(
  run: (key: string, inputs: In[]) => Promise<Out[]>,
  opts: { maxBatch?: number; onIdle?: (key: string) => void } = {},
) {
  const maxBatch = opts.maxBatch ?? 500;
  interface Pending {
    input: In;
    resolve(out: Out): void;
    reject(err: unknown): void;
  }
  const queues = new Map<string, { pending: Pending[]; flushing: boolean }>();

  async function flush(key: string) {
    const queue = queues.get(key);
    if (!queue || queue.flushing || queue.pending.length === 0) return;
    queue.flushing = true;
    const batch = queue.pending.splice(0, maxBatch);
    try {
      const outs = await run(
        key,
        batch.map((p) => p.input),
      );
      batch.forEach((p, i) => p.resolve(outs[i]!));
    } catch (err) {
      for (const p of batch) p.reject(err);
    } finally {
      queue.flushing = false;
      if (queue.pending.length > 0) void flush(key);
      else {
        queues.delete(key);
        opts.onIdle?.(key);
      }
    }
  }

  return {
    add(key: string, input: In): Promise<Out> {
      let queue = queues.get(key);
      if (!queue) queues.set(key, (queue = { pending: [], flushing: false }));
      const out = new Promise<Out>((resolve, reject) => queue.pending.push({ input, resolve, reject }));
      // Let the calls of this turn join the batch before it starts.
      if (!queue.flushing && queue.pending.length === 1) setImmediate(() => void flush(key));
      return out;
    },
  };
}
