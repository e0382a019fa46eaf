import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { DetectorOutcome } from '../../shared/failover/detector';
import { DetectorEvent, runDetector } from '../../shared/failover/detector-events';
import { clock } from '../runtime/index';
import { countFailures, entry, logger, metrics, parsedOrThrow, tracer } from '../runtime/powertools';
import { regionalStarter } from '../runtime/regional-starter';
import { repositories } from '../runtime/repositories';
import { regionalHealth } from '../runtime/standby';

/**
 * The regional detector Lambda: on its schedule, on AWS Health events and on CloudWatch alarm
 * state changes, observes each failover workload's regions (hysteresis in the predictions table)
 * and starts regional-failover / regional-failback under an event-derived name (shared/failover/
 * detector.ts). Publishes the failover state per observation for the dashboard and alarms.
 */
export const handler = entry(
  middy()
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .use(countFailures('RegionalDetectorFailed'))
    .use(captureLambdaHandler(tracer))
    .use(parser({ schema: DetectorEvent, safeParse: true }))
    .handler(async (event): Promise<{ observations: number; started: string[] }> => {
      const repos = repositories();
      const outcomes = await runDetector(
        {
          clock: clock(),
          repositories: { predictions: repos.predictions, operations: repos.operations },
          workloads: repos.workloads,
          health: regionalHealth(),
          starter: regionalStarter(),
          sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        },
        parsedOrThrow(event, 'regional detector event'),
      );
      return report(outcomes);
    }),
);

function report(outcomes: readonly DetectorOutcome[]): { observations: number; started: string[] } {
  const started: string[] = [];
  const observed = outcomes.filter((o) => !o.skipped);
  for (const o of observed) {
    metrics.addMetric('HomeRegionDegraded', MetricUnit.Count, o.home.status === 'degraded' ? 1 : 0);
    if (o.flipped.length > 0) logger.warn('region status changed', { ...o });
    if (o.start?.started) {
      started.push(o.start.name);
      metrics.addMetric(
        o.start.kind === 'failover' ? 'FailoverStarted' : 'FailbackStarted',
        MetricUnit.Count,
        1,
      );
      logger.info(`${o.start.kind} started`, {
        workloadId: o.workloadId,
        name: o.start.name,
        reason: o.action.reason,
      });
    }
  }
  return { observations: observed.length, started };
}
