import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { buildStarter, buildStatusReader } from '../runtime/build-starter';
import { pipelineJobReporter } from '../runtime/pipeline-jobs';
import { deps, powertools } from './handlers';
import { type PipelineJobResult, runPipelineJob } from './pipeline-job';

/**
 * CodePipeline Lambda invoke action: runs the stage's CodeBuild build on the size the broker
 * allocates, reporting the job to CodePipeline (continuation tokens while the build runs). The
 * event carries the artifact credentials: it is never logged (the CodePipeline guide's warning).
 */
const { logger, metrics, tracer } = powertools('shadowscale-pipeline-action');

const lambdaHandler = async (event: unknown): Promise<PipelineJobResult> => {
  const result = await runPipelineJob(event, {
    ...deps(),
    starter: buildStarter(),
    statuses: buildStatusReader(),
    jobs: pipelineJobReporter(),
  });
  if (result.started) metrics.addMetric('SizedBuildStarted', MetricUnit.Count, 1);
  if (result.outcome === 'failed') metrics.addMetric('PipelineJobFailed', MetricUnit.Count, 1);
  logger.info(result.outcome, { ...result });
  return result;
};

export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
