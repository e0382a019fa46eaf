import { z } from 'zod';
import type { MetricPoint } from '../schemas/series';

/**
 * A metric's behavioural fingerprint, updated point by point with exponential forgetting so it
 * follows the workload as it changes and costs O(1) per point: level, hour-of-day and day-of-week
 * shape, volatility, burstiness and trend. Everything but `level` is relative to the level, so
 * fingerprints of workloads of different sizes compare directly (`fingerprintDistance`).
 */
export const MetricFingerprint = z.strictObject({
  /** Points absorbed. */
  count: z.number().int().nonnegative(),
  lastPointMs: z.number().int().nonnegative(),
  /** Smoothed level (same unit as the metric). */
  level: z.number().finite(),
  /** Value / level by UTC hour of day (24) and day of week (7, Sunday first); mean ≈ 1. */
  hourOfDay: z.array(z.number().finite()).length(24),
  dayOfWeek: z.array(z.number().finite()).length(7),
  /** Mean |step-to-step change| / level. */
  volatility: z.number().finite().nonnegative(),
  /** Mean positive excess over the level / level: how much demand comes in bursts above it. */
  burstiness: z.number().finite().nonnegative(),
  /** Relative change of the level per day (0.01 = +1 %/day). */
  trendPerDay: z.number().finite(),
  /** The last value, for step changes. */
  last: z.number().finite(),
});
export type MetricFingerprint = z.infer<typeof MetricFingerprint>;

/**
 * Memory, as time constants (so the fingerprint means the same at any metric period). The level
 * must forget more slowly than a day, or it would follow the daily cycle the shape is measured
 * against.
 */
export interface FingerprintOptions {
  levelTauMs: number;
  statsTauMs: number;
  shapeTauMs: number;
}
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
export const DEFAULT_FINGERPRINT_OPTIONS: FingerprintOptions = {
  levelTauMs: 7 * DAY,
  statsTauMs: DAY,
  shapeTauMs: 14 * DAY,
};
const weight = (dtMs: number, tauMs: number): number => 1 - Math.exp(-Math.min(dtMs, tauMs) / tauMs);

/** Absorb new points (ascending; points at or before `lastPointMs` are skipped). Pure. */
export function updateFingerprint(
  previous: MetricFingerprint | undefined,
  points: readonly MetricPoint[],
  options: FingerprintOptions = DEFAULT_FINGERPRINT_OPTIONS,
): MetricFingerprint | undefined {
  let fp = previous
    ? { ...previous, hourOfDay: [...previous.hourOfDay], dayOfWeek: [...previous.dayOfWeek] }
    : undefined;
  for (const p of points) {
    if (!Number.isFinite(p.v)) continue;
    if (!fp) {
      fp = {
        count: 1,
        lastPointMs: p.t,
        level: p.v,
        hourOfDay: Array(24).fill(1),
        dayOfWeek: Array(7).fill(1),
        volatility: 0,
        burstiness: 0,
        trendPerDay: 0,
        last: p.v,
      };
      continue;
    }
    if (p.t <= fp.lastPointMs) continue;
    const dt = p.t - fp.lastPointMs;
    const dtDays = dt / DAY;
    const a = weight(dt, options.statsTauMs);
    // Each hour bucket sees one point in 24 (each weekday one in 7): its clock runs that much slower.
    const ah = weight(24 * dt, options.shapeTauMs);
    const ad = weight(7 * dt, options.shapeTauMs);
    const before = fp.level;
    fp.level = before + weight(dt, options.levelTauMs) * (p.v - before);
    const scale = Math.abs(fp.level) > 1e-12 ? Math.abs(fp.level) : 1;
    const relative = p.v / scale;
    const date = new Date(p.t);
    const h = date.getUTCHours();
    const d = date.getUTCDay();
    fp.hourOfDay[h] = (fp.hourOfDay[h] as number) + ah * (relative - (fp.hourOfDay[h] as number));
    fp.dayOfWeek[d] = (fp.dayOfWeek[d] as number) + ad * (relative - (fp.dayOfWeek[d] as number));
    fp.volatility += a * (Math.abs(p.v - fp.last) / scale - fp.volatility);
    fp.burstiness += a * (Math.max(0, p.v - fp.level) / scale - fp.burstiness);
    if (dtDays > 0) fp.trendPerDay += a * ((fp.level - before) / scale / dtDays - fp.trendPerDay);
    fp.last = p.v;
    fp.lastPointMs = p.t;
    fp.count += 1;
  }
  return fp;
}

/**
 * How alike two metrics behave, ignoring their size: Euclidean distance over the daily and
 * weekly shape, volatility, burstiness and trend. 0 is identical.
 */
export function fingerprintDistance(a: MetricFingerprint, b: MetricFingerprint): number {
  let d = 0;
  for (let i = 0; i < 24; i++) d += ((a.hourOfDay[i] as number) - (b.hourOfDay[i] as number)) ** 2 / 24;
  for (let i = 0; i < 7; i++) d += ((a.dayOfWeek[i] as number) - (b.dayOfWeek[i] as number)) ** 2 / 7;
  d +=
    (a.volatility - b.volatility) ** 2 +
    (a.burstiness - b.burstiness) ** 2 +
    (a.trendPerDay - b.trendPerDay) ** 2;
  return Math.sqrt(d);
}

/** The candidate whose fingerprint is nearest `target` (ties: the first); undefined if none. */
export function nearestFingerprint<T extends { fingerprint: MetricFingerprint }>(
  target: MetricFingerprint,
  candidates: readonly T[],
): T | undefined {
  let best: T | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = fingerprintDistance(target, c.fingerprint);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * Correlation of two metrics' relative deviations from their levels over the points both have
 * at the same timestamps: how much they move together (CPU with requests, say). Null with fewer
 * than 3 common points or no variation.
 */
export function deviationCorrelation(
  a: readonly MetricPoint[],
  b: readonly MetricPoint[],
  levelA: number,
  levelB: number,
): number | null {
  const byT = new Map(b.map((p) => [p.t, p.v]));
  const xs: number[] = [];
  const ys: number[] = [];
  for (const p of a) {
    const v = byT.get(p.t);
    if (v === undefined) continue;
    xs.push(p.v / (levelA || 1) - 1);
    ys.push(v / (levelB || 1) - 1);
  }
  const n = xs.length;
  if (n < 3) return null;
  const mx = xs.reduce((s, x) => s + x, 0) / n;
  const my = ys.reduce((s, y) => s + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (xs[i] as number) - mx;
    const dy = (ys[i] as number) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : null;
}
