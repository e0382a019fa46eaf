import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { FanoutPlan } from '../../shared/forecaster';
import { countFailures, entry, logger, metrics, parsedOrThrow, tracer } from '../runtime/powertools';
import { repositories } from '../runtime/repositories';
import { ListWorkloadsEnvelope, listWorkloads } from './core';

export { runListWorkloads } from './core';

/** First state of forecast-fanout: count the registry and cut it into batches. */
export const handler = entry(
  middy()
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .use(countFailures('FanoutPlanFailed'))
    .use(captureLambdaHandler(tracer))
    .use(parser({ schema: ListWorkloadsEnvelope, safeParse: true }))
    .handler(async (event): Promise<FanoutPlan> => {
      const plan = await listWorkloads(parsedOrThrow(event, 'fan-out state input'), {
        repositories: repositories(),
      });
      metrics.addMetric('RegisteredWorkloads', MetricUnit.Count, plan.count);
      logger.info('fan-out planned', { mode: plan.mode, count: plan.count, batches: plan.batches.length });
      return plan;
    }),
);
