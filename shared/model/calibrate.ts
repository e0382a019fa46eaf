/**
 * Quantile calibration from out-of-sample errors (split-conformal style): for each horizon step,
 * the empirical quantiles of (actual - forecast) over rolling origins, pooled over neighbouring
 * steps so that a step far out still has enough samples. Stored on a few log-spaced knots.
 */

/** Quantiles kept for every fit, so any quantile can be interpolated at forecast time. */
export const BASE_QUANTILES = [0.01, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 0.75, 0.8, 0.9, 0.95, 0.975, 0.99];

export interface Calibration {
  /** Horizon steps (1-based) at which offsets are stored, ascending, first = 1. */
  knots: number[];
  /** Quantile levels, ascending. */
  qs: number[];
  /** offsets[qi][ki]: value to add to the mean forecast for quantile qs[qi] at step knots[ki]. */
  offsets: number[][];
  /** Mean absolute one-step error (scale for drift detection). */
  mae1: number;
  /** Error samples behind the first knot (small = low confidence). */
  samples1: number;
}

export function round7(x: number): number {
  return Number.isFinite(x) ? Number(x.toPrecision(7)) : x;
}

export function logKnots(hmax: number, count = 20): number[] {
  const out = new Set<number>([1]);
  for (let i = 1; i < count; i++) out.add(Math.max(1, Math.round(hmax ** (i / (count - 1)))));
  out.add(hmax);
  return [...out].sort((a, b) => a - b);
}

/** Type-7 empirical quantile of a sorted array. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

/**
 * errors[o * hmax + (h - 1)] = actual - forecast at origin o, step h (NaN where unknown).
 * `inflate` widens each quantile's distance from the median (selection on the same errors makes
 * them slightly optimistic).
 */
export function calibrate(
  errors: Float64Array,
  origins: number,
  hmax: number,
  quantiles: readonly number[],
  inflate: number,
): Calibration {
  const qs = [...new Set([...BASE_QUANTILES, ...quantiles])].sort((a, b) => a - b);
  const knots = logKnots(hmax);
  const offsets: number[][] = qs.map(() => []);
  let samples1 = 0;
  let abs1 = 0;
  for (let o = 0; o < origins; o++) {
    const e = errors[o * hmax] as number;
    if (!Number.isNaN(e)) {
      abs1 += Math.abs(e);
      samples1++;
    }
  }
  const buffer = new Float64Array(errors.length);
  for (const k of knots) {
    const lo = Math.max(1, Math.floor(k / 1.25));
    const hi = Math.min(hmax, Math.ceil(k * 1.25));
    let c = 0;
    for (let o = 0; o < origins; o++) {
      const base = o * hmax;
      for (let h = lo; h <= hi; h++) {
        const e = errors[base + h - 1] as number;
        if (!Number.isNaN(e)) buffer[c++] = e;
      }
    }
    // A typed array sorts numerically in native code: several times faster than number[].
    const pool = buffer.subarray(0, c).sort();
    const med = quantileSorted(pool, 0.5);
    qs.forEach((q, qi) => {
      const raw = quantileSorted(pool, q);
      (offsets[qi] as number[]).push(
        round7(Number.isNaN(raw) ? 0 : med + (raw - med) * inflate * tailFactor(q)),
      );
    });
  }
  return { knots, qs, offsets, mae1: samples1 > 0 ? abs1 / samples1 : Number.NaN, samples1 };
}

/**
 * Extra width for the far tails (beyond 10% / 90%): a few dozen origins rarely contain the
 * level shifts and incidents that the next days will, so their outer quantiles are too tight.
 * 1 up to the 10/90% levels, rising linearly to 1.2 at 2.5/97.5% and beyond.
 */
export function tailFactor(q: number): number {
  const d = Math.abs(q - 0.5);
  return 1 + 0.2 * Math.max(0, Math.min(1, (d - 0.4) / 0.075));
}

/** Offset for quantile q at step h (1-based): linear in q between stored levels and in h between knots. */
export function offsetAt(c: Calibration, q: number, h: number): number {
  const { qs, knots } = c;
  let qi = 0;
  while (qi < qs.length - 2 && (qs[qi + 1] as number) < q) qi++;
  const q0 = qs[qi] as number;
  const q1 = qs[Math.min(qi + 1, qs.length - 1)] as number;
  const wq = q1 > q0 ? Math.max(0, Math.min(1, (q - q0) / (q1 - q0))) : 0;
  const a = atStep(c.offsets[qi] as number[], knots, h, c.offsets[qs.indexOf(0.5)] as number[]);
  const b = atStep(
    c.offsets[Math.min(qi + 1, qs.length - 1)] as number[],
    knots,
    h,
    c.offsets[qs.indexOf(0.5)] as number[],
  );
  return a + (b - a) * wq;
}

function atStep(
  row: readonly number[],
  knots: readonly number[],
  h: number,
  median: readonly number[],
): number {
  const last = knots.length - 1;
  const hmax = knots[last] as number;
  if (h >= hmax) {
    // Beyond the calibrated horizon: widen like a random walk (sqrt of time) around the median.
    const m = median[last] as number;
    return m + ((row[last] as number) - m) * Math.sqrt(h / hmax);
  }
  let k = 0;
  while ((knots[k + 1] as number) < h) k++;
  const h0 = knots[k] as number;
  const h1 = knots[k + 1] as number;
  const w = (h - h0) / (h1 - h0);
  return (row[k] as number) + ((row[k + 1] as number) - (row[k] as number)) * w;
}

/** offsetAt(c, q, h) for h = 1..steps in one pass (the forecast's hot path). */
export function offsetPath(c: Calibration, q: number, steps: number): Float64Array {
  const { qs, knots } = c;
  let qi = 0;
  while (qi < qs.length - 2 && (qs[qi + 1] as number) < q) qi++;
  const q0 = qs[qi] as number;
  const q1 = qs[Math.min(qi + 1, qs.length - 1)] as number;
  const wq = q1 > q0 ? Math.max(0, Math.min(1, (q - q0) / (q1 - q0))) : 0;
  const rowA = c.offsets[qi] as number[];
  const rowB = c.offsets[Math.min(qi + 1, qs.length - 1)] as number[];
  const median = c.offsets[qs.indexOf(0.5)] as number[];
  const last = knots.length - 1;
  const hmax = knots[last] as number;
  const out = new Float64Array(steps);
  let k = 0;
  for (let h = 1; h <= steps; h++) {
    let a: number;
    let b: number;
    if (h >= hmax) {
      const m = median[last] as number;
      const r = Math.sqrt(h / hmax);
      a = m + ((rowA[last] as number) - m) * r;
      b = m + ((rowB[last] as number) - m) * r;
    } else {
      while ((knots[k + 1] as number) < h) k++;
      const h0 = knots[k] as number;
      const w = (h - h0) / ((knots[k + 1] as number) - h0);
      a = (rowA[k] as number) + ((rowA[k + 1] as number) - (rowA[k] as number)) * w;
      b = (rowB[k] as number) + ((rowB[k + 1] as number) - (rowB[k] as number)) * w;
    }
    out[h - 1] = a + (b - a) * wq;
  }
  return out;
}
