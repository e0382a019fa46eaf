import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import {
  countFailures,
  entry,
  type LambdaEntry,
  logger,
  metrics,
  parsedOrThrow,
  tracer,
} from '../runtime/powertools';
import {
  decommissionTask,
  gateTask,
  healthyTask,
  leaseTask,
  planTask,
  provisionTask,
  shiftTask,
  smokeTask,
  succeedTask,
  TASKS,
  type Task,
  undoTask,
  validateTask,
} from './core';

/**
 * Lambda entry points of the shadow-pool tasks (one bundle, one exported handler per function;
 * see manifest.ts). Middleware first, handler last; the parser middleware reads the state input
 * with the task's schema, and a task failure is *thrown* so the state machine's Retry/Catch match
 * its name (see parsedOrThrow for why the parser runs in safeParse mode).
 */
function lambda<T>(name: string, task: Task<T>, run: (input: T) => Promise<unknown>): LambdaEntry<unknown> {
  const handler = middy()
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .use(countFailures(`MigrationTask${name}Failed`))
    .use(captureLambdaHandler(tracer))
    .use(parser({ schema: task.schema, safeParse: true }))
    .handler(async (event) => {
      logger.appendKeys({ task: name });
      const result = await run(parsedOrThrow(event, task.what));
      metrics.addMetric(`MigrationTask${name}`, MetricUnit.Count, 1);
      return result;
    });
  return entry(handler);
}

export const validateHandler = lambda('Validate', TASKS.validate, validateTask);
export const leaseHandler = lambda('AcquireLease', TASKS.lease, leaseTask);
export const planHandler = lambda('Plan', TASKS.plan, planTask);
export const provisionHandler = lambda('Provision', TASKS.provision, provisionTask);
export const healthyHandler = lambda('CheckHealthy', TASKS.healthy, healthyTask);
export const smokeHandler = lambda('SmokeTest', TASKS.smoke, smokeTask);
export const shiftHandler = lambda('Shift', TASKS.shift, shiftTask);
export const gateHandler = lambda('Gate', TASKS.gate, gateTask);
export const decommissionHandler = lambda('Decommission', TASKS.decommission, decommissionTask);
export const succeedHandler = lambda('RecordSuccess', TASKS.succeed, succeedTask);
export const compensateHandler = lambda('Compensate', TASKS.undo, undoTask);
