import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { countFailures, entry, logger, metrics, tracer } from '../runtime/powertools';
import * as core from './core';

/**
 * Lambda entry points of the lifecycle tasks (one bundle, one exported handler per function; see
 * manifest.ts). Middleware first, handler last; each task parses its own input (a ValidationError
 * names the field) and a failure is *thrown* so the state machine's Retry/Catch match its name.
 */
function lambda(task: string, run: core.TaskFn) {
  return entry(
    middy()
      .use(injectLambdaContext(logger))
      .use(logMetrics(metrics))
      .use(countFailures(`Lifecycle${task}Failed`))
      .use(captureLambdaHandler(tracer))
      .handler(async (event: unknown) => {
        logger.appendKeys({ task });
        const result = await run(event);
        metrics.addMetric(`Lifecycle${task}`, MetricUnit.Count, 1);
        return result;
      }),
  );
}

export const evaluateHandler = lambda('Evaluate', core.evaluate);
export const scaleDownHandler = lambda('ScaleDown', core.scaleDown);
export const snapshotHandler = lambda('Snapshot', core.snapshot);
export const runTestsHandler = lambda('RunTests', core.runTests);
export const notifyHandler = lambda('Notify', core.notify);
export const setPriorityHandler = lambda('SetPriority', core.setPriority);
export const recordFailureHandler = lambda('RecordFailure', core.recordFailure);
export const reportHandler = lambda('Report', core.report);
