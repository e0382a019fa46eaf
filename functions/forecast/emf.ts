import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { z } from 'zod';
import type { ForecastRunResult, WorkloadOutcome } from '../../shared/forecaster';
import { HORIZON_BUCKETS } from '../../shared/profile/feedback';
import { parseOrThrow } from '../../shared/validation';

/**
 * How many workloads a run publishes per-workload series for (contention score, next-period p50
 * and the newest observed value). Every series with a `workloadId` dimension is one EMF line per
 * value, so publishing them all costs about 7 log lines per workload (70,000 at 10,000 workloads)
 * and a custom metric each; the run-level aggregates below cover the fleet, and the stored
 * predictions hold every workload's forecast for anyone who needs all of them.
 */
export const DEFAULT_SERIES_WORKLOADS = 20;
export const SERIES_WORKLOADS_ENV = 'SHADOWSCALE_METRICS_SERIES_WORKLOADS';

const SeriesWorkloads = z.coerce.number().int().min(0).max(1_000);

/** The cap from `SHADOWSCALE_METRICS_SERIES_WORKLOADS` (0 turns per-workload series off). */
export function seriesWorkloadsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[SERIES_WORKLOADS_ENV];
  if (raw === undefined || raw === '') return DEFAULT_SERIES_WORKLOADS;
  return parseOrThrow(SeriesWorkloads, raw, SERIES_WORKLOADS_ENV);
}

export interface RecordRunOptions {
  /** Wall time of the run in milliseconds, published as `RunDuration`. */
  durationMs?: number;
  /** Workloads with per-workload series; default DEFAULT_SERIES_WORKLOADS. */
  seriesWorkloads?: number;
}

/**
 * Publish one run: the run-level counts and contention aggregates as a single EMF document, plus
 * per-workload series for at most `seriesWorkloads` contended workloads (highest score first)
 * and a `WorkloadFailed` metric named by a `workloadId` dimension for at most as many failed
 * ones. The number of EMF lines is bounded whatever the fleet size. Every workload not fully
 * forecast is still logged by name.
 */
export function recordRun(
  result: ForecastRunResult,
  m: Metrics,
  log: Logger,
  options: RecordRunOptions = {},
): void {
  const limit = options.seriesWorkloads ?? DEFAULT_SERIES_WORKLOADS;
  addRunMetrics(result, m, options.durationMs);
  // Contended workloads only: every distinct workloadId dimension is a custom metric billed by the
  // hour, and one invocation per 100 workloads would otherwise publish its top 20 calm ones too.
  for (const o of mostContended(
    result.outcomes.filter((x) => x.contended),
    limit,
  ))
    addWorkloadSeries(o, m);
  for (const o of result.outcomes.filter((x) => x.status === 'failed').slice(0, limit)) {
    // One metric per bad workload (up to the cap), so an alarm or a dashboard can name it.
    const single = m.singleMetric();
    single.addDimension('workloadId', o.workloadId);
    single.addMetric('WorkloadFailed', MetricUnit.Count, 1);
  }
  logOutcomes(result, log);
}

/** Counts, durations and the fleet's contention: one EMF document (same dimensions). */
function addRunMetrics(result: ForecastRunResult, m: Metrics, durationMs: number | undefined): void {
  m.addMetric('WorkloadsForecast', MetricUnit.Count, result.workloads);
  m.addMetric('WorkloadsOk', MetricUnit.Count, result.ok);
  m.addMetric('WorkloadsFailed', MetricUnit.Count, result.failed);
  m.addMetric('WorkloadsDegraded', MetricUnit.Count, result.degraded);
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

/** Scored workloads, contended first, then by descending score; at most `limit`. */
export function mostContended(outcomes: readonly WorkloadOutcome[], limit: number): WorkloadOutcome[] {
  if (limit <= 0) return [];
  return outcomes
    .filter((o) => o.score !== undefined)
    .sort(
      (a, b) =>
        Number(b.contended ?? false) - Number(a.contended ?? false) || (b.score ?? 0) - (a.score ?? 0),
    )
    .slice(0, limit);
}

/** The dashboard's per-workload series: contention score, and per metric p50 vs observed. */
function addWorkloadSeries(o: WorkloadOutcome, m: Metrics): void {
  if (o.score === undefined) return;
  const contention = m.singleMetric();
  contention.addDimension('workloadId', o.workloadId);
  contention.addMetric('ContentionScore', MetricUnit.NoUnit, o.score);
  for (const x of o.metrics) {
    // A single metric is flushed at its first value: one per value, each with its dimensions.
    for (const [name, value] of [
      ['ForecastP50', x.nextP50],
      ['Observed', x.observed],
    ] as const) {
      if (value === undefined) continue;
      const series = m.singleMetric();
      series.addDimensions({ workloadId: o.workloadId, metric: x.metric });
      series.addMetric(name, MetricUnit.NoUnit, value);
    }
  }
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
