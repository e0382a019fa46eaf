import type { PlanningSettings } from '../schemas/series';
import type { WorkloadMetric } from '../schemas/workload';

/**
 * The planning path: the demand path capacity is planned against, per metric. One rule, used by
 * the forecaster (contention score and announced sizes), pre-warm, the migration's sizing and the
 * backtest, so none of them can plan against a different number than the others.
 */

/** Quantiles every forecast carries, besides each metric's planning quantiles. */
export const STORED_QUANTILES = [0.5, 0.8, 0.95] as const;

/** The quantiles a metric's forecast must carry for its planning path to be computed. */
export function planningQuantiles(
  metric: Pick<WorkloadMetric, 'quantile' | 'maxHeadroom' | 'minQuantile'>,
): number[] {
  const qs: number[] = [...STORED_QUANTILES, metric.quantile];
  if (metric.maxHeadroom !== undefined) qs.push(metric.minQuantile);
  return [...new Set(qs)].sort((a, b) => a - b);
}

/** A forecast as the forecaster produces it and the predictions table stores it. */
export interface QuantilePaths {
  point: readonly number[];
  quantiles: readonly { q: number; values: readonly number[] }[];
}

/**
 * The values of quantile `q`: the exact one, else the nearest above (planning never rounds risk
 * down), else the highest stored. Forecasts made for a metric carry its exact quantiles
 * (`planningQuantiles`); the fallbacks serve predictions stored before a workload's quantile changed.
 */
export function quantilePath(forecast: QuantilePaths, q: number): readonly number[] {
  let exact: readonly number[] | undefined;
  let above: { q: number; values: readonly number[] } | undefined;
  let highest: { q: number; values: readonly number[] } | undefined;
  for (const candidate of forecast.quantiles) {
    if (Math.abs(candidate.q - q) < 1e-9) exact = candidate.values;
    else if (candidate.q > q && (!above || candidate.q < above.q)) above = candidate;
    if (!highest || candidate.q > highest.q) highest = candidate;
  }
  return exact ?? above?.values ?? highest?.values ?? forecast.point;
}

/**
 * The quantile path `high`, its excess over the median capped at `maxHeadroom` × median, but never
 * below `floor` (a lower quantile's path) where `high` is above it:
 *   plan_h = max(min(high_h, median_h × (1 + maxHeadroom)), min(high_h, floor_h)).
 * A band far wider than the median is unforecastable noise or spikes, and paying for all of it
 * every step costs more than the shortfalls it avoids; where the band is narrow the quantile binds.
 * `maxHeadroom` Infinity (or undefined) returns `high` unchanged.
 */
export function cappedPath(
  high: readonly number[],
  median: readonly number[],
  maxHeadroom: number | undefined,
  floor?: readonly number[],
): number[] {
  if (maxHeadroom === undefined || !Number.isFinite(maxHeadroom)) return high.slice();
  return high.map((v, i) => {
    const capped = Math.min(v, (median[i] ?? v) * (1 + maxHeadroom));
    return Math.max(capped, Math.min(v, floor?.[i] ?? capped));
  });
}

/**
 * A metric's planning path over a forecast: its quantile, capped by its `maxHeadroom` if set. A
 * forecast planned with learned settings (`forecast.planning`) is read with those, so pre-warm, a
 * migration and the dashboard plan against the path the forecaster scored.
 */
export function planningPath(
  forecast: QuantilePaths & { planning?: PlanningSettings | undefined },
  metric: Pick<WorkloadMetric, 'quantile' | 'maxHeadroom' | 'minQuantile'>,
): number[] {
  const s = forecast.planning ?? metric;
  const high = quantilePath(forecast, s.quantile);
  if (s.maxHeadroom === undefined) return high.slice();
  return cappedPath(high, forecast.point, s.maxHeadroom, quantilePath(forecast, s.minQuantile));
}

/** The largest value of `path` over indices [from, through] (clamped to the path), 0 when empty. */
export function peakOver(path: ArrayLike<number>, from: number, through: number): number {
  let peak = 0;
  const last = Math.min(through, path.length - 1);
  for (let i = Math.max(0, from); i <= last; i++) {
    const v = path[i] as number;
    if (v > peak) peak = v;
  }
  return peak;
}
