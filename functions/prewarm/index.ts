import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { compute } from '../runtime/compute';
import { clock } from '../runtime/index';
import { repositories } from '../runtime/repositories';
import { traffic } from '../runtime/traffic';
import { type PrewarmResult, runPrewarm } from './core';

/**
 * Pre-warm Lambda: the target of the `Forecast Computed` rule. Sets the primary's floor ahead of the
 * forecast demand and sizes a shadow pool that carries traffic (shared/prewarm, planned by
 * shared/planning); scale-in above the floor stays with the service's own target tracking.
 */
const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'shadowscale-prewarm';
const logger = new Logger({ serviceName });
const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Shadowscale',
  serviceName,
});
const tracer = new Tracer({ serviceName });

const lambdaHandler = async (event: unknown): Promise<PrewarmResult> => {
  const result = await runPrewarm(event, {
    clock: clock(),
    repositories: repositories(),
    compute: compute(),
    traffic: traffic(),
  });
  metrics.addMetric(result.action === 'scale-out' ? 'PrewarmScaleOut' : 'PrewarmHold', MetricUnit.Count, 1);
  if (result.limitedByMax) metrics.addMetric('PrewarmLimitedByMax', MetricUnit.Count, 1);
  logger.info(result.reason, { workloadId: result.workloadId, desired: result.desired });
  return result;
};

export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
