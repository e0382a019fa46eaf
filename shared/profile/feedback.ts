import { z } from 'zod';
import type { MetricPoint, Prediction } from '../schemas/series';

/**
 * The prediction feedback loop: every stored forecast is joined, once its target times are
 * observed, with what happened. Per horizon bucket a metric keeps a running accuracy (error
 * relative to the level, error against what the forecast's own calibrated intervals promised,
 * and coverage of the stored 80 % and 95 % quantiles) with an exponential learning rate, and
 * `accuracyDrift` says when it has degraded enough that the model should be refitted before its
 * schedule. Pure: the forecaster passes in the forecasts and the new points.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The horizons scored: each actual is joined with the newest forecast made at least this long before. */
export const HORIZON_BUCKETS = [
  { name: '15m', ms: 15 * MINUTE },
  { name: '1h', ms: HOUR },
  { name: '6h', ms: 6 * HOUR },
  { name: '24h', ms: DAY },
] as const;
export const HorizonName = z.enum(['15m', '1h', '6h', '24h']);
export type HorizonName = z.infer<typeof HorizonName>;

/** Per workload metric (`metrics[].feedback`): how fast evidence counts and when it forces a refit. */
export const FeedbackSettings = z.strictObject({
  /**
   * Weight of each newly scored forecast against the running history (an exponential moving
   * average; the first forecasts are plain means until 1/n falls below it). 0.05 ≈ the last
   * 20 scored forecasts per horizon.
   */
  learningRate: z.number().gt(0).max(1).default(0.05),
  /** Refit early when the error is this many times what the forecast's intervals promised. */
  maxErrorRatio: z.number().gt(1).max(100).default(2),
  /** Refit early when 80 % or 95 % coverage is further than this from nominal. */
  coverageTolerance: z.number().gt(0).max(0.5).default(0.15),
  /** Forecasts scored at a horizon before its numbers may trigger a refit. */
  minScored: z.number().int().min(1).max(10_000).default(24),
});
export type FeedbackSettings = z.infer<typeof FeedbackSettings>;
export type FeedbackSettingsInput = z.input<typeof FeedbackSettings>;
export const DEFAULT_FEEDBACK: FeedbackSettings = FeedbackSettings.parse({});

export const HorizonAccuracy = z.strictObject({
  /** Forecasts scored at this horizon since the last reset. */
  n: z.number().int().nonnegative(),
  /** Running |actual - p50| / level. */
  mae: z.number().finite().nonnegative(),
  /** Running |actual - p50| / the absolute error the forecast's own 95 % quantile implies. */
  ratio: z.number().finite().nonnegative(),
  /** Running share of actuals at or under the forecast's 0.8 and 0.95 quantiles. */
  c80: z.number().min(0).max(1),
  c95: z.number().min(0).max(1),
});
export type HorizonAccuracy = z.infer<typeof HorizonAccuracy>;

export const MetricAccuracy = z.strictObject({
  h: z.partialRecord(HorizonName, HorizonAccuracy),
  /** Newest actual scored: a point is joined once even when history is read again. */
  through: z.number().int().nonnegative(),
  /** Forecasts made before this are not scored (the model that made them was replaced). */
  since: z.number().int().nonnegative().optional(),
});
export type MetricAccuracy = z.infer<typeof MetricAccuracy>;

/** E|e| / q95-offset for normal errors: sqrt(2/pi) / 1.645. */
const MAE_PER_Q95 = Math.sqrt(2 / Math.PI) / 1.6449;
const MAE_PER_Q80 = Math.sqrt(2 / Math.PI) / 0.8416;

/** The forecasts to read for scoring points after `afterMs`: generated since then minus the longest horizon. */
export function scoringWindow(afterMs: number, horizonMs: number): { sinceMs: number; longestMs: number } {
  const longest = longestBucket(horizonMs);
  return { sinceMs: Math.max(0, afterMs - longest - longest / 4 - HOUR), longestMs: longest };
}

/** The longest bucket a forecast of this horizon reaches (at least the shortest bucket). */
export function longestBucket(horizonMs: number): number {
  let longest: number = HORIZON_BUCKETS[0].ms;
  for (const b of HORIZON_BUCKETS) if (b.ms <= horizonMs) longest = b.ms;
  return longest;
}

interface Joined {
  bucket: HorizonName;
  actual: number;
  p50: number;
  q80: number | undefined;
  q95: number | undefined;
}

/**
 * Join each actual with, per bucket, the newest forecast made at least the bucket's horizon
 * before it (and no more than a quarter of the horizon plus one step more), at the step that
 * lands on the actual's time.
 */
export function joinForecasts(
  predictions: readonly Prediction[],
  actuals: readonly MetricPoint[],
  sinceMs = 0,
): Joined[] {
  const usable = predictions
    .filter((p) => p.generatedAt >= sinceMs)
    .sort((a, b) => b.generatedAt - a.generatedAt);
  const out: Joined[] = [];
  for (const a of actuals) {
    if (!Number.isFinite(a.v)) continue;
    for (const b of HORIZON_BUCKETS) {
      for (const p of usable) {
        const lead = a.t - p.generatedAt;
        if (lead < b.ms) continue;
        if (lead > b.ms + b.ms / 4 + p.intervalMs) break;
        const i = (a.t - p.startMs) / p.intervalMs;
        if (!Number.isInteger(i) || i < 0 || i >= p.point.length) continue;
        out.push({
          bucket: b.name,
          actual: a.v,
          p50: p.point[i] as number,
          q80: quantileAt(p, 0.8, i),
          q95: quantileAt(p, 0.95, i),
        });
        break;
      }
    }
  }
  return out;
}

function quantileAt(p: Prediction, q: number, i: number): number | undefined {
  return p.quantiles.find((x) => Math.abs(x.q - q) < 1e-9)?.values[i];
}

/** The absolute error the forecast's own quantiles promise at one step, or undefined if flat. */
function promisedError(j: Joined): number | undefined {
  if (j.q95 !== undefined && j.q95 - j.p50 > 1e-12) return (j.q95 - j.p50) * MAE_PER_Q95;
  if (j.q80 !== undefined && j.q80 - j.p50 > 1e-12) return (j.q80 - j.p50) * MAE_PER_Q80;
  return undefined;
}

/**
 * Score the forecasts whose targets `actuals` observe (only actuals after the previous
 * `through`), weighting each new score by `settings.learningRate` against the running numbers.
 * `level` scales the error (the metric's typical value, so that workloads compare).
 */
export function scoreForecasts(
  previous: MetricAccuracy | undefined,
  predictions: readonly Prediction[],
  actuals: readonly MetricPoint[],
  level: number,
  settings: FeedbackSettings = DEFAULT_FEEDBACK,
): { accuracy: MetricAccuracy; scored: number } {
  const through = previous?.through ?? 0;
  const fresh = actuals.filter((a) => a.t > through);
  const joined = joinForecasts(predictions, fresh, previous?.since);
  const h: MetricAccuracy['h'] = { ...(previous?.h ?? {}) };
  const scale = Math.abs(level) > 1e-12 ? Math.abs(level) : 1;
  for (const j of joined) {
    const prev = h[j.bucket];
    const n = (prev?.n ?? 0) + 1;
    const w = Math.max(settings.learningRate, 1 / n);
    const step = (old: number | undefined, x: number) => (old === undefined ? x : old + w * (x - old));
    const error = Math.abs(j.actual - j.p50);
    const promised = promisedError(j);
    h[j.bucket] = {
      n,
      mae: step(prev?.mae, error / scale),
      // A flat forecast promises nothing: the ratio holds its value.
      ratio: promised === undefined ? (prev?.ratio ?? 0) : step(prev?.ratio, Math.min(error / promised, 100)),
      c80: j.q80 === undefined ? (prev?.c80 ?? 0.8) : step(prev?.c80, j.actual <= j.q80 ? 1 : 0),
      c95: j.q95 === undefined ? (prev?.c95 ?? 0.95) : step(prev?.c95, j.actual <= j.q95 ? 1 : 0),
    };
  }
  const newest = fresh.reduce((m, a) => Math.max(m, a.t), through);
  return {
    accuracy: {
      h: roundAll(h),
      through: newest,
      ...(previous?.since !== undefined ? { since: previous.since } : {}),
    },
    scored: joined.length,
  };
}

/** Four significant digits: the profile item stays a few hundred bytes. */
function roundAll(h: MetricAccuracy['h']): MetricAccuracy['h'] {
  const r = (x: number) => Number(x.toPrecision(4));
  const out: MetricAccuracy['h'] = {};
  for (const [k, v] of Object.entries(h) as [HorizonName, HorizonAccuracy][])
    out[k] = { n: v.n, mae: r(v.mae), ratio: r(v.ratio), c80: r(v.c80), c95: r(v.c95) };
  return out;
}

export interface AccuracyDrift {
  horizon: HorizonName;
  reason: 'error' | 'coverage';
  detail: string;
}

/**
 * Has the model's accuracy degraded enough to refit before its schedule? At any horizon with at
 * least `minScored` forecasts: the error above `maxErrorRatio` times what the intervals promised,
 * or 80 % / 95 % coverage further than `coverageTolerance` from nominal. The shortest horizon
 * that drifted is reported.
 */
export function accuracyDrift(
  accuracy: MetricAccuracy | undefined,
  settings: FeedbackSettings = DEFAULT_FEEDBACK,
): AccuracyDrift | undefined {
  if (!accuracy) return undefined;
  for (const b of HORIZON_BUCKETS) {
    const a = accuracy.h[b.name];
    if (!a || a.n < settings.minScored) continue;
    if (a.ratio > settings.maxErrorRatio)
      return {
        horizon: b.name,
        reason: 'error',
        detail: `error ${a.ratio.toFixed(2)}x what the intervals promise (limit ${settings.maxErrorRatio})`,
      };
    const off80 = Math.abs(a.c80 - 0.8);
    const off95 = Math.abs(a.c95 - 0.95);
    if (off80 > settings.coverageTolerance || off95 > settings.coverageTolerance)
      return {
        horizon: b.name,
        reason: 'coverage',
        detail: `coverage ${a.c80.toFixed(2)} / ${a.c95.toFixed(2)} of 0.80 / 0.95 (tolerance ${settings.coverageTolerance})`,
      };
  }
  return undefined;
}

/** After a refit the new model is judged on its own forecasts: counts restart, numbers are kept. */
export function resetAccuracy(accuracy: MetricAccuracy | undefined, atMs: number): MetricAccuracy {
  const h: MetricAccuracy['h'] = {};
  for (const [k, v] of Object.entries(accuracy?.h ?? {}) as [HorizonName, HorizonAccuracy][])
    h[k] = { ...v, n: 0 };
  return { h, through: accuracy?.through ?? 0, since: atMs };
}
