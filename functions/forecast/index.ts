import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { ForecasterPorts, ForecastRunResult } from '../../shared/forecaster';
import { events } from '../runtime/events';
import { clock } from '../runtime/index';
import { metrics as metricsSource } from '../runtime/metrics';
import { repositories } from '../runtime/repositories';
import { type ForecastSummary, runForecast, summarize } from './core';

export { type ForecastInput, runForecast, summarize } from './core';

const logger = new Logger({ serviceName: 'forecast' });
const metrics = new Metrics({ serviceName: 'forecast' });
const tracer = new Tracer({ serviceName: 'forecast' });

/** The ports from functions/runtime: AWS adapters, or whatever `setRuntime` installed. */
export function forecastPorts(): ForecasterPorts {
  return { clock: clock(), repositories: repositories(), metrics: metricsSource(), events: events() };
}

/**
 * Count the run; per workload, its contention score and, per metric, the next period's p50 forecast
 * and the newest observed value (dimensions `workloadId`, `metric`: the dashboard's graphs); log
 * each workload not fully forecast and give each failed one its own metric.
 */
export function recordRun(result: ForecastRunResult, m: Metrics, log: Logger): void {
  m.addMetric('WorkloadsForecast', MetricUnit.Count, result.workloads);
  m.addMetric('WorkloadsFailed', MetricUnit.Count, result.failed);
  m.addMetric('WorkloadsDegraded', MetricUnit.Count, result.degraded);
  m.addMetric('SeriesForecast', MetricUnit.Count, result.series);
  m.addMetric('EventsPublished', MetricUnit.Count, result.eventsPublished);
  m.addMetric('EventsFailed', MetricUnit.Count, result.publishFailures.length);
  for (const o of result.outcomes) {
    if (o.status === 'failed') {
      // One metric per bad workload, so an alarm or a dashboard can name it.
      const single = m.singleMetric();
      single.addDimension('workloadId', o.workloadId);
      single.addMetric('WorkloadFailed', MetricUnit.Count, 1);
    }
    if (o.score !== undefined) {
      // Per workload, for the dashboard's contention and forecast-vs-actual graphs.
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
    if (o.status !== 'ok')
      log.warn('workload not fully forecast', {
        workloadId: o.workloadId,
        status: o.status,
        error: o.error,
        metrics: o.metrics.filter((x) => x.error),
      });
    if (o.transition) log.info(`contention ${o.transition}`, { workloadId: o.workloadId, score: o.score });
  }
  for (const f of result.publishFailures) log.error('event not published', { ...f });
}

const lambdaHandler = async (event: unknown): Promise<ForecastSummary> => {
  const result = await runForecast(event, forecastPorts());
  recordRun(result, metrics, logger);
  return summarize(result);
};

/** Scheduled (EventBridge) or fan-out (Step Functions) forecaster; throws named errors. */
export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
