export interface WaitOptions {
  /** Give up after this many milliseconds (default 10 s). */
  timeout?: number;
  /** Milliseconds between attempts (default 50). */
  interval?: number;
  /** What was awaited, for the timeout message. */
  message?: string;
}

/**
 * Polls fn until it returns a truthy value without throwing, and returns that value: tests wait for the condition
 * they need instead of sleeping a fixed time that is too long on a fast machine and too short on a busy one.
 */
export async function waitFor<T>(fn: () => T | Promise<T>, { timeout = 10_000, interval = 50, message }: WaitOptions = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeout;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value as NonNullable<T>;
      last = undefined;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      const why = last instanceof Error ? `: ${last.message}` : '';
      throw new Error(`Timed out after ${timeout} ms waiting for ${message ?? 'a condition'}${why}`, { cause: last });
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}
