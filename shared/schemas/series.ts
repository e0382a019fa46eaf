import { z } from 'zod';
import { EpochMs, Quantile, WorkloadId } from './common';

/** One observation. `v` is a real number; a missing observation is absent, never 0. */
export const MetricPoint = z.strictObject({ t: EpochMs, v: z.number().finite() });
export type MetricPoint = z.infer<typeof MetricPoint>;

/**
 * A regular series: `values[i]` is the value at `startMs + i * intervalMs`; `null` is a gap.
 * Forecasting works on this shape after input hygiene (see shared/forecast).
 */
export const MetricSeries = z
  .strictObject({
    workloadId: WorkloadId.optional(),
    metric: z.string().min(1),
    startMs: EpochMs,
    intervalMs: z.number().int().positive(),
    values: z.array(z.number().finite().nullable()),
  })
  .refine((s) => s.values.some((v) => v !== null), {
    message: 'must hold at least one value',
    path: ['values'],
  });
export type MetricSeries = z.infer<typeof MetricSeries>;

/** Quantile forecast for one workload metric over a horizon. */
export const QuantileForecast = z.strictObject({
  q: Quantile,
  values: z.array(z.number().finite()),
});

/** Settings of the planning path a forecast was planned with (see shared/planning/path.ts). */
export const PlanningSettings = z.strictObject({
  quantile: Quantile,
  maxHeadroom: z.number().positive().optional(),
  minQuantile: Quantile,
});
export type PlanningSettings = z.infer<typeof PlanningSettings>;

export const Prediction = z
  .strictObject({
    workloadId: WorkloadId,
    metric: z.string().min(1),
    generatedAt: EpochMs,
    /** Timestamp of the first forecast step; step i is at startMs + i * intervalMs. */
    startMs: EpochMs,
    intervalMs: z.number().int().positive(),
    point: z.array(z.number().finite()).min(1),
    quantiles: z.array(QuantileForecast).min(1),
    model: z.string().min(1),
    confidence: z.enum(['high', 'low']),
    /** Signals that modified this forecast, by id. */
    signals: z.array(z.string()).default([]),
    /**
     * The planning-path settings this forecast was planned with (chosen by the learner); absent:
     * the metric's own. Pre-warm, migration sizing and the dashboard plan with the same ones.
     */
    planning: PlanningSettings.optional(),
  })
  .refine((p) => p.quantiles.every((q) => q.values.length === p.point.length), {
    message: 'every quantile must have as many values as point',
    path: ['quantiles'],
  });
export type Prediction = z.infer<typeof Prediction>;
