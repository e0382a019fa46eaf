import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { type FeedbackResult, feedback } from './core';
import { deps, powertools } from './handlers';

/**
 * Build feedback Lambda: target of the stage-ended / build-completed / build-phase rule. Absorbs
 * each finished run into its stage profile once; on phase changes records an adjustment.
 */
const { logger, metrics, tracer } = powertools('shadowscale-build-feedback');

const lambdaHandler = async (event: unknown): Promise<FeedbackResult> => {
  const result = await feedback(event, deps());
  if (result.action === 'absorbed') metrics.addMetric('BuildProfileUpdated', MetricUnit.Count, 1);
  if (result.action === 'adjusted' && result.adjustment !== 'hold')
    metrics.addMetric('BuildAdjustment', MetricUnit.Count, 1);
  logger.info(result.action, { ...result });
  return result;
};

export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
