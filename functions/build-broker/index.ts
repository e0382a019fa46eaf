import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { type DecideResult, decide } from './core';
import { deps, powertools } from './handlers';

/**
 * Build broker Lambda: target of the CodePipeline stage-started / CodeBuild in-progress rule, and
 * invoked directly by workflows before an ECS task. Records the allocation and returns it.
 */
const { logger, metrics, tracer } = powertools('shadowscale-build-broker');

const lambdaHandler = async (event: unknown): Promise<DecideResult> => {
  const result = await decide(event, deps());
  if (result.action === 'allocated') {
    metrics.addMetric(
      result.allocation.fallback ? 'BuildAllocationFallback' : 'BuildAllocationPreferred',
      MetricUnit.Count,
      1,
    );
    logger.info(result.allocation.reason, {
      pipeline: result.pipeline,
      stage: result.stage,
      runId: result.runId,
      option: result.allocation.id,
    });
    if (result.ignoredContext)
      logger.warn('malformed run context left out', { ignored: result.ignoredContext });
  } else logger.info('skipped', { reason: result.reason });
  return result;
};

export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
