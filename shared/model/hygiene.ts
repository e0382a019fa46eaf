import { ForecastInputError } from '../errors';
import type { Repairs } from '../series/csv';
import type { CleanOptions, HygieneReport, RegularSeries } from './api';

/**
 * Default longest gap filled by linear interpolation: 3 steps (15 min on a 5-minute series).
 * A short hole is usually a lost sample; a longer one is an outage or a stopped collector and must
 * stay a gap, or the model would learn a straight line that never happened.
 */
export const DEFAULT_MAX_FILL_STEPS = 3;

/**
 * Regularise raw points onto a grid anchored at the first timestamp:
 * non-finite values are dropped, points are sorted, duplicates (same timestamp, or two points
 * landing on the same grid slot) are averaged, off-grid points are moved to the nearest slot,
 * gaps of at most `maxFillSteps` steps are linearly interpolated and longer gaps are kept as NaN.
 * Counter resets (a fall to near zero after a monotonic rise) are counted, not altered: whether a
 * reset is real demand is for the caller to judge.
 */
export function cleanSeries(
  points: readonly { t: number; v: number }[],
  options: CleanOptions = {},
): { series: RegularSeries; report: HygieneReport } {
  const maxFill = options.maxFillSteps ?? DEFAULT_MAX_FILL_STEPS;
  if (!Number.isInteger(maxFill) || maxFill < 0)
    throw new ForecastInputError(`maxFillSteps must be an integer >= 0, got ${maxFill}`);
  if (options.intervalMs !== undefined && !(Number.isInteger(options.intervalMs) && options.intervalMs > 0))
    throw new ForecastInputError(`intervalMs must be a positive integer, got ${options.intervalMs}`);

  const { valid, outOfOrder, nonNumeric } = numericPoints(points);
  const { uniq, duplicates } = averageDuplicates(valid);
  const intervalMs = options.intervalMs ?? inferInterval(uniq.map((u) => u.t));
  const grid = ontoGrid(uniq, intervalMs);
  const { values, length, startMs } = grid;
  const { filled, gaps } = fillShortGaps(values, maxFill);

  return {
    series: { startMs, intervalMs, values },
    report: {
      intervalMs,
      inputPoints: points.length,
      outputPoints: length,
      duplicatesDropped: duplicates + grid.duplicates,
      nonNumericDropped: nonNumeric,
      outOfOrder,
      realigned: grid.realigned,
      filled,
      gaps,
      resets: countResets(values),
    },
  };
}

/** The points with finite time and value, sorted by time; what was dropped or out of order. */
function numericPoints(points: readonly { t: number; v: number }[]): {
  valid: { t: number; v: number }[];
  outOfOrder: number;
  nonNumeric: number;
} {
  let outOfOrder = 0;
  let nonNumeric = 0;
  const valid: { t: number; v: number }[] = [];
  let prevT = Number.NEGATIVE_INFINITY;
  for (const p of points) {
    if (!Number.isFinite(p.t)) {
      nonNumeric++;
      continue;
    }
    if (p.t < prevT) outOfOrder++;
    prevT = p.t;
    if (!Number.isFinite(p.v)) {
      nonNumeric++;
      continue;
    }
    valid.push({ t: p.t, v: p.v });
  }
  if (valid.length === 0)
    throw new ForecastInputError(
      `series has no numeric values (${points.length} point(s), ${nonNumeric} non-numeric)`,
    );
  valid.sort((a, b) => a.t - b.t);
  return { valid, outOfOrder, nonNumeric };
}

/**
 * Exact duplicates averaged first: they must not pull the inferred interval to zero. `sorted` is
 * non-empty and sorted by time.
 */
function averageDuplicates(sorted: readonly { t: number; v: number }[]): {
  uniq: { t: number; v: number }[];
  duplicates: number;
} {
  let duplicates = 0;
  const uniq: { t: number; v: number; n: number }[] = [];
  for (const p of sorted) {
    const last = uniq[uniq.length - 1];
    if (last && last.t === p.t) {
      last.v += p.v;
      last.n++;
      duplicates++;
    } else uniq.push({ t: p.t, v: p.v, n: 1 });
  }
  for (const u of uniq) u.v /= u.n;
  return { uniq, duplicates };
}

/**
 * Points moved to the nearest slot of a grid anchored at the first timestamp, slots shared by
 * several points averaged, empty slots NaN.
 */
function ontoGrid(
  uniq: readonly { t: number; v: number }[],
  intervalMs: number,
): { values: number[]; length: number; startMs: number; realigned: number; duplicates: number } {
  const first = uniq[0] as { t: number };
  const last = uniq[uniq.length - 1] as { t: number };
  const startMs = first.t;
  const length = Math.round((last.t - startMs) / intervalMs) + 1;
  if (length > 5_000_000)
    throw new ForecastInputError(`series would span ${length} steps of ${intervalMs} ms; check the interval`);
  const sums = new Float64Array(length);
  const counts = new Uint32Array(length);
  let realigned = 0;
  let duplicates = 0;
  for (const u of uniq) {
    const exact = (u.t - startMs) / intervalMs;
    const slot = Math.round(exact);
    if (Math.abs(exact - slot) > 1e-9) realigned++;
    if (counts[slot] !== 0) duplicates++;
    sums[slot] = (sums[slot] as number) + u.v;
    counts[slot] = (counts[slot] as number) + 1;
  }
  const values: number[] = new Array(length);
  for (let i = 0; i < length; i++) {
    const c = counts[i] as number;
    values[i] = c === 0 ? Number.NaN : (sums[i] as number) / c;
  }
  return { values, length, startMs, realigned, duplicates };
}

/** Interpolate gaps of at most `maxFill` steps in place; longer gaps stay NaN. */
function fillShortGaps(values: number[], maxFill: number): { filled: number; gaps: number } {
  const length = values.length;
  let filled = 0;
  let gaps = 0;
  let i = 0;
  while (i < length) {
    if (!Number.isNaN(values[i] as number)) {
      i++;
      continue;
    }
    let j = i;
    while (j < length && Number.isNaN(values[j] as number)) j++;
    const run = j - i;
    // Interior gaps only: the grid starts and ends on a real point.
    if (run <= maxFill) {
      const a = values[i - 1] as number;
      const b = values[j] as number;
      for (let k = i; k < j; k++) values[k] = a + ((b - a) * (k - i + 1)) / (run + 1);
      filled += run;
    } else gaps += run;
    i = j;
  }
  return { filled, gaps };
}

/** Median spacing of distinct timestamps, rounded to the second when it is at least a second. */
export function inferInterval(times: readonly number[]): number {
  if (times.length < 2)
    throw new ForecastInputError('cannot infer the series interval from a single timestamp; pass intervalMs');
  const diffs: number[] = [];
  for (let i = 1; i < times.length; i++) diffs.push((times[i] as number) - (times[i - 1] as number));
  diffs.sort((a, b) => a - b);
  // Lower median: gaps only ever lengthen a spacing, so the lower middle is the safer guess.
  const median = diffs[Math.floor((diffs.length - 1) / 2)] as number;
  const rounded = median >= 1000 ? Math.round(median / 1000) * 1000 : Math.round(median);
  if (!(rounded > 0))
    throw new ForecastInputError(`cannot infer the series interval (median spacing ${median} ms)`);
  return rounded;
}

/** A fall to below 10% of the previous value after at least 3 rising steps: a counter reset. */
function countResets(values: readonly number[]): number {
  let resets = 0;
  let rising = 0;
  let prev = Number.NaN;
  for (const v of values) {
    if (Number.isNaN(v)) {
      rising = 0;
      continue;
    }
    if (!Number.isNaN(prev)) {
      if (v > prev) rising++;
      else if (rising >= 3 && prev > 0 && v < prev * 0.1) {
        resets++;
        rising = 0;
      } else if (v < prev) rising = 0;
    }
    prev = v;
  }
  return resets;
}

/** The repairs of a cleaned series, for `repairLine` (a forecast never clamps: values stay as read). */
export function hygieneRepairs(report: HygieneReport): Repairs {
  return {
    duplicates: report.duplicatesDropped,
    dropped: report.nonNumericDropped,
    clamped: 0,
    gaps: report.filled + report.gaps,
    reordered: report.outOfOrder,
  };
}
