import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { buildStarter } from '../runtime/build-starter';
import { type StartResult, startSizedBuild } from './core';
import { deps, powertools } from './handlers';

/**
 * Build starter Lambda, invoked directly (a Step Functions task, a pipeline's invoke step): sizes
 * the run like the broker, starts the CodeBuild build on that size and returns its id. Throws
 * named errors so the caller's Retry/Catch can match them; a retry starts no second build.
 */
const { logger, metrics, tracer } = powertools('shadowscale-build-starter');

const lambdaHandler = async (event: unknown): Promise<StartResult> => {
  const result = await startSizedBuild(event, { ...deps(), starter: buildStarter() });
  if (result.action === 'started') metrics.addMetric('SizedBuildStarted', MetricUnit.Count, 1);
  if (result.recorded === false)
    logger.warn('build started but not recorded on its allocation (transient store error)', {
      buildId: result.buildId,
    });
  logger.info(result.action, {
    pipeline: result.pipeline,
    stage: result.stage,
    runId: result.runId,
    buildId: result.buildId,
    computeType: result.computeType,
  });
  return result;
};

export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
