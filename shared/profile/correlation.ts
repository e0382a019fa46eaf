import { z } from 'zod';
import type { MetricPoint } from '../schemas/series';

/**
 * Running correlation of two metrics of one workload: exponentially weighted means, variances and
 * covariance of their relative deviations from their levels (v / level - 1), over the timestamps
 * both have. O(1) per point, resumable: how much they move together (CPU with requests, say).
 */
export const PairMoments = z.strictObject({
  n: z.number().int().nonnegative(),
  lastMs: z.number().int().nonnegative(),
  mx: z.number().finite(),
  my: z.number().finite(),
  vx: z.number().finite().nonnegative(),
  vy: z.number().finite().nonnegative(),
  cxy: z.number().finite(),
});
export type PairMoments = z.infer<typeof PairMoments>;

/** Memory of the running moments: a week, as the fingerprint's level. */
export const CORRELATION_TAU_MS = 7 * 86_400_000;

/** The key of a pair: the two metric names in order, joined by `|`. */
export const pairKey = (a: string, b: string): string => (a < b ? `${a}|${b}` : `${b}|${a}`);

export interface MetricSeries {
  metric: string;
  points: readonly MetricPoint[];
  /** The metric's level (the fingerprint's), to take deviations from. */
  level: number;
}

/** Advance every pair of `series` by the timestamps both have after the pair's `lastMs`. Pure. */
export function updateCorrelations(
  previous: Readonly<Record<string, PairMoments>> | undefined,
  series: readonly MetricSeries[],
  tauMs = CORRELATION_TAU_MS,
): Record<string, PairMoments> {
  const out: Record<string, PairMoments> = { ...(previous ?? {}) };
  const sorted = [...series].sort((a, b) => (a.metric < b.metric ? -1 : 1));
  for (let i = 0; i < sorted.length; i++)
    for (let j = i + 1; j < sorted.length; j++) {
      const a = sorted[i] as MetricSeries;
      const b = sorted[j] as MetricSeries;
      const key = pairKey(a.metric, b.metric);
      const next = advancePair(out[key], a, b, tauMs);
      if (next) out[key] = next;
    }
  return out;
}

function advancePair(
  previous: PairMoments | undefined,
  a: MetricSeries,
  b: MetricSeries,
  tauMs: number,
): PairMoments | undefined {
  const byT = new Map(b.points.map((p) => [p.t, p.v]));
  let m = previous ? { ...previous } : undefined;
  const sa = Math.abs(a.level) > 1e-12 ? a.level : 1;
  const sb = Math.abs(b.level) > 1e-12 ? b.level : 1;
  for (const p of a.points) {
    const v = byT.get(p.t);
    if (v === undefined || !Number.isFinite(v) || !Number.isFinite(p.v)) continue;
    if (m && p.t <= m.lastMs) continue;
    const x = p.v / sa - 1;
    const y = v / sb - 1;
    if (!m) {
      m = { n: 1, lastMs: p.t, mx: x, my: y, vx: 0, vy: 0, cxy: 0 };
      continue;
    }
    const w = Math.max(1 / (m.n + 1), 1 - Math.exp(-(p.t - m.lastMs) / tauMs));
    const dx = x - m.mx;
    const dy = y - m.my;
    m.mx += w * dx;
    m.my += w * dy;
    // West's weighted update: the moments about the new means.
    m.vx = (1 - w) * (m.vx + w * dx * dx);
    m.vy = (1 - w) * (m.vy + w * dy * dy);
    m.cxy = (1 - w) * (m.cxy + w * dx * dy);
    m.n += 1;
    m.lastMs = p.t;
  }
  return m;
}

/** Pearson correlation of the running moments; null with fewer than 3 points or no variation. */
export function correlationOf(m: PairMoments | undefined): number | null {
  if (!m || m.n < 3 || !(m.vx > 0) || !(m.vy > 0)) return null;
  return Math.max(-1, Math.min(1, m.cxy / Math.sqrt(m.vx * m.vy)));
}
