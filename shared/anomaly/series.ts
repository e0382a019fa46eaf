import { z } from 'zod';
import { EpochMs } from '../schemas/common';
import type { MetricPoint } from '../schemas/series';
import {
  type AnomalyOptions,
  AnomalyState,
  DEFAULT_ANOMALY_OPTIONS,
  initialAnomalyState,
  observeSeries,
} from './detector';
import {
  type AnomalyHysteresis,
  AnomalyStatus,
  CALM,
  DEFAULT_ANOMALY_HYSTERESIS,
  nextAnomalyStatus,
} from './hysteresis';
import { acrossMetrics } from './pvalue';

/** What is kept per workload metric between forecaster runs (with the model state). */
export const SeriesAnomaly = z.strictObject({
  /** Newest observation absorbed; older points read again (a full refit) are skipped. */
  lastPointMs: EpochMs,
  detector: AnomalyState,
  status: AnomalyStatus,
  /** Score and p-value of the newest observation (score null: it had no data). */
  score: z.number().min(0).max(1).nullable(),
  pValue: z.number().min(0).max(1),
});
export type SeriesAnomaly = z.infer<typeof SeriesAnomaly>;

/** A start or end of an anomaly, with what was expected at that row. */
export interface AnomalyChange {
  kind: 'detected' | 'cleared';
  at: number;
  score: number;
  observed: number;
  expected: { low: number; high: number } | null;
  /** Start of the anomaly that ended (cleared only). */
  since?: number;
}

/**
 * Feed a series' new points (ascending) through its detector and hysteresis. Pure: returns the
 * next stored form and every start/end of an anomaly among the new points, oldest first.
 */
export function advanceSeriesAnomaly(
  previous: SeriesAnomaly | undefined,
  points: readonly MetricPoint[],
  options: AnomalyOptions = DEFAULT_ANOMALY_OPTIONS,
  hysteresis: AnomalyHysteresis = DEFAULT_ANOMALY_HYSTERESIS,
): { anomaly: SeriesAnomaly | undefined; changes: AnomalyChange[] } {
  // A new series needs only enough history to fill its calibration, not the weeks a model refit
  // reads: scoring those would cost the first run of every series ~10x for nothing.
  const fresh = previous
    ? points.filter((p) => p.t > previous.lastPointMs)
    : points.slice(-(options.calibrationSize + options.minCalibration));
  if (fresh.length === 0) return { anomaly: previous, changes: [] };
  const { state, rows } = observeSeries(
    previous?.detector ?? initialAnomalyState(),
    fresh.map((p) => p.v),
    options,
  );
  let status = previous?.status ?? CALM;
  const changes: AnomalyChange[] = [];
  rows.forEach((row, i) => {
    const point = fresh[i] as MetricPoint;
    const since = status.since;
    const next = nextAnomalyStatus(status, row.score, point.t, hysteresis);
    status = next.status;
    if (next.transition)
      changes.push({
        kind: next.transition,
        at: point.t,
        score: row.score ?? 0,
        observed: point.v,
        expected: row.expected ? { low: row.expected.low, high: row.expected.high } : null,
        ...(next.transition === 'cleared' && since !== null ? { since } : {}),
      });
  });
  const last = rows[rows.length - 1];
  // A series seen for the first time is scored over its history to calibrate; only an anomaly
  // still going on is news, not the ones long over.
  const news = previous
    ? changes
    : status.active
      ? changes.filter((c) => c.kind === 'detected').slice(-1)
      : [];
  return {
    anomaly: {
      lastPointMs: (fresh[fresh.length - 1] as MetricPoint).t,
      detector: state,
      status,
      score: last?.score ?? null,
      pValue: last?.pValue ?? 1,
    },
    changes: news,
  };
}

/**
 * A workload's anomaly score from its metrics' newest rows: one minus the Bonferroni-combined
 * p-value, and which metrics are in an anomaly now.
 */
export function workloadAnomaly(series: readonly { metric: string; anomaly: SeriesAnomaly }[]): {
  score: number;
  metrics: string[];
} {
  const p = acrossMetrics(series.map((s) => s.anomaly.pValue));
  return {
    score: Math.min(1, Math.max(0, 1 - p)),
    metrics: series.filter((s) => s.anomaly.status.active).map((s) => s.metric),
  };
}
