import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { TaskFn } from '../migration/core';
import * as core from './core';

/**
 * Lambda entry points of the pipeline-branch tasks (one bundle, one exported handler per function;
 * see manifest.ts). Middleware first, handler last; a failure is thrown so Retry/Catch match it.
 */
const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'shadowscale-pipeline';
const logger = new Logger({ serviceName });
const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Shadowscale',
  serviceName,
});
const tracer = new Tracer({ serviceName });

function lambda(task: string, run: TaskFn) {
  return middy()
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .handler(async (event: unknown) => {
      logger.appendKeys({ task });
      const result = await run(event);
      metrics.addMetric(`PipelineTask${task}`, MetricUnit.Count, 1);
      return result;
    });
}

export const validateHandler = lambda('Validate', core.validate);
export const predictHandler = lambda('Predict', core.predict);
export const beginHandler = lambda('Begin', core.begin);
export const planHandler = lambda('Plan', core.plan);
export const provisionHandler = lambda('Provision', core.provision);
export const startTestsHandler = lambda('StartTests', core.startTestRun);
export const recordTestsHandler = lambda('RecordTests', core.testsPassed);
export const deployPrimaryHandler = lambda('DeployPrimary', core.primary);
export const primaryStableHandler = lambda('PrimaryStable', core.primaryStable);
export const planMergeHandler = lambda('PlanMerge', core.merge);
export const finishHandler = lambda('Finish', core.finish);
export const discardHandler = lambda('Discard', core.discard);
export const checkHealthyHandler = lambda('CheckHealthy', core.shadowHealthy);
export const decommissionHandler = lambda('Decommission', core.decommission);
