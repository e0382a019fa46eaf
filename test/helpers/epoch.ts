/**
 * A start time for test clocks: the first multiple of `alignMs` after the wall clock.
 *
 * Stores with real TTL (DynamoDB, DynamoDB Local) delete items whose `ttl` is already in the
 * past, in the background, at any moment; a fixed test date gives every item written in a suite
 * an expiry in the past sooner or later, and the suite then fails on some days only. Starting the
 * clock ahead of now keeps every expiry the suite writes in the future, and aligning it keeps what
 * the suite computes the same whatever the date (a multiple of a week since the epoch is always a
 * Thursday, 00:00 UTC).
 */
export function epochAhead(alignMs: number, now: number = Date.now()): number {
  return (Math.floor(now / alignMs) + 1) * alignMs;
}

export const HOUR_MS = 3_600_000;
export const WEEK_MS = 7 * 86_400_000;
