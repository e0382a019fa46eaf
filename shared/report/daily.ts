import { DAY_MS } from './time-axis';

/**
 * Per-day views of a long replay, so months of 5-minute steps read as one point per day:
 *
 *   utcDays(t)                      -> [{ dayMs, from, to }]   sample ranges of each UTC day
 *   dailyEnvelope(days, values)     -> { min, max }            per day, NaN for a day with no data
 *   dailyCount(days, flag)          -> per day, steps where flag(i) holds
 *   busiestDays(days, rank, count)  -> up to `count` days, in time order
 */

export interface Day {
  /** Midnight UTC of the day. */
  dayMs: number;
  /** Sample index range [from, to) of the day. */
  from: number;
  to: number;
}

/** Consecutive samples grouped by UTC calendar day (`t` ascending). */
export function utcDays(t: ArrayLike<number>): Day[] {
  const days: Day[] = [];
  for (let i = 0; i < t.length; i++) {
    const dayMs = Math.floor((t[i] as number) / DAY_MS) * DAY_MS;
    const last = days[days.length - 1];
    if (last && last.dayMs === dayMs) last.to = i + 1;
    else days.push({ dayMs, from: i, to: i + 1 });
  }
  return days;
}

/** Lowest and highest finite value of each day. */
export function dailyEnvelope(
  days: readonly Day[],
  values: ArrayLike<number>,
): { min: Float64Array; max: Float64Array } {
  const min = new Float64Array(days.length).fill(Number.NaN);
  const max = new Float64Array(days.length).fill(Number.NaN);
  days.forEach((d, k) => {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let i = d.from; i < d.to; i++) {
      const v = values[i] as number;
      if (!Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (hi >= lo) {
      min[k] = lo;
      max[k] = hi;
    }
  });
  return { min, max };
}

/** Steps of each day where `flag` holds. */
export function dailyCount(days: readonly Day[], flag: (i: number) => boolean): Float64Array {
  return Float64Array.from(days, (d) => {
    let n = 0;
    for (let i = d.from; i < d.to; i++) if (flag(i)) n++;
    return n;
  });
}

/**
 * The `count` days ranked highest by `rank` (a tuple compared left to right, e.g. [overload
 * minutes, peak demand]), returned in time order. Earlier days win ties, so the choice is stable.
 */
export function busiestDays(
  days: readonly Day[],
  rank: (day: Day, index: number) => readonly number[],
  count: number,
): Day[] {
  const keyed = days.map((day, index) => ({ day, index, key: rank(day, index) }));
  keyed.sort((a, b) => {
    for (let k = 0; k < Math.max(a.key.length, b.key.length); k++) {
      const d = (b.key[k] ?? Number.NEGATIVE_INFINITY) - (a.key[k] ?? Number.NEGATIVE_INFINITY);
      if (d !== 0 && Number.isFinite(d)) return d;
    }
    return a.index - b.index;
  });
  return keyed
    .slice(0, Math.max(0, count))
    .sort((a, b) => a.index - b.index)
    .map((k) => k.day);
}
