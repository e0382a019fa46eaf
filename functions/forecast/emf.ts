import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ForecastRunResult } from '../../shared/forecaster';
import { HORIZON_BUCKETS } from '../../shared/profile/feedback';

export interface RecordRunOptions {
  /** Wall time of the run in milliseconds, published as `RunDuration`. */
  durationMs?: number;
}

/**
 * Publish one run as a single EMF document of fleet-level counts and maxima, all under the same
 * dimension set: the number of custom metrics is constant whatever the fleet size (a series per
 * `workloadId` dimension is a custom metric billed by the hour, which at thousands of workloads
 * costs more than the rest of the control plane). A workload's own forecast, decision and anomaly
 * scores stay in the predictions table. Every workload not fully forecast is logged by name, so
 * an alarm on `WorkloadsFailed` leads to it.
 */
export function recordRun(
  result: ForecastRunResult,
  m: Metrics,
  log: Logger,
  options: RecordRunOptions = {},
): void {
  addRunMetrics(result, m, options.durationMs);
  logOutcomes(result, log);
}

/** Counts, durations and the fleet's contention: one EMF document (same dimensions). */
function addRunMetrics(result: ForecastRunResult, m: Metrics, durationMs: number | undefined): void {
  m.addMetric('WorkloadsForecast', MetricUnit.Count, result.workloads);
  m.addMetric('WorkloadsOk', MetricUnit.Count, result.ok);
  m.addMetric('WorkloadsFailed', MetricUnit.Count, result.failed);
  m.addMetric('WorkloadsDegraded', MetricUnit.Count, result.degraded);
  m.addMetric('WorkloadsSkipped', MetricUnit.Count, result.skipped);
  m.addMetric('SeriesForecast', MetricUnit.Count, result.series);
  m.addMetric('EventsPublished', MetricUnit.Count, result.eventsPublished);
  m.addMetric('EventsFailed', MetricUnit.Count, result.publishFailures.length);
  m.addMetric('WorkloadsContended', MetricUnit.Count, result.outcomes.filter((o) => o.contended).length);
  if (durationMs !== undefined) m.addMetric('RunDuration', MetricUnit.Milliseconds, durationMs);
  const scores = result.outcomes
    .map((o) => o.score)
    .filter((s): s is number => s !== undefined && Number.isFinite(s))
    .sort((a, b) => a - b);
  if (scores.length > 0) {
    m.addMetric('ContentionScoreMax', MetricUnit.NoUnit, scores[scores.length - 1] as number);
    m.addMetric('ContentionScoreP95', MetricUnit.NoUnit, nearestRank(scores, 0.95));
  }
  let anomaly: number | undefined;
  for (const o of result.outcomes)
    for (const x of o.metrics)
      if (x.anomalyScore !== undefined) anomaly = Math.max(anomaly ?? 0, x.anomalyScore);
  if (anomaly !== undefined) m.addMetric('AnomalyScoreMax', MetricUnit.NoUnit, anomaly);
  addFeedbackMetrics(result, m);
}

/**
 * The feedback loop, fleet-wide and in the run document (no per-workload dimension): forecasts
 * scored, early refits it asked for, and per horizon the mean over the series scored in this run
 * of their running 80 % / 95 % coverage and error against what the intervals promised
 * (`ForecastCoverage80_1h`...). Per-workload numbers are in the store (`workloads show`).
 */
export function addFeedbackMetrics(result: ForecastRunResult, m: Metrics): void {
  const metrics = result.outcomes.flatMap((o) => o.metrics);
  const scored = metrics.reduce((s, x) => s + (x.scored ?? 0), 0);
  m.addMetric('ForecastsScored', MetricUnit.Count, scored);
  m.addMetric(
    'FeedbackRefits',
    MetricUnit.Count,
    metrics.filter((x) => x.reason === 'accuracy-drift').length,
  );
  for (const b of HORIZON_BUCKETS) {
    const at = metrics.flatMap((x) => {
      const h = x.scored ? x.accuracy?.[b.name] : undefined;
      return h && h.n > 0 ? [h] : [];
    });
    if (at.length === 0) continue;
    const mean = (f: (h: (typeof at)[number]) => number) => at.reduce((s, h) => s + f(h), 0) / at.length;
    m.addMetric(
      `ForecastCoverage80_${b.name}`,
      MetricUnit.NoUnit,
      mean((h) => h.c80),
    );
    m.addMetric(
      `ForecastCoverage95_${b.name}`,
      MetricUnit.NoUnit,
      mean((h) => h.c95),
    );
    m.addMetric(
      `ForecastErrorRatio_${b.name}`,
      MetricUnit.NoUnit,
      mean((h) => h.ratio),
    );
  }
}

/** The nearest-rank quantile of ascending `sorted` (non-empty). */
function nearestRank(sorted: readonly number[], q: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] as number;
}

function logOutcomes(result: ForecastRunResult, log: Logger): void {
  for (const o of result.outcomes) {
    if (o.status !== 'ok')
      log.warn('workload not fully forecast', {
        workloadId: o.workloadId,
        status: o.status,
        error: o.error,
        metrics: o.metrics.filter((x) => x.error),
      });
    if (o.transition) log.info(`contention ${o.transition}`, { workloadId: o.workloadId, score: o.score });
    for (const m of o.metrics) {
      if (m.planningChange)
        log.info('planning settings changed', {
          workloadId: o.workloadId,
          metric: m.metric,
          ...m.planningChange,
        });
    }
  }
  for (const f of result.publishFailures) log.error('event not published', { ...f });
}
