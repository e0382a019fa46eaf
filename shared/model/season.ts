/**
 * Multi-seasonal profile: a daily shape (buckets of at least 5 minutes) plus, when there are at
 * least two weeks of history, an hour-of-week adjustment. Estimated on a centred one-day moving
 * average's residuals with exponentially decaying weights (recent days count more), so a level
 * shift or trend does not leak into the shape. Pure and O(n).
 */
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;

export interface SeasonProfile {
  /** Width of one daily bucket (ms). */
  bucketMs: number;
  /** Additive daily shape by bucket of the UTC day; mean zero. */
  daily: number[];
  /** Additive hour-of-week adjustment (7 x 24, day 0 = epoch day mod 7); empty when not estimated. */
  weekly: number[];
}

/** Seasonal component at time t. */
export function seasonAt(p: SeasonProfile, t: number, useWeekly: boolean): number {
  const tod = ((t % DAY_MS) + DAY_MS) % DAY_MS;
  let s = p.daily[Math.floor(tod / p.bucketMs)] ?? 0;
  if (useWeekly && p.weekly.length === 168) {
    const day = Math.floor(t / DAY_MS);
    const dow = ((day % 7) + 7) % 7;
    s += p.weekly[dow * 24 + Math.floor(tod / HOUR_MS)] ?? 0;
  }
  return s;
}

/** Steps per day for an interval, or 0 when the interval does not resolve a day (>= 12 h). */
export function stepsPerDay(intervalMs: number): number {
  const p = Math.round(DAY_MS / intervalMs);
  return p >= 2 ? p : 0;
}

export function bucketMsFor(intervalMs: number): number {
  const b = Math.max(1, Math.round((5 * MINUTE_MS) / intervalMs));
  return Math.min(b * intervalMs, DAY_MS);
}

/**
 * Estimate the profile from values[from, end) (NaN = gap) of a series starting at startMs.
 * `weekly` requests the hour-of-week part; it is estimated only with >= 14 days of data.
 */
export function estimateProfile(
  values: ArrayLike<number>,
  startMs: number,
  intervalMs: number,
  from: number,
  end: number,
  weekly: boolean,
  halfLifeDays = 7,
): SeasonProfile {
  const P = stepsPerDay(intervalMs);
  const bucketMs = bucketMsFor(intervalMs);
  const nb = Math.ceil(DAY_MS / bucketMs);
  const span = end - from;
  if (P === 0 || span < P) return { bucketMs, daily: new Array<number>(nb).fill(0), weekly: [] };
  const w: ProfileWindow = {
    values,
    startMs,
    intervalMs,
    from,
    span,
    P,
    ...prefixSums(values, from, span),
    decay: Math.log(2) / (halfLifeDays * P),
  };
  const { resid, clip } = dailyResiduals(w);
  const { daily, bucketIdx } = dailyProfile(w, resid, clip, bucketMs, nb);
  const weeklyAdj =
    weekly && span * intervalMs >= 14 * DAY_MS ? weeklyProfile(w, clip, daily, bucketIdx) : [];
  return { bucketMs, daily, weekly: weeklyAdj };
}

/** The data a profile is estimated from: values[from, from + span), with gap-skipping prefix sums. */
interface ProfileWindow {
  values: ArrayLike<number>;
  startMs: number;
  intervalMs: number;
  from: number;
  span: number;
  P: number;
  /** Prefix sums of the values and of their count, gaps skipped. */
  cs: Float64Array;
  cn: Float64Array;
  /** Exponential weight decay per step (older data counts less). */
  decay: number;
}

function prefixSums(
  values: ArrayLike<number>,
  from: number,
  span: number,
): { cs: Float64Array; cn: Float64Array } {
  const cs = new Float64Array(span + 1);
  const cn = new Float64Array(span + 1);
  for (let i = 0; i < span; i++) {
    const v = values[from + i] as number;
    const ok = !Number.isNaN(v);
    cs[i + 1] = (cs[i] as number) + (ok ? v : 0);
    cn[i + 1] = (cn[i] as number) + (ok ? 1 : 0);
  }
  return { cs, cn };
}

/**
 * Residuals from a centred moving average of one day (truncated at the ends), NaN at gaps, and
 * the winsorising clip: spikes are clipped so one incident does not become "every day at 14:05".
 */
function dailyResiduals(w: ProfileWindow): { resid: Float64Array; clip: number } {
  const { values, from, span, cs, cn } = w;
  const half = Math.floor(w.P / 2);
  const resid = new Float64Array(span);
  let absSum = 0;
  let absN = 0;
  for (let i = 0; i < span; i++) {
    const v = values[from + i] as number;
    if (Number.isNaN(v)) {
      resid[i] = Number.NaN;
      continue;
    }
    const a = Math.max(0, i - half);
    const b = Math.min(span, i + half + 1);
    const n = (cn[b] as number) - (cn[a] as number);
    const r = v - ((cs[b] as number) - (cs[a] as number)) / n;
    resid[i] = r;
    absSum += Math.abs(r);
    absN++;
  }
  return { resid, clip: absN > 0 ? (10 * absSum) / absN : 0 };
}

/** The time-of-day profile (mean zero over the buckets with data), and each step's bucket. */
function dailyProfile(
  w: ProfileWindow,
  resid: Float64Array,
  clip: number,
  bucketMs: number,
  nb: number,
): { daily: number[]; bucketIdx: Int32Array } {
  const { startMs, intervalMs, from, span, P, decay } = w;
  const half = Math.floor(P / 2);
  // A window cut by either end of the data is biased by trend and shape: use full windows only
  // when there are at least two days of them.
  const fullOnly = span - 2 * half >= 2 * P;
  const ws = new Float64Array(nb);
  const wsum = new Float64Array(nb);
  const bucketIdx = new Int32Array(span);
  for (let i = 0; i < span; i++) {
    const t = startMs + (from + i) * intervalMs;
    const tod = ((t % DAY_MS) + DAY_MS) % DAY_MS;
    const k = Math.floor(tod / bucketMs);
    bucketIdx[i] = k;
    const r = resid[i] as number;
    if (Number.isNaN(r) || (fullOnly && (i < half || i + half >= span))) continue;
    const weight = Math.exp(-decay * (span - 1 - i));
    ws[k] = (ws[k] as number) + weight * Math.max(-clip, Math.min(clip, r));
    wsum[k] = (wsum[k] as number) + weight;
  }
  const daily = new Array<number>(nb).fill(0);
  let mean = 0;
  let filled = 0;
  for (let k = 0; k < nb; k++) {
    const weight = wsum[k] as number;
    daily[k] = weight > 0 ? (ws[k] as number) / weight : 0;
    if (weight > 0) {
      mean += daily[k] as number;
      filled++;
    }
  }
  mean = filled > 0 ? mean / filled : 0;
  for (let k = 0; k < nb; k++) daily[k] = (daily[k] as number) - mean;
  return { daily, bucketIdx };
}

/**
 * The hour-of-week adjustment on top of the daily profile (mean zero). It is measured against a
 * one-week moving average: a one-day average would follow (and so hide) a weekday/weekend
 * difference.
 */
function weeklyProfile(
  w: ProfileWindow,
  clip: number,
  daily: readonly number[],
  bucketIdx: Int32Array,
): number[] {
  const { values, startMs, intervalMs, from, span, P, cs, cn, decay } = w;
  const halfW = Math.floor((7 * P) / 2);
  const fullW = span - 2 * halfW >= 7 * P;
  const wsW = new Float64Array(168);
  const wW = new Float64Array(168);
  for (let i = 0; i < span; i++) {
    const v = values[from + i] as number;
    if (Number.isNaN(v) || (fullW && (i < halfW || i + halfW >= span))) continue;
    const a = Math.max(0, i - halfW);
    const b = Math.min(span, i + halfW + 1);
    const r = v - ((cs[b] as number) - (cs[a] as number)) / ((cn[b] as number) - (cn[a] as number));
    const t = startMs + (from + i) * intervalMs;
    const day = Math.floor(t / DAY_MS);
    const dow = ((day % 7) + 7) % 7;
    const tod = ((t % DAY_MS) + DAY_MS) % DAY_MS;
    const c = dow * 24 + Math.floor(tod / HOUR_MS);
    const weight = Math.exp(-decay * 0.5 * (span - 1 - i));
    const x = Math.max(-clip, Math.min(clip, r)) - (daily[bucketIdx[i] as number] as number);
    wsW[c] = (wsW[c] as number) + weight * x;
    wW[c] = (wW[c] as number) + weight;
  }
  // Shrink towards zero: with two or three weeks each cell is only a few samples.
  const weeks = (span * intervalMs) / WEEK_MS;
  const shrink = weeks / (weeks + 0.5);
  const weeklyAdj = new Array<number>(168).fill(0);
  let m = 0;
  for (let c = 0; c < 168; c++) {
    const weight = wW[c] as number;
    const x = weight > 0 ? ((wsW[c] as number) / weight) * shrink : 0;
    weeklyAdj[c] = x;
    m += x;
  }
  m /= 168;
  for (let c = 0; c < 168; c++) weeklyAdj[c] = (weeklyAdj[c] as number) - m;
  return weeklyAdj;
}
