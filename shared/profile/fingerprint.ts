import { z } from 'zod';
import type { MetricPoint } from '../schemas/series';
import type { Signal } from '../schemas/signal';

/** How demand moved while signals of one tag were on: mean of value / expected - 1 over those points. */
export const SignalResponse = z.strictObject({
  /** Points seen inside windows of this tag. */
  n: z.number().int().nonnegative(),
  /** 0.3 = demand 30 % above what the level and the daily and weekly shape expected. */
  uplift: z.number().finite(),
  /** End of the newest window seen. */
  lastMs: z.number().int().nonnegative(),
});
export type SignalResponse = z.infer<typeof SignalResponse>;
/** Tags remembered per metric (the most recently seen win); bounds the profile item. */
export const MAX_SIGNAL_TAGS = 8;

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
  /** First point absorbed: how long the shape has been learning (absent in older fingerprints). */
  firstPointMs: z.number().int().nonnegative().optional(),
  /** Typical response to each signal tag whose windows the metric has been through. */
  signals: z.record(z.string(), SignalResponse).optional(),
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

/**
 * Absorb new points (ascending; points at or before `lastPointMs` are skipped). Pure. A point inside
 * the window of one of `signals` is measured against what the level and shape expected (the
 * tag's response) and left out of the level, shape and dispersion: a campaign is not the
 * workload's normal behaviour.
 */
export function updateFingerprint(
  previous: MetricFingerprint | undefined,
  points: readonly MetricPoint[],
  options: FingerprintOptions = DEFAULT_FINGERPRINT_OPTIONS,
  signals: readonly Signal[] = [],
): MetricFingerprint | undefined {
  let fp = previous
    ? {
        ...previous,
        hourOfDay: [...previous.hourOfDay],
        dayOfWeek: [...previous.dayOfWeek],
        ...(previous.signals ? { signals: { ...previous.signals } } : {}),
      }
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
        firstPointMs: p.t,
      };
      continue;
    }
    if (p.t <= fp.lastPointMs) continue;
    const tags = tagsAt(signals, p.t);
    if (tags.length > 0) recordResponse(fp, p, tags, options);
    else absorb(fp, p, options);
    fp.last = p.v;
    fp.lastPointMs = p.t;
    fp.count += 1;
  }
  return fp;
}

/** One ordinary point into level, shape, volatility, burstiness and trend (mutates `fp`). */
function absorb(fp: MetricFingerprint, p: MetricPoint, options: FingerprintOptions): void {
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
}

/** A point inside signal windows: its excess over the expected value, per tag (mutates `fp`). */
function recordResponse(
  fp: MetricFingerprint,
  p: MetricPoint,
  tags: readonly { tag: string; endsAt: number }[],
  options: FingerprintOptions,
): void {
  const shape = shapeOf(fp, options);
  const date = new Date(p.t);
  const expected =
    fp.level *
    (shape.hourOfDay[date.getUTCHours()] as number) *
    (shape.dayOfWeek[date.getUTCDay()] as number);
  if (!(Math.abs(expected) > 1e-12)) return;
  const response = p.v / expected - 1;
  const all = { ...(fp.signals ?? {}) };
  for (const { tag, endsAt } of tags) {
    const prev = all[tag];
    const n = (prev?.n ?? 0) + 1;
    // A running mean of the tag's points, forgetting slowly once it has seen a few windows' worth.
    const w = Math.max(1 / n, 1 / 500);
    all[tag] = {
      n,
      uplift: prev ? prev.uplift + w * (response - prev.uplift) : response,
      lastMs: Math.max(prev?.lastMs ?? 0, endsAt),
    };
  }
  const kept = Object.entries(all)
    .sort((x, y) => y[1].lastMs - x[1].lastMs || (x[0] < y[0] ? -1 : 1))
    .slice(0, MAX_SIGNAL_TAGS);
  fp.signals = Object.fromEntries(kept);
}

function tagsAt(signals: readonly Signal[], t: number): { tag: string; endsAt: number }[] {
  const out = new Map<string, number>();
  for (const s of signals)
    if (t >= s.startsAt && t < s.endsAt) out.set(s.tag, Math.max(out.get(s.tag) ?? 0, s.endsAt));
  return [...out].map(([tag, endsAt]) => ({ tag, endsAt }));
}

/**
 * The daily and weekly shape without the flat prior they start from: each bucket is a running
 * mean that started at 1, and after learning for a span S only 1 - exp(-S / shapeTau) of its
 * weight is data, so (raw - 1) is divided by that. A week-old fingerprint's shape then reads as
 * strongly as a month-old one's; fingerprints without `firstPointMs` are read as they are.
 */
export function shapeOf(
  fp: MetricFingerprint,
  options: FingerprintOptions = DEFAULT_FINGERPRINT_OPTIONS,
): { hourOfDay: number[]; dayOfWeek: number[] } {
  if (fp.firstPointMs === undefined || fp.lastPointMs <= fp.firstPointMs)
    return { hourOfDay: fp.hourOfDay, dayOfWeek: fp.dayOfWeek };
  const learnt = 1 - Math.exp(-(fp.lastPointMs - fp.firstPointMs) / options.shapeTauMs);
  const unbias = (x: number) => 1 + (x - 1) / learnt;
  return { hourOfDay: fp.hourOfDay.map(unbias), dayOfWeek: fp.dayOfWeek.map(unbias) };
}

/**
 * How alike two metrics behave, ignoring their size: Euclidean distance over the daily and
 * weekly shape (`shapeOf`), volatility, burstiness and trend. 0 is identical.
 */
export function fingerprintDistance(a: MetricFingerprint, b: MetricFingerprint): number {
  const sa = shapeOf(a);
  const sb = shapeOf(b);
  let d = 0;
  for (let i = 0; i < 24; i++) d += ((sa.hourOfDay[i] as number) - (sb.hourOfDay[i] as number)) ** 2 / 24;
  for (let i = 0; i < 7; i++) d += ((sa.dayOfWeek[i] as number) - (sb.dayOfWeek[i] as number)) ** 2 / 7;
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
