/**
 * A bounded worker pool: runs `task` over `items` with at most `size` in flight and returns the
 * results in input order, so parallel output is identical to a serial run.
 */
export async function runPool<T, R>(items: readonly T[], size: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      results[i] = await task(items[i]!, i);
    }
  };
  const n = Math.max(1, Math.min(size, items.length));
  await Promise.all(Array.from({ length: n }, () => worker()));
  return results;
}
