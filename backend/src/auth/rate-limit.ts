/**
 * A fixed-window counter per client address: at most `limit` attempts per minute (log-in and
 * sign-up share it). Kept in memory, so each replica counts on its own.
 */
export interface RateLimiter {
  /** Counts one attempt; returns 0 when allowed, else the seconds until the window resets. */
  hit(key: string, now?: number): number;
  size(): number;
}

export function createRateLimiter(limit: number, windowMs = 60_000, maxKeys = 100_000): RateLimiter {
  const windows = new Map<string, { count: number; resetAt: number }>();
  let lastSweep = 0;

  function sweep(now: number) {
    if (now - lastSweep < windowMs && windows.size < maxKeys) return;
    lastSweep = now;
    for (const [k, w] of windows) if (w.resetAt <= now) windows.delete(k);
  }

  return {
    hit(key, now = Date.now()) {
      sweep(now);
      let w = windows.get(key);
      if (!w || w.resetAt <= now) {
        // Under a flood of distinct addresses the table stays bounded: the oldest entry goes.
        if (!w && windows.size >= maxKeys) windows.delete(windows.keys().next().value!);
        w = { count: 0, resetAt: now + windowMs };
        windows.set(key, w);
      }
      w.count++;
      return w.count > limit ? Math.max(1, Math.ceil((w.resetAt - now) / 1000)) : 0;
    },
    size: () => windows.size,
  };
}
