import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import * as core from './core';

/**
 * Lambda entry points of the regional failover tasks (one bundle, one exported handler per function;
 * see manifest.ts). Middleware first, handler last; a task failure is *thrown* so the state
 * machine's Retry/Catch match its name.
 */
const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'shadowscale-failover';
const logger = new Logger({ serviceName });
const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Shadowscale',
  serviceName,
});
const tracer = new Tracer({ serviceName });

function lambda(task: string, run: core.TaskFn) {
  return middy()
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .handler(async (event: unknown) => {
      logger.appendKeys({ task });
      const result = await run(event);
      metrics.addMetric(`FailoverTask${task}`, MetricUnit.Count, 1);
      return result;
    });
}

export const validateHandler = lambda('Validate', core.validate);
export const leaseHandler = lambda('AcquireLease', core.lease);
export const planHandler = lambda('Plan', core.plan);
export const raiseStandbyHandler = lambda('RaiseStandby', core.raise);
export const checkDestinationHandler = lambda('CheckDestination', core.check);
export const shiftHandler = lambda('Shift', core.shift);
export const gateHandler = lambda('Gate', core.gate);
export const succeedHandler = lambda('RecordSuccess', core.succeed);
export const compensateHandler = lambda('Compensate', core.undo);
