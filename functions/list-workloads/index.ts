import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { FanoutPlan } from '../../shared/forecaster';
import { repositories } from '../runtime/repositories';
import { runListWorkloads } from './core';

export { runListWorkloads } from './core';

const logger = new Logger({ serviceName: 'list-workloads' });
const metrics = new Metrics({ serviceName: 'list-workloads' });
const tracer = new Tracer({ serviceName: 'list-workloads' });

const lambdaHandler = async (event: unknown): Promise<FanoutPlan> => {
  const plan = await runListWorkloads(event, { repositories: repositories() });
  metrics.addMetric('RegisteredWorkloads', MetricUnit.Count, plan.count);
  logger.info('fan-out planned', { mode: plan.mode, count: plan.count, batches: plan.batches.length });
  return plan;
};

/** First state of forecast-fanout: count the registry and cut it into batches. */
export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
